/** One run: its state, live progress, result files and live log; cancel. A workflow run also shows its task tree. */
import { useEffect, useState } from 'react';
import { isFinished } from '../../../shared/model/run';
import { ConfirmDialog, ProgressBar, StatusBadge, useTick } from '../components/common';
import { LogView } from '../components/LogView';
import { ResultFiles } from '../components/ResultFiles';
import { errorText } from '../lib/errors';
import { formatDuration, formatTime, runDurationMs } from '../lib/format';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { useLogStore } from '../stores/logStore';
import { hrefOf } from '../stores/routeStore';
import { toast } from '../stores/toastStore';
import { RunNotifications } from './runDetail/RunNotifications';
import { WorkflowPanel } from './runDetail/WorkflowPanel';

export function RunDetail({ id }: { id: number }) {
  const run = useLogStore((s) => s.run);
  const files = useLogStore((s) => s.files);
  const error = useLogStore((s) => s.error);
  const { open, close, cancel } = useLogStore.getState();
  const c = useConnectionStore((s) => s.client);
  const canCancel = useConnectionStore(connectionSelectors.can('admin'));
  const [confirm, setConfirm] = useState(false);
  const now = useTick(1000);

  useEffect(() => {
    void open(id);
    return () => close();
  }, [id, open, close]);

  if (error && !run) return <div className="alert" role="alert">{error}</div>;
  if (!run) return <div className="muted">Loading run {id}…</div>;
  const active = !isFinished(run.status);

  const saveLog = async () => {
    try {
      const path = await c?.saveLog?.(run.id);
      if (path) toast.success(`Saved to ${path}`);
    } catch (err) {
      toast.error(errorText(err));
    }
  };

  const logView = <LogView downloadHref={c?.logUrl?.(run.id)} onSave={c?.saveLog ? () => void saveLog() : undefined} />;

  return (
    <section className="screen" aria-labelledby="run-title" data-testid="run-detail" data-status={run.status}>
      <div className="screen-head">
        <h2 id="run-title">
          Run #{run.id} of <a href={hrefOf({ name: 'job', id: run.jobId })}>{run.jobName}</a>
        </h2>
        <StatusBadge status={run.status} />
        {active && canCancel && (
          <button type="button" className="btn danger" disabled={run.cancelRequested} onClick={() => setConfirm(true)}>
            {run.cancelRequested ? 'Cancelling…' : 'Cancel run'}
          </button>
        )}
        <a className="btn" href={hrefOf({ name: 'job', id: run.jobId, tab: 'runs' })}>
          All runs of this job
        </a>
        {c?.showRunFolder && (
          <button type="button" className="btn" onClick={() => void c.showRunFolder!(run.id).catch((err) => toast.error(errorText(err)))}>
            Show folder
          </button>
        )}
      </div>
      {error && <div className="alert" role="alert">{error}</div>}
      <div className="detail-layout">
        <div className="side">
          <section className="panel panel-pad" aria-label="Run details" style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
            {(run.progress || active) && (
              <div data-testid="run-progress">
                <div className="row small" style={{ justifyContent: 'space-between' }}>
                  <span>{run.progress?.message || (run.status === 'QUEUED' ? 'Waiting to start' : 'Running')}</span>
                  <strong>{run.progress ? `${run.progress.percent}%` : ''}</strong>
                </div>
                <ProgressBar big percent={run.progress?.percent ?? 0} label="Run progress" />
              </div>
            )}
            <dl className="kv">
              <dt>Trigger</dt>
              <dd>
                {run.trigger} by {run.triggeredBy}
              </dd>
              <dt>User</dt>
              <dd>{run.user || '—'}</dd>
              <dt>Args</dt>
              <dd className="mono">{run.args || '—'}</dd>
              <dt>Params</dt>
              <dd className="mono small">{Object.keys(run.params).length ? JSON.stringify(run.params) : '—'}</dd>
              <dt>Attempt</dt>
              <dd>
                {run.attempt}
                {run.retryOf && (
                  <>
                    {' '}
                    (retry of <a href={hrefOf({ name: 'run', id: run.retryOf })}>#{run.retryOf}</a>)
                  </>
                )}
              </dd>
              {run.tasks !== null && (
                <>
                  <dt>Workflow</dt>
                  <dd data-testid="run-round">
                    {run.tasks} tasks{run.round > 0 ? ` · re-run in place ${run.round} time${run.round > 1 ? 's' : ''}` : ''}
                  </dd>
                </>
              )}
              <dt>Queued</dt>
              <dd>{formatTime(run.queuedAt)}</dd>
              {run.dueAt && (
                <>
                  <dt>Due</dt>
                  <dd>{formatTime(run.dueAt)}</dd>
                </>
              )}
              <dt>Started</dt>
              <dd>{formatTime(run.startedAt) || '—'}</dd>
              <dt>Finished</dt>
              <dd>{formatTime(run.finishedAt) || '—'}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(runDurationMs(run, now)) || '—'}</dd>
              <dt>Exit</dt>
              <dd>{run.exitCode !== null ? run.exitCode : (run.signal ?? '—')}</dd>
              {run.error && (
                <>
                  <dt>Error</dt>
                  <dd className="error-text">{run.error}</dd>
                </>
              )}
            </dl>
          </section>
          <ResultFiles runId={run.id} files={files} />
          <RunNotifications runId={run.id} status={run.status} />
        </div>
        {run.tasks !== null ? <WorkflowPanel run={run} canRerun={canCancel} log={logView} /> : logView}
      </div>
      <ConfirmDialog
        open={confirm}
        title={`Cancel run #${run.id}?`}
        text="The run's whole process tree is stopped (SIGTERM, then SIGKILL after a grace period) and the run is recorded as cancelled."
        confirm="Cancel run"
        danger
        onConfirm={() => void cancel().catch((err) => toast.error(errorText(err)))}
        onClose={() => setConfirm(false)}
      />
    </section>
  );
}
