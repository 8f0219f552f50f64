/**
 * A job at a glance: its schedule in words with the next five fires in the
 * job's zone and the viewer's, the latest runs as a strip of bars (height by
 * duration, colour by outcome), the duration trend, the success rate, and
 * its facts (ID, MD5, who made and changed it, what it waits for, whom it
 * tells).
 */
import { Line, LineChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { Job } from '../../../../shared/model/job';
import type { Run } from '../../../../shared/model/run';
import { describeSchedule, nextFires } from '../../../../shared/schedule';
import { CopyButton, Md5, StatusBadge } from '../../components/common';
import { Time } from '../../components/Time';
import { formatDuration, formatFullTime, runDurationMs, zoneName } from '../../lib/format';
import { useThemeColors } from '../../lib/themeColors';
import { hrefOf } from '../../stores/routeStore';
import { useJobPageStore } from '../../stores/jobPageStore';
import { useSchedulerStore } from '../../stores/schedulerStore';

const finished = (r: Run) => r.status === 'SUCCEEDED' || r.status === 'FAILED' || r.status === 'CANCELLED';

/** The next five fires: from the stored next run for an interval (its cadence), else from now. */
function upcoming(job: Job, now: number): number[] {
  if (job.archived || !job.enabled || job.schedule.kind === 'manual') return [];
  const s = job.schedule;
  if (s.kind === 'interval' && job.nextRunAt) {
    const first = Date.parse(job.nextRunAt);
    return [0, 1, 2, 3, 4].map((k) => first + k * s.seconds * 1000);
  }
  return nextFires(s, now, 5);
}

function FireTimes({ job, paused }: { job: Job; paused: boolean }) {
  const fires = upcoming(job, Date.now());
  if (job.schedule.kind === 'manual') return null;
  if (fires.length === 0) return <p className="muted small">Not scheduled: the job is {job.archived ? 'archived' : 'disabled'}.</p>;
  const jobZone = job.schedule.kind === 'cron' ? job.schedule.timezone : 'UTC';
  const viewer = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const fmt = (zone: string) => new Intl.DateTimeFormat(undefined, { timeZone: zone, dateStyle: 'medium', timeStyle: 'medium' });
  const inJob = fmt(jobZone);
  const inViewer = fmt(viewer);
  // One zone for both (an interval job seen from UTC, a cron job in one's own zone): one column.
  const same = viewer === jobZone;
  return (
    <table className="small fires" aria-label="Next five fires" data-testid="next-fires">
      <thead>
        <tr>
          <th scope="col">{job.schedule.kind === 'cron' ? `Job's zone (${jobZone})` : 'UTC'}</th>
          {!same && <th scope="col">Your zone ({viewer === zoneName(new Date()) ? viewer : `${viewer}, ${zoneName(new Date())}`})</th>}
        </tr>
      </thead>
      <tbody className={paused ? 'paused' : undefined} title={paused ? 'The scheduler is paused: these fires will not happen while it is' : undefined}>
        {fires.map((t) => (
          <tr key={t}>
            <td>{inJob.format(t)}</td>
            {!same && <td>{inViewer.format(t)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const LEGEND = [
  ['var(--ok)', 'succeeded'],
  ['var(--fail)', 'failed'],
  ['var(--muted)', 'cancelled'],
  ['var(--info)', 'running'],
] as const;

function RunStrip({ runs }: { runs: Run[] }) {
  const ordered = [...runs].reverse();
  const longest = Math.max(1, ...ordered.map((r) => runDurationMs(r) ?? 0));
  if (ordered.length === 0) return <p className="muted small">No runs yet.</p>;
  const last = ordered[ordered.length - 1]!;
  const lastMs = runDurationMs(last);
  return (
    <>
      <ol className="run-strip" aria-label={`Latest ${ordered.length} runs, oldest first`}>
        {ordered.map((r) => {
          const ms = runDurationMs(r);
          const label = `Run #${r.id}: ${r.status.toLowerCase().replace("_", " ")}${ms !== null ? `, ${formatDuration(ms)}` : ''}${r.queuedAt ? `, ${formatFullTime(r.queuedAt)}` : ''}`;
          return (
            <li key={r.id}>
              <a href={hrefOf({ name: 'run', id: r.id })} className={`bar ${r.status.toLowerCase()}`} aria-label={label} title={label}>
                <span style={{ height: `${Math.max(8, ((ms ?? 0) / longest) * 100)}%` }} />
              </a>
            </li>
          );
        })}
      </ol>
      <p className="small muted strip-legend">
        {LEGEND.map(([colour, text]) => (
          <span key={text}>
            <i style={{ background: colour }} />
            {text}
          </span>
        ))}
        <span>
          height by duration: the latest {lastMs === null ? 'has not started' : `took ${formatDuration(lastMs)}`}, the longest {formatDuration(longest)}
        </span>
      </p>
    </>
  );
}

function DurationTrend({ runs }: { runs: Run[] }) {
  const c = useThemeColors();
  const data = [...runs]
    .reverse()
    .filter(finished)
    .map((r) => ({ id: r.id, seconds: (runDurationMs(r) ?? 0) / 1000, status: r.status }));
  if (data.length < 2) return <p className="muted small">The trend shows once two runs have finished.</p>;
  const mean = data.reduce((n, d) => n + d.seconds, 0) / data.length;
  const summary = `${data.length} finished runs, mean ${formatDuration(mean * 1000)}, last ${formatDuration(data[data.length - 1]!.seconds * 1000)}`;
  return (
    <figure className="chart" data-testid="duration-trend">
      <figcaption>
        <strong>Duration</strong> <span className="muted small">{summary}</span>
      </figcaption>
      <LineChart responsive style={{ width: '100%', height: 160 }} data={data} margin={{ top: 8, right: 8, bottom: 0, left: -8 }} title={summary}>
        <CartesianGrid vertical={false} stroke={c.border} />
        <XAxis dataKey="id" tickFormatter={(id) => `#${id}`} tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} />
        <YAxis tickFormatter={(s) => formatDuration(Number(s) * 1000)} tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} width={64} />
        <Tooltip
          labelFormatter={(id) => `Run #${id}`}
          formatter={(s) => [formatDuration(Number(s) * 1000), 'duration']}
          contentStyle={{ background: c.panel, borderColor: c.border, color: c.fg }}
        />
        <Line dataKey="seconds" stroke={c.accent} dot={{ r: 2 }} isAnimationActive={false} />
      </LineChart>
    </figure>
  );
}

export function OverviewTab({ job }: { job: Job }) {
  const recent = useJobPageStore((s) => s.recent);
  const total = useJobPageStore((s) => s.total);
  const error = useJobPageStore((s) => s.error);
  const paused = useSchedulerStore((s) => s.status?.paused === true);
  const done = recent.filter(finished);
  const ok = done.filter((r) => r.status === 'SUCCEEDED').length;
  const latest = done[0];
  return (
    <div className="job-overview">
      <section className="panel panel-pad ov-schedule" aria-labelledby="ov-schedule">
        <h3 id="ov-schedule">Schedule</h3>
        <p data-testid="schedule-words">
          {describeSchedule(job.schedule)}
          {paused && job.schedule.kind !== 'manual' && <span className="badge"> scheduler paused</span>}
        </p>
        <FireTimes job={job} paused={paused} />
      </section>
      <section className="panel panel-pad ov-runs" aria-labelledby="ov-runs">
        <h3 id="ov-runs">
          Latest runs{' '}
          <span className="muted small">
            {recent.length} of {total}
          </span>
        </h3>
        {error && <p role="alert" className="error-text small">The runs could not be read: {error}</p>}
        <RunStrip runs={recent} />
        <p className="small" data-testid="success-rate">
          {done.length === 0
            ? 'No finished runs yet.'
            : `Success rate ${Math.round((ok / done.length) * 100)}%: ${ok} of the last ${done.length} finished runs succeeded.`}
        </p>
        {latest?.status === 'FAILED' && (
          <p className="small error-text" data-testid="last-failure">
            The latest run, <a href={hrefOf({ name: 'run', id: latest.id })}>#{latest.id}</a>, failed: {latest.error ?? (latest.exitCode !== null ? `exit code ${latest.exitCode}` : 'no reason recorded')}
          </p>
        )}
        <DurationTrend runs={recent} />
      </section>
      <section className="panel panel-pad ov-facts" aria-labelledby="ov-facts">
        <h3 id="ov-facts">About this job</h3>
        <dl className="kv">
          <dt>ID</dt>
          <dd className="mono">
            {job.id} <CopyButton text={String(job.id)} label={`Copy job ID ${job.id}`} />
          </dd>
          <dt>Script MD5</dt>
          <dd>
            <Md5 md5={job.scriptMd5} />
          </dd>
          <dt>Runtime</dt>
          <dd className="mono">{job.runtime}</dd>
          {job.group && (
            <>
              <dt>Group</dt>
              <dd>{job.group}</dd>
            </>
          )}
          {job.description && (
            <>
              <dt>Description</dt>
              <dd>{job.description}</dd>
            </>
          )}
          <dt>Last run</dt>
          <dd>
            {job.lastRun ? (
              <a href={hrefOf({ name: 'run', id: job.lastRun.id })}>
                <StatusBadge status={job.lastRun.status} /> <Time iso={job.lastRun.at} />
              </a>
            ) : (
              'never'
            )}
          </dd>
          <dt>Limits</dt>
          <dd>
            timeout {job.timeoutSeconds ? formatDuration(job.timeoutSeconds * 1000) : 'none'} · overlap {job.overlap} · retries {job.retries.count}
            {job.lock ? ` · lock ${job.lock}` : ''} · keeps {job.retention} runs
          </dd>
          {job.after.length > 0 && (
            <>
              <dt>Waits for</dt>
              <dd data-testid="job-after">
                {job.after.map((d) => (d.status ? `${d.job} (${d.status.toLowerCase()})` : d.job)).join(', ')}
                {job.gate ? `: runs at its time only if they succeeded in the last ${job.gate.withinMinutes} min` : ': runs once they have all finished since its last run'}
              </dd>
            </>
          )}
          {job.notify && job.notify.rules.length > 0 && (
            <>
              <dt>Notifies</dt>
              <dd data-testid="job-notify">{job.notify.rules.map((r) => `${r.event} → ${r.to.join(', ')}`).join('; ')}</dd>
            </>
          )}
          <dt>Created</dt>
          <dd>
            <Time iso={job.createdAt} /> by {job.createdBy}
          </dd>
          <dt>Updated</dt>
          <dd>
            <Time iso={job.updatedAt} /> by {job.updatedBy} (rev. {job.revision})
          </dd>
        </dl>
      </section>
    </div>
  );
}
