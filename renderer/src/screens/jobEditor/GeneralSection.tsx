/** Name, group, associated user, runtime and description; and the groups offered while typing one. */
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { useJobsStore } from '../../stores/jobsStore';
import { Field } from './Field';

const { field } = jobEditorSelectors;

export function GeneralSection() {
  const isNew = useJobEditorStore(jobEditorSelectors.job) === null;
  const name = useJobEditorStore(field('name'));
  const group = useJobEditorStore(field('group'));
  const user = useJobEditorStore(field('user'));
  const runtime = useJobEditorStore(field('runtime'));
  const customRuntime = useJobEditorStore(field('customRuntime'));
  const description = useJobEditorStore(field('description'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const jobs = useJobsStore((s) => s.jobs);
  const nameError = useJobEditorStore(jobEditorSelectors.nameError(jobs));
  const { setField } = useJobEditorStore.getState();

  return (
    <fieldset>
      <legend>General</legend>
      <div className="grid-2">
        <Field id="job-name" label="Name *" error={nameError}>
          <input id="job-name" className="input" value={name} maxLength={200} autoFocus={isNew} aria-invalid={nameError ? true : undefined} onChange={(e) => setField('name', e.target.value)} />
        </Field>
        <Field id="job-group" label="Group" error={errors.group}>
          <input id="job-group" className="input" value={group} list="group-list" onChange={(e) => setField('group', e.target.value)} />
        </Field>
        <Field id="job-user" label="Associated user" error={errors.user} hint="The user the job's actions are attributed to">
          <input id="job-user" className="input" value={user} onChange={(e) => setField('user', e.target.value)} />
        </Field>
        <Field id="job-runtime" label="Runtime" error={errors.runtime}>
          <div className="row">
            <select id="job-runtime" className="input" value={runtime} onChange={(e) => setField('runtime', e.target.value)}>
              <option value="sh">sh</option>
              <option value="bash">bash</option>
              <option value="node">node</option>
              <option value="python3">python3</option>
              <option value="workflow">workflow (a tree of tasks)</option>
              <option value="custom">custom command…</option>
            </select>
            {runtime === 'custom' && (
              <input className="input mono grow" aria-label="Custom runtime command" placeholder="ruby {script}" value={customRuntime} onChange={(e) => setField('customRuntime', e.target.value)} />
            )}
          </div>
        </Field>
      </div>
      <div style={{ marginTop: 12 }}>
        <Field id="job-description" label="Description" error={errors.description}>
          <textarea id="job-description" className="input" rows={2} value={description} onChange={(e) => setField('description', e.target.value)} />
        </Field>
      </div>
    </fieldset>
  );
}

/** The known groups, offered by the Group field (list="group-list"). */
export function GroupList() {
  const groups = useJobsStore((s) => s.groups);
  return (
    <datalist id="group-list">
      {groups.map((g) => (
        <option key={g} value={g} />
      ))}
    </datalist>
  );
}
