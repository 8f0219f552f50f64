/** Run now: space-separated args and parameter values (a workflow: all of it, or one task); errors shown here, in words. */
import { useEffect, useState, type FormEvent } from 'react';
import { WORKFLOW_RUNTIME, type JobSummary, type ParamDef, type ParamValue } from '../../../shared/model/job';
import { errorText, fieldErrors } from '../lib/errors';
import { checkDefinition } from '../lib/workflowDefinition';
import { client } from '../stores/connectionStore';
import { useRouteStore } from '../stores/routeStore';
import { toast } from '../stores/toastStore';
import { Dialog } from './common';

export function initialParams(job: Pick<JobSummary, 'params' | 'paramValues'>): Record<string, ParamValue | ''> {
  const out: Record<string, ParamValue | ''> = {};
  for (const def of job.params) out[def.name] = job.paramValues[def.name] ?? def.default ?? (def.type === 'boolean' ? false : '');
  return out;
}

/** `optional`: no value is a choice too (a job's own value, which falls back to the default). */
export function ParamInput({ def, value, onChange, error, idPrefix, optional }: { def: ParamDef; value: ParamValue | ''; onChange: (v: ParamValue | '') => void; error?: string; idPrefix: string; optional?: boolean }) {
  const id = `${idPrefix}-${def.name}`;
  const label = (
    <label htmlFor={id}>
      {def.name}
      {def.required ? ' *' : ''} <span className="muted small">({def.type})</span>
    </label>
  );
  let input;
  if (def.type === 'boolean') {
    input = (
      // The select shows what is stored: with no value and no empty option it would show "true" and store nothing.
      <select id={id} className="input" value={value === '' ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? '' : e.target.value === 'true')}>
        {(optional || value === '') && <option value="">{def.default === undefined ? '— (none)' : `— (the default, ${String(def.default)})`}</option>}
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (def.type === 'choice') {
    input = (
      <select id={id} className="input" value={String(value)} onChange={(e) => onChange(e.target.value)} aria-invalid={error ? true : undefined}>
        <option value="">—</option>
        {(def.choices ?? []).map((c) => (
          <option key={c}>{c}</option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        id={id}
        className="input"
        type={def.type === 'number' ? 'number' : 'text'}
        value={String(value)}
        aria-invalid={error ? true : undefined}
        onChange={(e) => onChange(def.type === 'number' && e.target.value !== '' ? Number(e.target.value) : e.target.value)}
      />
    );
  }
  return (
    <div className="field">
      {label}
      {input}
      {def.description && <div className="hint">{def.description}</div>}
      {error && <div className="error">{error}</div>}
    </div>
  );
}

/** A workflow job's task paths (read from its definition; null while reading, or for a script job). */
function useTaskPaths(job: JobSummary & { script?: string }): string[] | null {
  const [paths, setPaths] = useState<string[] | null>(null);
  useEffect(() => {
    if (job.runtime !== WORKFLOW_RUNTIME) return;
    let live = true;
    const read = job.script !== undefined ? Promise.resolve(job.script) : client().call('jobs.get', { id: job.id }).then((j) => j.script);
    read.then(
      (text) => {
        const checked = checkDefinition(text);
        if (live) setPaths(checked.ok ? checked.paths : []);
      },
      () => live && setPaths([]),
    );
    return () => {
      live = false;
    };
  }, [job.id, job.runtime, job.script]);
  return paths;
}

const depthOf = (path: string) => path.split('.').length - 1;

export function RunNowDialog({ job, onClose }: { job: JobSummary & { script?: string }; onClose: () => void }) {
  const navigate = useRouteStore((s) => s.navigate);
  const paths = useTaskPaths(job);
  const [task, setTask] = useState('');
  const [args, setArgs] = useState('');
  const [params, setParams] = useState(() => initialParams(job));
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      const values = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '')) as Record<string, ParamValue>;
      const run = await client().call('runs.trigger', { jobId: job.id, args, params: values, trigger: 'manual', ...(task ? { task } : {}) });
      toast.success(task ? `Run ${run.id} of ${task} in ${job.name} queued` : `Run ${run.id} of ${job.name} queued`);
      onClose();
      navigate({ name: 'run', id: run.id });
    } catch (err) {
      setError(errorText(err));
      setFields({ ...fieldErrors(err, 'params.'), ...fieldErrors(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      title={`Run ${job.name} now`}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="btn primary" disabled={busy} onClick={() => void submit()}>
            {busy ? 'Starting…' : 'Run now'}
          </button>
        </>
      }
    >
      <form onSubmit={submit} style={{ display: 'flex', flexDirection: 'column', gap: 12 }}>
        {job.runtime === WORKFLOW_RUNTIME && (
          <div className="field">
            <label htmlFor="run-task">What to run</label>
            <select id="run-task" className="input mono" value={task} disabled={paths === null} onChange={(e) => setTask(e.target.value)} aria-invalid={fields.task ? true : undefined}>
              <option value="">The whole workflow</option>
              {(paths ?? []).map((p) => (
                <option key={p} value={p}>
                  {`${'\u00a0\u00a0'.repeat(depthOf(p) - 1)}${p}`}
                </option>
              ))}
            </select>
            <div className="hint">One task runs with its subtasks; the run shows the others as not selected.</div>
            {fields.task && <div className="error">{fields.task}</div>}
          </div>
        )}
        <div className="field">
          <label htmlFor="run-args">Arguments</label>
          <input id="run-args" className="input mono" value={args} autoFocus placeholder="space separated, e.g. --fix 2024" onChange={(e) => setArgs(e.target.value)} />
          <div className="hint">Passed to the script as argv and as JOBDECK_ARGS.</div>
        </div>
        {job.params.length > 0 && (
          <fieldset>
            <legend>Parameters</legend>
            <div className="grid-2">
              {job.params.map((def) => (
                <ParamInput key={def.name} idPrefix="run-param" def={def} value={params[def.name] ?? ''} error={fields[def.name]} onChange={(v) => setParams({ ...params, [def.name]: v })} />
              ))}
            </div>
          </fieldset>
        )}
        {error && (
          <div className="alert" role="alert" data-testid="run-error">
            {error}
          </div>
        )}
        <button type="submit" hidden />
      </form>
    </Dialog>
  );
}
