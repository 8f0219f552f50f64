/** The job's parameters: one row per definition, with the job's own value for it. */
import { PARAM_TYPES } from '../../../../shared/model/job';
import { ParamInput } from '../../components/RunNowDialog';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import type { ParamRow } from '../jobForm';
import { Field } from './Field';

function ParamFields({ row: p, index: i, errors }: { row: ParamRow; index: number; errors: Record<string, string> }) {
  const { setParam, removeParam } = useJobEditorStore.getState();
  return (
    <div className="grid-2" style={{ borderBottom: '1px dashed var(--border)', paddingBottom: 10, marginBottom: 10 }}>
      <Field id={`pn-${p.key}`} label="Name" error={errors[`params.${i}.name`]}>
        <input id={`pn-${p.key}`} className="input mono" value={p.name} onChange={(e) => setParam(p.key, { name: e.target.value })} />
      </Field>
      <Field id={`pt-${p.key}`} label="Type">
        <select id={`pt-${p.key}`} className="input" value={p.type} onChange={(e) => setParam(p.key, { type: e.target.value as ParamRow['type'], value: '', default: '' })}>
          {PARAM_TYPES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </Field>
      {p.type === 'choice' && (
        <Field id={`pc-${p.key}`} label="Choices (comma-separated)" error={errors[`params.${i}.choices`]}>
          <input id={`pc-${p.key}`} className="input" value={p.choices} onChange={(e) => setParam(p.key, { choices: e.target.value })} />
        </Field>
      )}
      <Field id={`pd-${p.key}`} label="Default" error={errors[`params.${i}.default`]}>
        {p.type === 'boolean' ? (
          <select id={`pd-${p.key}`} className="input" value={p.default} onChange={(e) => setParam(p.key, { default: e.target.value })}>
            <option value="">none</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : (
          <input id={`pd-${p.key}`} className="input" value={p.default} onChange={(e) => setParam(p.key, { default: e.target.value })} />
        )}
      </Field>
      <Field id={`pdesc-${p.key}`} label="Description">
        <input id={`pdesc-${p.key}`} className="input" value={p.description} onChange={(e) => setParam(p.key, { description: e.target.value })} />
      </Field>
      <ParamInput
        idPrefix={`pv-${p.key}`}
        def={{ name: p.name || `parameter ${i + 1}`, type: p.type, choices: p.choices.split(',').map((c) => c.trim()).filter(Boolean), ...(p.default === '' ? {} : { default: p.default }) }}
        optional
        value={p.value}
        error={errors[`paramValues.${p.name.trim()}`]}
        onChange={(v) => setParam(p.key, { value: v })}
      />
      <div className="row">
        <label className="row" style={{ gap: 4 }}>
          <input type="checkbox" checked={p.required} onChange={(e) => setParam(p.key, { required: e.target.checked })} /> Required
        </label>
        <button type="button" className="btn small danger" onClick={() => removeParam(p.key)}>
          Remove parameter
        </button>
      </div>
    </div>
  );
}

export function ParamsSection() {
  const params = useJobEditorStore(jobEditorSelectors.field('params'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const { addParam } = useJobEditorStore.getState();
  return (
    <fieldset>
      <legend>Parameters</legend>
      {params.length === 0 && <div className="muted small">No parameters. Scripts read them from JOBDECK_PARAMS or JOBDECK_PARAM_NAME.</div>}
      {params.map((p, i) => (
        <ParamFields key={p.key} row={p} index={i} errors={errors} />
      ))}
      <button type="button" className="btn small" style={{ marginTop: 8 }} onClick={addParam}>
        + Add parameter
      </button>
    </fieldset>
  );
}
