/** Beside the form: how scripts talk to Jobdeck (a new job), or the job's facts and script history. */
import { StatusBadge } from '../../components/common';
import { ScriptHistory } from '../../components/ScriptHistory';
import { formatTime } from '../../lib/format';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { hrefOf } from '../../stores/routeStore';

function ScriptProtocolHelp() {
  return (
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
  );
}

function WorkflowHelp() {
  return (
    <section className="panel panel-pad small" aria-labelledby="wf-help-title" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
      <h3 id="wf-help-title">Writing a workflow</h3>
      <p style={{ margin: 0 }}>
        Each task runs a <code>script</code> (with its <code>runtime</code>) or another <code>job</code>; its <code>subtasks</code> run in parallel
        after it. A task is known by its path: <code>#.extract.eu</code>.
      </p>
      <pre className="mono" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
        {"::return {\"rows\": 42}   (its result)\n\"dest\": \"batch\"          (subtasks read it)\n\"condition\": \"batch.rows > 0\""}
      </pre>
      <p style={{ margin: 0 }}>
        Subtasks find the result as <code>$JOBDECK_DEST_BATCH</code>, every result so far in <code>$JOBDECK_RESULTS_FILE</code>; conditions are CEL
        over <code>params</code>, <code>results</code> and the <code>dest</code> names.
      </p>
    </section>
  );
}

export function JobSidebar() {
  const job = useJobEditorStore(jobEditorSelectors.job);
  const runtime = useJobEditorStore(jobEditorSelectors.field('runtime'));
  if (!job)
    return runtime === 'workflow' ? (
      <aside className="side">
        <WorkflowHelp />
      </aside>
    ) : (
      <ScriptProtocolHelp />
    );
  return (
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
          {job.after.length > 0 && (
            <>
              <dt>Waits for</dt>
              <dd data-testid="job-after">
                {job.after.map((d) => (d.status ? `${d.job} (${d.status.toLowerCase()})` : d.job)).join(', ')}
                {job.gate
                  ? `: runs at its time only if they succeeded in the last ${job.gate.withinMinutes} min`
                  : ': runs once they have all finished since its last run'}
              </dd>
            </>
          )}
          {job.notify && job.notify.rules.length > 0 && (
            <>
              <dt>Notifies</dt>
              <dd data-testid="job-notify">{job.notify.rules.map((r) => `${r.event} → ${r.to.join(', ')}`).join('; ')}</dd>
            </>
          )}
        </dl>
      </section>
      {runtime === 'workflow' && <WorkflowHelp />}
      <ScriptHistory jobId={job.id} revision={job.revision} />
    </aside>
  );
}
