/** The job list: virtualized, filtered here, ordered by next execution. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { RUN_STATUSES, type JobSummary } from '../../../shared/model/job';
import { describeSchedule } from '../../../shared/schedule';
import { Icon, Md5, StatusBadge, useTick } from '../components/common';
import { RunNowDialog } from '../components/RunNowDialog';
import { formatIn, formatTime } from '../lib/format';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { jobsSelectors, useJobsStore, type JobFilters } from '../stores/jobsStore';
import { hrefOf, useRouteStore } from '../stores/routeStore';
import { useSchedulerStore } from '../stores/schedulerStore';

const COLUMNS = 'minmax(170px, 2fr) minmax(80px, 1fr) minmax(150px, 2fr) 150px 190px minmax(80px, 1fr) 100px 84px 78px';
const ROW = 40;

export function JobsScreen() {
  const jobs = useJobsStore((s) => s.jobs);
  const groups = useJobsStore((s) => s.groups);
  const filters = useJobsStore((s) => s.filters);
  const loaded = useJobsStore((s) => s.loaded);
  const error = useJobsStore((s) => s.error);
  const { setFilters, load } = useJobsStore.getState();
  const canEdit = useConnectionStore(connectionSelectors.can('superadmin'));
  const canRun = useConnectionStore(connectionSelectors.can('admin'));
  const paused = useSchedulerStore((s) => s.status?.paused === true);
  const navigate = useRouteStore((s) => s.navigate);
  const openJob = useCallback((id: number) => navigate({ name: 'job', id }), [navigate]);
  const visible = useMemo(() => jobsSelectors.filtered(jobs, filters), [jobs, filters]);
  const [runJob, setRunJob] = useState<JobSummary | null>(null);
  const [active, setActive] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const now = useTick(5000);

  useEffect(() => {
    void load();
  }, [load]);

  const virtualizer = useVirtualizer({ count: visible.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 12 });

  const focusRow = (i: number) => {
    const index = Math.max(0, Math.min(visible.length - 1, i));
    setActive(index);
    virtualizer.scrollToIndex(index, { align: 'auto' });
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${index}"]`)?.focus());
  };

  const onKey = (e: KeyboardEvent) => {
    const keys: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + 15, PageUp: active - 15, Home: 0, End: visible.length - 1 };
    if (e.key in keys) {
      e.preventDefault();
      focusRow(keys[e.key]!);
    }
  };

  return (
    <section className="screen" aria-labelledby="jobs-title" data-testid="jobs-screen">
      <div className="screen-head">
        <h2 id="jobs-title">Jobs</h2>
        <span className="muted small" aria-live="polite">
          {visible.length === jobs.length ? `${jobs.length} job${jobs.length === 1 ? '' : 's'}` : `${visible.length} of ${jobs.length} jobs`}
        </span>
        {canEdit && (
          <a className="btn primary" href={hrefOf({ name: 'job-new' })}>
            + New job
          </a>
        )}
      </div>
      <Filters filters={filters} groups={groups} onChange={setFilters} />
      {error && (
        <div className="alert" role="alert">
          {error} <button type="button" className="btn small" onClick={() => void load()}>Retry</button>
        </div>
      )}
      <div className="panel table" role="table" aria-label="Jobs" aria-rowcount={visible.length + 1}>
        <div className="thead" role="row" style={{ gridTemplateColumns: COLUMNS }}>
          {['Name', 'Group', 'Schedule', 'Next run', 'Last run', 'User', 'Script MD5', 'State', ''].map((h, i) => (
            <div role="columnheader" key={i}>
              {h}
            </div>
          ))}
        </div>
        <div className="tbody" ref={scroller} role="rowgroup" onKeyDown={onKey} data-testid="jobs-scroller">
          {loaded && visible.length === 0 && (
            <div className="empty">{jobs.length === 0 ? 'No jobs yet.' : 'No job matches these filters.'}</div>
          )}
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const job = visible[item.index]!;
              return (
                <JobRow
                  key={job.id}
                  job={job}
                  index={item.index}
                  start={item.start}
                  active={item.index === active}
                  now={now}
                  canRun={canRun}
                  paused={paused}
                  onOpen={openJob}
                  onRun={setRunJob}
                  onFocusRow={setActive}
                />
              );
            })}
          </div>
        </div>
      </div>
      {runJob && <RunNowDialog job={runJob} onClose={() => setRunJob(null)} />}
    </section>
  );
}

interface RowProps {
  job: JobSummary;
  index: number;
  start: number;
  active: boolean;
  now: number;
  canRun: boolean;
  /** The scheduler is paused: next fires will not happen (struck through). */
  paused: boolean;
  onOpen(id: number): void;
  onRun(job: JobSummary): void;
  onFocusRow(index: number): void;
}

/** One row; re-rendered only when its job, position or focus changes (smooth scrolling through 10,000). */
const JobRow = memo(function JobRow({ job, index, start, active, now, canRun, paused, onOpen, onRun, onFocusRow }: RowProps) {
  return (
    <div
      data-index={index}
      data-job={job.name}
      role="row"
      aria-rowindex={index + 2}
      tabIndex={active ? 0 : -1}
      className={`trow${job.archived || !job.enabled ? ' dim' : ''}`}
      style={{ gridTemplateColumns: COLUMNS, position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${start}px)` }}
      onClick={() => onOpen(job.id)}
      onFocus={() => onFocusRow(index)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && e.target === e.currentTarget) onOpen(job.id);
      }}
    >
      <div role="cell" title={job.description || job.name}>
        <a href={hrefOf({ name: 'job', id: job.id })} tabIndex={-1} onClick={(e) => e.stopPropagation()}>
          {job.name}
        </a>
      </div>
      <div role="cell">{job.group}</div>
      <div role="cell" title={job.schedule.kind === 'cron' ? job.schedule.expression : undefined}>
        {describeSchedule(job.schedule)}
      </div>
      <div role="cell" title={job.nextRunAt ? (paused ? `${job.nextRunAt}: not while the scheduler is paused` : job.nextRunAt) : undefined}>
        {job.nextRunAt ? (
          paused ? (
            <span className="muted">
              <span className="next-paused">{formatTime(job.nextRunAt)}</span> paused
            </span>
          ) : (
            `${formatTime(job.nextRunAt)} · ${formatIn(job.nextRunAt, now)}`
          )
        ) : (
          <span className="muted">—</span>
        )}
      </div>
      <div role="cell">
        {job.lastRun ? (
          <span className="row" style={{ flexWrap: 'nowrap' }}>
            <StatusBadge status={job.lastRun.status} /> <span className="small">{formatTime(job.lastRun.at)}</span>
          </span>
        ) : (
          <span className="muted">never</span>
        )}
      </div>
      <div role="cell">{job.user}</div>
      <div role="cell">
        <Md5 md5={job.scriptMd5} />
      </div>
      <div role="cell">
        {job.archived ? <span className="badge archived">archived</span> : job.enabled ? 'enabled' : <span className="badge disabled">disabled</span>}
      </div>
      <div role="cell">
        {canRun && !job.archived && (
          <button
            type="button"
            className="btn small"
            aria-label={`Run ${job.name} now`}
            onClick={(e) => {
              e.stopPropagation();
              onRun(job);
            }}
          >
            <Icon name="play" /> Run
          </button>
        )}
      </div>
    </div>
  );
});

function Filters({ filters, groups, onChange }: { filters: JobFilters; groups: string[]; onChange: (p: Partial<JobFilters>) => void }) {
  return (
    <div className="toolbar" role="search">
      <div className="field">
        <label htmlFor="f-search">Search by name</label>
        <input id="f-search" className="input" type="search" value={filters.search} placeholder="Name contains…" onChange={(e) => onChange({ search: e.target.value })} />
      </div>
      <div className="field">
        <label htmlFor="f-group">Group</label>
        <select id="f-group" className="input" value={filters.group} onChange={(e) => onChange({ group: e.target.value })}>
          <option value="">All groups</option>
          {groups.map((g) => (
            <option key={g} value={g}>
              {g}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-last">Last run</label>
        <select id="f-last" className="input" value={filters.lastStatus} onChange={(e) => onChange({ lastStatus: e.target.value as JobFilters['lastStatus'] })}>
          <option value="">Any</option>
          {RUN_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
          <option value="NEVER">Never run</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="f-archived">Archived</label>
        <select id="f-archived" className="input" value={filters.archived} onChange={(e) => onChange({ archived: e.target.value as JobFilters['archived'] })}>
          <option value="include">Shown</option>
          <option value="exclude">Hidden</option>
          <option value="only">Only archived</option>
        </select>
      </div>
    </div>
  );
}
