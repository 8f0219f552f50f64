/** Runs of one job or of all jobs: filters, paging, live status and progress. */
import { useEffect } from 'react';
import { RUN_STATUSES, type RunStatus } from '../../../shared/model/job';
import { ProgressBar, StatusBadge, useTick, Pager } from '../components/common';
import { formatDuration, formatTime, runDurationMs } from '../lib/format';
import { useJobsStore } from '../stores/jobsStore';
import { hrefOf, useRouteStore } from '../stores/routeStore';
import { useRunsStore } from '../stores/runsStore';

const COLUMNS = '70px minmax(140px, 2fr) 150px 90px minmax(90px, 1fr) 150px 100px minmax(120px, 2fr)';

/** `embedded`: the Runs tab of a job's page, which has the job's name above it already. */
export function RunsScreen({ jobId, embedded }: { jobId: number | null; embedded?: boolean }) {
  const { items, total, page, pageSize, filters, loading, error } = useRunsStore();
  const { setFilters, setPage } = useRunsStore.getState();
  const jobs = useJobsStore((s) => s.jobs);
  const navigate = useRouteStore((s) => s.navigate);
  const now = useTick(1000);
  const job = jobId === null ? null : jobs.find((j) => j.id === jobId);

  useEffect(() => {
    void setFilters({ jobId });
    if (!useJobsStore.getState().loaded) void useJobsStore.getState().load();
  }, [jobId, setFilters]);

  const toggleStatus = (s: RunStatus) => {
    const statuses = filters.statuses.includes(s) ? filters.statuses.filter((x) => x !== s) : [...filters.statuses, s];
    void setFilters({ statuses });
  };

  return (
    <section className="screen" aria-labelledby="runs-title" data-testid="runs-screen">
      <div className={embedded ? 'sr-only' : 'screen-head'}>
        <h2 id="runs-title">{job ? `Runs of ${job.name}` : jobId ? `Runs of job ${jobId}` : 'All runs'}</h2>
      </div>
      <div className="toolbar" role="search" aria-label="Filter runs">
        {jobId === null && (
          <div className="field">
            <label htmlFor="r-job">Job</label>
            <select id="r-job" className="input" value={filters.jobId ?? ''} onChange={(e) => void setFilters({ jobId: e.target.value ? Number(e.target.value) : null })}>
              <option value="">All jobs</option>
              {jobs.map((j) => (
                <option key={j.id} value={j.id}>
                  {j.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <fieldset className="row" style={{ padding: '4px 10px' }}>
          <legend className="small">Status</legend>
          {RUN_STATUSES.map((s) => (
            <label key={s} className="row small" style={{ gap: 4 }}>
              <input type="checkbox" checked={filters.statuses.includes(s)} onChange={() => toggleStatus(s)} />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label htmlFor="r-from">Queued from</label>
          <input id="r-from" className="input" type="datetime-local" step={1} value={filters.from} onChange={(e) => void setFilters({ from: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="r-to">Queued before</label>
          <input id="r-to" className="input" type="datetime-local" step={1} value={filters.to} onChange={(e) => void setFilters({ to: e.target.value })} />
        </div>
        {(filters.statuses.length > 0 || filters.from || filters.to) && (
          <button type="button" className="btn" onClick={() => void setFilters({ statuses: [], from: '', to: '' })}>
            Clear filters
          </button>
        )}
      </div>
      {error && <div className="alert" role="alert">{error}</div>}
      <div className="panel table" role="table" aria-label="Runs" aria-busy={loading}>
        <div className="thead" role="row" style={{ gridTemplateColumns: COLUMNS }}>
          {['Run', 'Job', 'Status', 'Trigger', 'By', 'Started', 'Duration', 'Exit / error'].map((h) => (
            <div role="columnheader" key={h}>
              {h}
            </div>
          ))}
        </div>
        <div className="tbody" role="rowgroup">
          {!loading && !error && items.length === 0 && <div className="empty">No runs match.</div>}
          {!loading && error && items.length === 0 && <div className="empty">The runs could not be read (see above); nothing is known about them yet.</div>}
          {items.map((r) => (
            <div
              key={r.id}
              role="row"
              tabIndex={0}
              data-run={r.id}
              className="trow"
              style={{ gridTemplateColumns: COLUMNS }}
              onClick={() => navigate({ name: 'run', id: r.id })}
              onKeyDown={(e) => e.key === 'Enter' && navigate({ name: 'run', id: r.id })}
            >
              <div role="cell">
                <a href={hrefOf({ name: 'run', id: r.id })} tabIndex={-1}>
                  #{r.id}
                </a>
              </div>
              <div role="cell">{r.jobName}</div>
              <div role="cell" className="row" style={{ flexWrap: 'nowrap' }}>
                <StatusBadge status={r.status} />
                {r.status === 'IN_PROGRESS' && r.progress && <ProgressBar percent={r.progress.percent} label={`Run ${r.id} progress`} />}
              </div>
              <div role="cell">{r.trigger}</div>
              <div role="cell">{r.triggeredBy}</div>
              <div role="cell">{formatTime(r.startedAt ?? r.queuedAt)}</div>
              <div role="cell">{formatDuration(runDurationMs(r, now))}</div>
              <div role="cell" title={r.error ?? undefined}>
                {r.exitCode !== null ? `exit ${r.exitCode}` : (r.signal ?? '')} {r.error && r.error !== `exit code ${r.exitCode}` ? r.error : ''}
              </div>
            </div>
          ))}
        </div>
      </div>
      <Pager page={page} pageSize={pageSize} total={total} noun="runs" onPage={(n) => void setPage(n)} />
    </section>
  );
}
