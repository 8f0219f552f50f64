/** Add and edit a job: every field, the script in CodeMirror, schedule preview, history. */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { JobdeckError } from '../../../shared/errors';
import { INTERVAL_MAX, INTERVAL_MIN, PARAM_TYPES, type Job } from '../../../shared/model/job';
import { cronProblem, describeSchedule, isValidTimeZone, nextFires } from '../../../shared/schedule';
import { ConfirmDialog, Icon, Md5, StatusBadge } from '../components/common';
import { ParamInput, RunNowDialog } from '../components/RunNowDialog';
import { ScriptEditor } from '../components/ScriptEditor';
import { ScriptHistory } from '../components/ScriptHistory';
import { errorText, fieldErrors } from '../lib/errors';
import { formatTime } from '../lib/format';
import { client, connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { jobsSelectors, useJobsStore } from '../stores/jobsStore';
import { hrefOf, useRouteStore } from '../stores/routeStore';
import { toast } from '../stores/toastStore';
import { changedFields, formFromJob, newParamRow, specFromForm, validate, type JobForm, type ParamRow } from './jobForm';

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

function Field({ id, label, error, hint, children }: { id: string; label: ReactNode; error?: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && !error && <div className="hint">{hint}</div>}
      {error && (
        <div className="error" id={`${id}-error`} data-field-error={id}>
          {error}
        </div>
      )}
    </div>
  );
}

export function JobEditor({ id }: { id: number | null }) {
  const navigate = useRouteStore((s) => s.navigate);
  const jobs = useJobsStore((s) => s.jobs);
  const canEdit = useConnectionStore(connectionSelectors.can('superadmin'));
  const canRun = useConnectionStore(connectionSelectors.can('admin'));
  const [job, setJob] = useState<Job | null>(null);
  const [form, setForm] = useState<JobForm>(() => formFromJob(null));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [alert, setAlert] = useState<{ text: string; conflict?: boolean } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [runOpen, setRunOpen] = useState(false);

  const load = async () => {
    if (id === null) return;
    try {
      const j = await client().call('jobs.get', { id });
      setJob(j);
      setForm(formFromJob(j));
      setErrors({});
      setAlert(null);
    } catch (err) {
      setLoadError(errorText(err));
    }
  };
  // Names must be unique: the list is needed to say so while typing.
  useEffect(() => {
    if (!useJobsStore.getState().loaded) void useJobsStore.getState().load();
  }, []);

  useEffect(() => {
    setJob(null);
    setLoadError(null);
    setForm(formFromJob(null));
    setErrors({});
    void load();
  }, [id]);

  const set = <K extends keyof JobForm>(key: K, value: JobForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const setParam = (key: number, patch: Partial<ParamRow>) => setForm((f) => ({ ...f, params: f.params.map((p) => (p.key === key ? { ...p, ...patch } : p)) }));

  const nameTaken = jobsSelectors.nameTaken(jobs, form.name, id ?? undefined);
  const err = (key: string): string | undefined => (key === 'name' && nameTaken ? `A job named "${form.name.trim()}" already exists` : errors[key]);

  const preview = useMemo(() => {
    if (form.scheduleKind !== 'cron') return null;
    if (!isValidTimeZone(form.timezone)) return { problem: 'unknown time zone' };
    const problem = cronProblem(form.cron, form.timezone);
    if (problem) return { problem };
    const fmt = new Intl.DateTimeFormat(undefined, { timeZone: form.timezone, dateStyle: 'medium', timeStyle: 'medium' });
    const schedule = { kind: 'cron' as const, expression: form.cron, timezone: form.timezone };
    return { text: describeSchedule(schedule), fires: nextFires(schedule, Date.now(), 5).map((t) => fmt.format(t)) };
  }, [form.scheduleKind, form.cron, form.timezone]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!canEdit) return;
    const spec = specFromForm(form);
    const found = validate(spec);
    setErrors(found);
    setAlert(null);
    if (Object.keys(found).length || nameTaken) {
      setAlert({ text: 'Some fields need attention (see the messages beside them).' });
      return;
    }
    setBusy(true);
    try {
      if (job) {
        const changes = changedFields(job, spec);
        if (Object.keys(changes).length === 0) {
          toast.info('Nothing changed');
          return;
        }
        const saved = await client().call('jobs.update', { id: job.id, ifRevision: job.revision, changes });
        setJob(saved);
        setForm(formFromJob(saved));
        toast.success(`Saved ${saved.name} (revision ${saved.revision})`);
      } else {
        const created = await client().call('jobs.create', spec);
        toast.success(`Created ${created.name}`);
        navigate({ name: 'job', id: created.id });
      }
      void useJobsStore.getState().load();
    } catch (error) {
      setErrors(fieldErrors(error, job ? 'changes.' : ''));
      const conflict = error instanceof JobdeckError && error.code === 'CONFLICT';
      setAlert({ text: errorText(error), conflict });
    } finally {
      setBusy(false);
    }
  };

  const archive = async () => {
    if (!job) return;
    try {
      const saved = await client().call(job.archived ? 'jobs.unarchive' : 'jobs.archive', { id: job.id });
      setJob(saved);
      toast.success(`${saved.name} ${saved.archived ? 'archived: it will not be fired' : 'is back in use'}`);
      void useJobsStore.getState().load();
    } catch (error) {
      toast.error(errorText(error));
    }
  };

  const duplicate = async () => {
    if (!job) return;
    try {
      const copy = await client().call('jobs.duplicate', { id: job.id });
      toast.success(`Created ${copy.name} (disabled until you enable it)`);
      void useJobsStore.getState().load();
      navigate({ name: 'job', id: copy.id });
    } catch (error) {
      toast.error(errorText(error));
    }
  };

  if (loadError) return <div className="alert" role="alert">{loadError}</div>;
  if (id !== null && !job) return <div className="muted">Loading…</div>;
  const readOnly = !canEdit;

  return (
    <section className="screen" aria-labelledby="editor-title" data-testid="job-editor">
      <div className="screen-head">
        <h2 id="editor-title">{job ? job.name : 'New job'}</h2>
        {job?.archived && <span className="badge archived">archived</span>}
        {job && (
          <a className="btn" href={hrefOf({ name: 'runs', jobId: job.id })}>
            Runs
          </a>
        )}
        {job && canRun && !job.archived && (
          <button type="button" className="btn" onClick={() => setRunOpen(true)}>
            <Icon name="play" /> Run now
          </button>
        )}
        {job && canEdit && (
          <>
            <button type="button" className="btn" onClick={() => void duplicate()}>
              Duplicate
            </button>
            <button type="button" className={`btn${job.archived ? '' : ' danger'}`} onClick={() => setConfirmArchive(true)}>
              {job.archived ? 'Unarchive' : 'Archive'}
            </button>
          </>
        )}
      </div>
      <div className="editor-layout">
        <form className="panel panel-pad" onSubmit={save} noValidate style={{ display: 'flex', flexDirection: 'column', gap: 14 }} aria-label="Job settings">
          <fieldset disabled={readOnly}>
            <legend>General</legend>
            <div className="grid-2">
              <Field id="job-name" label="Name *" error={err('name')}>
                <input id="job-name" className="input" value={form.name} maxLength={200} autoFocus={!job} aria-invalid={err('name') ? true : undefined} onChange={(e) => set('name', e.target.value)} />
              </Field>
              <Field id="job-group" label="Group" error={err('group')}>
                <input id="job-group" className="input" value={form.group} list="group-list" onChange={(e) => set('group', e.target.value)} />
              </Field>
              <Field id="job-user" label="Associated user" error={err('user')} hint="The user the job's actions are attributed to">
                <input id="job-user" className="input" value={form.user} onChange={(e) => set('user', e.target.value)} />
              </Field>
              <Field id="job-runtime" label="Runtime" error={err('runtime')}>
                <div className="row">
                  <select id="job-runtime" className="input" value={form.runtime} onChange={(e) => set('runtime', e.target.value)}>
                    <option value="sh">sh</option>
                    <option value="bash">bash</option>
                    <option value="node">node</option>
                    <option value="python3">python3</option>
                    <option value="custom">custom command…</option>
                  </select>
                  {form.runtime === 'custom' && (
                    <input className="input mono grow" aria-label="Custom runtime command" placeholder="ruby {script}" value={form.customRuntime} onChange={(e) => set('customRuntime', e.target.value)} />
                  )}
                </div>
              </Field>
            </div>
            <div style={{ marginTop: 12 }}>
              <Field id="job-description" label="Description" error={err('description')}>
                <textarea id="job-description" className="input" rows={2} value={form.description} onChange={(e) => set('description', e.target.value)} />
              </Field>
            </div>
          </fieldset>

          <div className="field">
            <div className="label" id="script-label">
              Script {job && <Md5 md5={job.scriptMd5} />}
            </div>
            <ScriptEditor value={form.script} runtime={form.runtime === 'custom' ? form.customRuntime : form.runtime} label="Script" readOnly={readOnly} onChange={(v) => set('script', v)} />
            {err('script') && <div className="error">{err('script')}</div>}
          </div>

          <fieldset disabled={readOnly}>
            <legend>Schedule</legend>
            <div className="row" role="radiogroup" aria-label="Schedule kind">
              {(['interval', 'cron', 'manual'] as const).map((k) => (
                <label key={k} className="row" style={{ gap: 4 }}>
                  <input type="radio" name="schedule-kind" value={k} checked={form.scheduleKind === k} onChange={() => set('scheduleKind', k)} />
                  {k === 'interval' ? 'Every N seconds' : k === 'cron' ? 'Cron' : 'Manual only'}
                </label>
              ))}
              <label className="row" style={{ gap: 4, marginLeft: 'auto' }}>
                <input type="checkbox" checked={form.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled
              </label>
            </div>
            {form.scheduleKind === 'interval' && (
              <div style={{ marginTop: 10 }}>
                <Field id="job-interval" label="Interval (seconds)" error={err('schedule.seconds')} hint={`${INTERVAL_MIN} to ${INTERVAL_MAX}; default 60`}>
                  <input id="job-interval" className="input narrow" type="number" inputMode="numeric" min={INTERVAL_MIN} max={INTERVAL_MAX} step={1} value={form.interval} aria-invalid={err('schedule.seconds') ? true : undefined} onChange={(e) => set('interval', e.target.value)} />
                </Field>
              </div>
            )}
            {form.scheduleKind === 'cron' && (
              <div className="grid-2" style={{ marginTop: 10 }}>
                <Field id="job-cron" label="Cron expression" error={err('schedule.expression') ?? (preview && 'problem' in preview ? preview.problem : undefined)} hint="5 fields, or 6 with seconds first">
                  <input id="job-cron" className="input mono" value={form.cron} onChange={(e) => set('cron', e.target.value)} />
                </Field>
                <Field id="job-tz" label="Time zone" error={err('schedule.timezone')}>
                  <select id="job-tz" className="input" value={form.timezone} onChange={(e) => set('timezone', e.target.value)}>
                    {!ZONES.includes(form.timezone) && <option value={form.timezone}>{form.timezone}</option>}
                    {ZONES.map((z) => (
                      <option key={z}>{z}</option>
                    ))}
                  </select>
                </Field>
                {preview && 'fires' in preview && (
                  <div className="small" data-testid="cron-preview">
                    <div>
                      <strong>{preview.text}</strong>
                    </div>
                    <div className="muted">Next five fires ({form.timezone}):</div>
                    <ol style={{ margin: 0, paddingLeft: 20 }}>
                      {preview.fires!.map((f) => (
                        <li key={f}>{f}</li>
                      ))}
                    </ol>
                  </div>
                )}
              </div>
            )}
          </fieldset>

          <fieldset disabled={readOnly}>
            <legend>Parameters</legend>
            {form.params.length === 0 && <div className="muted small">No parameters. Scripts read them from JOBDECK_PARAMS or JOBDECK_PARAM_NAME.</div>}
            {form.params.map((p, i) => (
              <div key={p.key} className="grid-2" style={{ borderBottom: '1px dashed var(--border)', paddingBottom: 10, marginBottom: 10 }}>
                <Field id={`pn-${p.key}`} label="Name" error={err(`params.${i}.name`)}>
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
                  <Field id={`pc-${p.key}`} label="Choices (comma-separated)" error={err(`params.${i}.choices`)}>
                    <input id={`pc-${p.key}`} className="input" value={p.choices} onChange={(e) => setParam(p.key, { choices: e.target.value })} />
                  </Field>
                )}
                <Field id={`pd-${p.key}`} label="Default" error={err(`params.${i}.default`)}>
                  <input id={`pd-${p.key}`} className="input" value={p.default} onChange={(e) => setParam(p.key, { default: e.target.value })} />
                </Field>
                <Field id={`pdesc-${p.key}`} label="Description">
                  <input id={`pdesc-${p.key}`} className="input" value={p.description} onChange={(e) => setParam(p.key, { description: e.target.value })} />
                </Field>
                <ParamInput
                  idPrefix={`pv-${p.key}`}
                  def={{ name: p.name || `parameter ${i + 1}`, type: p.type, choices: p.choices.split(',').map((c) => c.trim()).filter(Boolean) }}
                  value={p.value}
                  error={err(`paramValues.${p.name.trim()}`)}
                  onChange={(v) => setParam(p.key, { value: v })}
                />
                <div className="row">
                  <label className="row" style={{ gap: 4 }}>
                    <input type="checkbox" checked={p.required} onChange={(e) => setParam(p.key, { required: e.target.checked })} /> Required
                  </label>
                  <button type="button" className="btn small danger" onClick={() => setForm((f) => ({ ...f, params: f.params.filter((x) => x.key !== p.key) }))}>
                    Remove parameter
                  </button>
                </div>
              </div>
            ))}
            <button type="button" className="btn small" style={{ marginTop: 8 }} onClick={() => setForm((f) => ({ ...f, params: [...f.params, newParamRow()] }))}>
              + Add parameter
            </button>
          </fieldset>

          <fieldset disabled={readOnly}>
            <legend>Behaviour</legend>
            <div className="grid-2">
              <Field id="job-timeout" label="Timeout (seconds)" error={err('timeoutSeconds')} hint="Empty for no limit">
                <input id="job-timeout" className="input narrow" type="number" min={1} value={form.timeout} onChange={(e) => set('timeout', e.target.value)} />
              </Field>
              <Field id="job-overlap" label="When triggered while running" error={err('overlap')}>
                <select id="job-overlap" className="input" value={form.overlap} onChange={(e) => set('overlap', e.target.value as JobForm['overlap'])}>
                  <option value="skip">Refuse (JOB_ALREADY_RUNNING)</option>
                  <option value="queue">Queue one run</option>
                </select>
              </Field>
              <Field id="job-retries" label="Retries" error={err('retries.count')}>
                <input id="job-retries" className="input narrow" type="number" min={0} max={10} value={form.retryCount} onChange={(e) => set('retryCount', e.target.value)} />
              </Field>
              <Field id="job-retry-delay" label="Retry delay (seconds)" error={err('retries.delaySeconds')}>
                <input id="job-retry-delay" className="input narrow" type="number" min={0} value={form.retryDelay} onChange={(e) => set('retryDelay', e.target.value)} />
              </Field>
              <Field id="job-misfire" label="Fires missed while down" error={err('misfire')}>
                <select id="job-misfire" className="input" value={form.misfire} onChange={(e) => set('misfire', e.target.value as JobForm['misfire'])}>
                  <option value="run-once">Run once</option>
                  <option value="skip">Skip</option>
                </select>
              </Field>
              <Field id="job-lock" label="Lock name" error={err('lock')} hint="Jobs sharing a lock never run at once">
                <input id="job-lock" className="input" value={form.lock} onChange={(e) => set('lock', e.target.value)} />
              </Field>
              <Field id="job-retention" label="Keep last runs" error={err('retention')}>
                <input id="job-retention" className="input narrow" type="number" min={1} value={form.retention} onChange={(e) => set('retention', e.target.value)} />
              </Field>
            </div>
          </fieldset>

          {alert && (
            <div className="alert" role="alert" data-testid="editor-alert">
              {alert.text}{' '}
              {alert.conflict && (
                <button type="button" className="btn small" onClick={() => void load()}>
                  Reload the job
                </button>
              )}
            </div>
          )}
          {canEdit && (
            <div className="row">
              <button type="submit" className="btn primary" disabled={busy}>
                {busy ? 'Saving…' : job ? 'Save changes' : 'Create job'}
              </button>
              <a className="btn" href={hrefOf({ name: 'jobs' })}>
                Cancel
              </a>
            </div>
          )}
          <datalist id="group-list">
            {useJobsStore.getState().groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </form>
        {!job && (
          <aside className="side">
            <section className="panel panel-pad small" aria-labelledby="help-title" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
              <h3 id="help-title">Talking to Jobdeck from a script</h3>
              <p style={{ margin: 0 }}>Print these lines on stdout; they stay in the log too.</p>
              <pre className="mono" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
                {'::progress 40 Copying files\n::result report.csv\n::audit changed 2 records'}
              </pre>
              <p style={{ margin: 0 }}>
                Files written to <code>$JOBDECK_OUTPUT_DIR</code> become the run&apos;s result files. Arguments arrive as argv and <code>$JOBDECK_ARGS</code>;
                parameters as <code>$JOBDECK_PARAMS</code> (JSON) and <code>$JOBDECK_PARAM_NAME</code>. Exit code 0 means success.
              </p>
            </section>
          </aside>
        )}
        {job && (
          <aside className="side">
            <section className="panel panel-pad" aria-label="About this job">
              <dl className="kv">
                <dt>Script MD5</dt>
                <dd className="mono small">{job.scriptMd5}</dd>
                <dt>Next run</dt>
                <dd>{job.nextRunAt ? formatTime(job.nextRunAt) : '—'}</dd>
                <dt>Last run</dt>
                <dd>
                  {job.lastRun ? (
                    <a href={hrefOf({ name: 'run', id: job.lastRun.id })}>
                      <StatusBadge status={job.lastRun.status} /> {formatTime(job.lastRun.at)}
                    </a>
                  ) : (
                    'never'
                  )}
                </dd>
                <dt>Created</dt>
                <dd>
                  {formatTime(job.createdAt)} by {job.createdBy}
                </dd>
                <dt>Updated</dt>
                <dd>
                  {formatTime(job.updatedAt)} by {job.updatedBy} (rev. {job.revision})
                </dd>
              </dl>
            </section>
            <ScriptHistory jobId={job.id} revision={job.revision} />
          </aside>
        )}
      </div>
      {job && (
        <ConfirmDialog
          open={confirmArchive}
          title={job.archived ? `Unarchive ${job.name}?` : `Archive ${job.name}?`}
          text={
            job.archived
              ? 'The job comes back into use and fires on its schedule again if it is enabled.'
              : 'An archived job is never fired and cannot be run; it stays in the list. Waiting runs are cancelled; a running one finishes.'
          }
          confirm={job.archived ? 'Unarchive' : 'Archive'}
          danger={!job.archived}
          onConfirm={() => void archive()}
          onClose={() => setConfirmArchive(false)}
        />
      )}
      {runOpen && job && <RunNowDialog job={job} onClose={() => setRunOpen(false)} />}
    </section>
  );
}
