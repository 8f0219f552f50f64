/**
 * The landing page: what failed, what runs and when it ends, what fires in
 * the next 24 hours, how the last week went, the slowest jobs, locks held and
 * the scheduler's state. Every item links to its job or run; it follows the
 * engine live.
 */
import { useEffect } from 'react';
import type { RunStatus } from '../../../shared/model/job';
import { useTick } from '../components/common';
import { Time } from '../components/Time';
import { useConnectionStore } from '../stores/connectionStore';
import { useDashboardStore } from '../stores/dashboardStore';
import { useJobsStore } from '../stores/jobsStore';
import { useSchedulerStore } from '../stores/schedulerStore';
import { FailuresPerDayChart, RunsPerHourChart } from './dashboard/Charts';
import './dashboard/dashboard.css';
import { FailingPanel, LocksPanel, NextPanel, RunningPanel, SlowestPanel } from './dashboard/Panels';

type CardFilter = '' | RunStatus | 'NEVER';

function Card({ label, value, tone, filter }: { label: string; value: number; tone?: string; filter: CardFilter }) {
  return (
    <li>
      <a
        className={`stat-card ${tone ?? ''}`}
        href="#/jobs"
        onClick={() => useJobsStore.getState().setFilters({ lastStatus: filter, search: '', group: '' })}
        aria-label={`${value} ${label}: show these jobs`}
      >
        <span className="stat-value">{value.toLocaleString()}</span>
        <span className="stat-label">{label}</span>
      </a>
    </li>
  );
}

export function DashboardScreen() {
  const data = useDashboardStore((s) => s.data);
  const error = useDashboardStore((s) => s.error);
  const status = useSchedulerStore((s) => s.status);
  const live = useConnectionStore((s) => s.live);
  const now = useTick(5000);
  useEffect(() => useDashboardStore.getState().show(), []);
  // Time moves the 24-hour window and the hours even when no run changes.
  useEffect(() => {
    const t = setInterval(() => useDashboardStore.getState().invalidate(), 60_000);
    return () => clearInterval(t);
  }, []);
  if (!data) return <div className="screen">{error ? <p role="alert">The dashboard could not be read: {error}</p> : <p className="muted">Loading…</p>}</div>;
  const j = data.jobs.byLastStatus;
  const paused = status?.paused === true;
  const scheduler = live === 'closed' ? 'unknown (disconnected)' : !status ? '…' : !status.active ? 'off (another process schedules)' : paused ? 'paused' : 'running';
  return (
    <div className="screen dashboard">
      <div className="screen-head">
        <h2>Dashboard</h2>
        <span className="muted small">
          as of <Time iso={data.at} /> · scheduler <strong data-testid="dash-scheduler">{scheduler}</strong>
        </span>
      </div>
      {error && (
        <p role="alert" className="error-text small">
          Could not refresh: {error}
        </p>
      )}
      <ul className="stat-cards" aria-label="Jobs by last run">
        <Card label="jobs" value={data.jobs.total} filter="" />
        <Card label="last run failed" value={j.FAILED} tone="fail" filter="FAILED" />
        <Card label="running" value={j.IN_PROGRESS} tone="info" filter="IN_PROGRESS" />
        <Card label="succeeded" value={j.SUCCEEDED} tone="ok" filter="SUCCEEDED" />
        <Card label="cancelled" value={j.CANCELLED} filter="CANCELLED" />
        <Card label="never run" value={j.never} filter="NEVER" />
      </ul>
      <div className="dash-grid">
        <FailingPanel d={data} now={now} />
        <RunningPanel d={data} now={now} />
      </div>
      <div className="dash-grid">
        <section className="panel panel-pad">
          <RunsPerHourChart hours={data.hours} />
        </section>
        <section className="panel panel-pad">
          <FailuresPerDayChart hours={data.hours} />
        </section>
      </div>
      <div className="dash-grid three">
        <NextPanel d={data} now={now} paused={paused} />
        <SlowestPanel d={data} />
        <LocksPanel d={data} now={now} />
      </div>
      {data.jobs.disabled > 0 && <p className="muted small">{data.jobs.disabled} jobs are disabled and never fire.</p>}
    </div>
  );
}
