/** The dashboard's lists: failing jobs, runs in progress, next fires, slowest jobs, locks held. */
import type { Dashboard } from '../../../../shared/model/dashboard';
import { ProgressBar } from '../../components/common';
import { Time } from '../../components/Time';
import { estimateEta } from '../../lib/eta';
import { formatDuration } from '../../lib/format';

const jobHref = (id: number) => `#/jobs/${id}`;
const runHref = (id: number) => `#/runs/${id}`;

function More({ shown, total, noun }: { shown: number; total: number; noun: string }) {
  return total > shown ? <p className="muted small">{`and ${total - shown} more ${noun}`}</p> : null;
}

export function FailingPanel({ d, now }: { d: Dashboard; now: number }) {
  return (
    <section className="panel panel-pad dash-panel" aria-labelledby="dash-failing">
      <h3 id="dash-failing">Failing jobs {d.failingTotal > 0 && <span className="badge FAILED">{d.failingTotal}</span>}</h3>
      {d.failing.length === 0 ? (
        <p className="muted">No job's last run failed.</p>
      ) : (
        <ul className="dash-list" data-testid="failing-jobs">
          {d.failing.map((f) => (
            <li key={f.jobId}>
              <div className="row">
                <a href={jobHref(f.jobId)}>
                  <strong>{f.jobName}</strong>
                </a>
                <a href={runHref(f.runId)} className="small">
                  run #{f.runId}
                </a>
                <span className="muted small">
                  <Time iso={f.at} relative now={now} />
                </span>
              </div>
              {f.error && <div className="error-text small">{f.error}</div>}
              {f.lastLine && <code className="last-line small">{f.lastLine}</code>}
            </li>
          ))}
        </ul>
      )}
      <More shown={d.failing.length} total={d.failingTotal} noun="failing jobs" />
    </section>
  );
}

function etaText(r: Dashboard['running'][number], now: number): string {
  const eta = estimateEta(r.startedAt, r.percent, r.usualMs, now);
  if (!eta) return 'no estimate yet';
  if (eta.leftMs < 0) return `${formatDuration(-eta.leftMs)} over its usual ${formatDuration(r.usualMs)}`;
  return `about ${formatDuration(eta.leftMs)} left${eta.basis === 'usual' ? ' (usual duration)' : ''}`;
}

export function RunningPanel({ d, now }: { d: Dashboard; now: number }) {
  return (
    <section className="panel panel-pad dash-panel" aria-labelledby="dash-running">
      <h3 id="dash-running">
        Running now <span className="muted small">{d.runningTotal} running, {d.queued} queued</span>
      </h3>
      {d.running.length === 0 ? (
        <p className="muted">Nothing is running.</p>
      ) : (
        <ul className="dash-list" data-testid="running-runs">
          {d.running.map((r) => (
            <li key={r.runId} data-run={r.runId}>
              <div className="row">
                <a href={runHref(r.runId)}>
                  <strong>{r.jobName}</strong> #{r.runId}
                </a>
                <span className="muted small">
                  started <Time iso={r.startedAt} relative now={now} />
                </span>
                <span className="small grow" style={{ textAlign: 'right' }}>
                  {etaText(r, now)}
                </span>
              </div>
              <ProgressBar percent={r.percent ?? 0} label={`${r.jobName}: ${r.percent === null ? 'no progress reported' : `${r.percent}%`}`} />
              {r.message && <div className="muted small">{r.message}</div>}
            </li>
          ))}
        </ul>
      )}
      <More shown={d.running.length} total={d.runningTotal} noun="runs" />
    </section>
  );
}

const DAY = 24 * 3_600_000;

export function NextPanel({ d, now, paused }: { d: Dashboard; now: number; paused: boolean }) {
  return (
    <section className="panel panel-pad dash-panel" aria-labelledby="dash-next">
      <h3 id="dash-next">Next 24 hours {paused && <span className="badge CANCELLED">paused</span>}</h3>
      <div className="timeline-24h" aria-hidden="true">
        {d.next.map((n) => (
          <span key={n.jobId} className="tick" style={{ left: `${Math.min(100, Math.max(0, ((Date.parse(n.at) - now) / DAY) * 100))}%` }} title={`${n.jobName}`} />
        ))}
        <span className="edge start">now</span>
        <span className="edge end">+24 h</span>
      </div>
      {d.next.length === 0 ? (
        <p className="muted">Nothing is scheduled in the next 24 hours.</p>
      ) : (
        <ol className={`dash-list compact${paused ? ' next-paused' : ''}`} data-testid="next-fires">
          {d.next.slice(0, 10).map((n) => (
            <li key={n.jobId} className="row">
              <a href={jobHref(n.jobId)} className="grow">
                {n.jobName}
              </a>
              <span className="small">
                <Time iso={n.at} relative now={now} />
              </span>
            </li>
          ))}
        </ol>
      )}
      <More shown={Math.min(10, d.next.length)} total={d.nextTotal} noun="fires" />
    </section>
  );
}

export function SlowestPanel({ d }: { d: Dashboard }) {
  return (
    <section className="panel panel-pad dash-panel" aria-labelledby="dash-slowest">
      <h3 id="dash-slowest">Slowest jobs (7 days)</h3>
      {d.slowest.length === 0 ? (
        <p className="muted">No finished runs in 7 days.</p>
      ) : (
        <table className="data" aria-labelledby="dash-slowest">
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Usual</th>
              <th scope="col">Last run</th>
            </tr>
          </thead>
          <tbody>
            {d.slowest.map((s) => (
              <tr key={s.jobId} className={s.lastMs > s.usualMs * 1.5 && s.lastMs - s.usualMs > 1000 ? 'slower' : undefined}>
                <td>
                  <a href={jobHref(s.jobId)}>{s.jobName}</a> <span className="muted small">{s.runs === 1 ? "1 run" : `${s.runs} runs`}</span>
                </td>
                <td>{formatDuration(s.usualMs)}</td>
                <td>
                  <a href={runHref(s.lastRunId)}>{formatDuration(s.lastMs)}</a>
                  {s.lastMs > s.usualMs * 1.5 && s.lastMs - s.usualMs > 1000 && <span className="error-text small"> slower than usual</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function LocksPanel({ d, now }: { d: Dashboard; now: number }) {
  return (
    <section className="panel panel-pad dash-panel" aria-labelledby="dash-locks">
      <h3 id="dash-locks">Locks held</h3>
      {d.locks.length === 0 ? (
        <p className="muted">No lock is held.</p>
      ) : (
        <ul className="dash-list compact" data-testid="locks-held">
          {d.locks.map((l) => (
            <li key={l.name} className="row">
              <code>{l.name}</code>
              <span className="grow small">
                by <a href={runHref(l.runId)}>{l.jobName} #{l.runId}</a>
              </span>
              <span className="muted small">
                since <Time iso={l.since} relative now={now} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <More shown={d.locks.length} total={d.locksTotal} noun="locks" />
    </section>
  );
}
