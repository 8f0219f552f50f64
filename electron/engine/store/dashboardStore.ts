/**
 * The dashboard's read: a handful of indexed aggregate queries, every list
 * capped, run in one read transaction so its counts agree with each other
 * (on SQLite a deferred transaction, store.ts; on PostgreSQL a read-only
 * REPEATABLE READ one, pgStore.ts). Written once for both backends (work.ts).
 */
import { iso } from '../../../shared/dates';
import { DASHBOARD_HOURS, DASHBOARD_LIMITS as CAP, type Dashboard } from '../../../shared/model/dashboard';
import { all, sql, value, type Sql, type StorePart, type Work } from './work';

const HOUR = 3_600_000;
/** Successful runs a running job's usual duration is taken from. */
const USUAL_SAMPLE = 20;
/** log_lines.stream of standard error (rows.ts: system 0, stdout 1, stderr 2). */
const STDERR = 2;

const cut = (text: string | null): string | null => (text === null ? null : text.length > CAP.textChars ? `${text.slice(0, CAP.textChars)}…` : text);
const isoOf = (ms: number): string => iso(ms)!;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return Math.round(s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2);
}

const STATUS_COUNTS = sql("SELECT COALESCE(last_status, 'never') AS s, count(*) AS n FROM jobs WHERE archived = 0 GROUP BY COALESCE(last_status, 'never')");
const DISABLED_COUNT = sql('SELECT count(*) AS n FROM jobs WHERE archived = 0 AND enabled = 0');
const FAILING = sql(`SELECT j.id AS job_id, j.name AS job_name, j.last_run_id AS run_id, j.last_run_at AS at, r.error
  FROM jobs j JOIN runs r ON r.id = j.last_run_id
  WHERE j.archived = 0 AND j.last_status = 'FAILED' ORDER BY j.last_run_at DESC, j.id DESC LIMIT ${CAP.failing}`);
const FAILING_COUNT = sql("SELECT count(*) AS n FROM jobs WHERE archived = 0 AND last_status = 'FAILED'");
const LAST_STDERR = sql(`SELECT text FROM log_lines WHERE run_id = ? AND stream = ${STDERR} ORDER BY seq DESC LIMIT 1`);
const RUNNING = sql(`SELECT r.id AS run_id, r.job_id, j.name AS job_name, r.started_at, r.progress_pct, r.progress_msg
  FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.status = 'IN_PROGRESS'
  ORDER BY r.started_at IS NULL, r.started_at, r.id LIMIT ${CAP.running}`);
const RUNNING_COUNT = sql("SELECT count(*) AS n FROM runs WHERE status = 'IN_PROGRESS'");
const QUEUED_COUNT = sql("SELECT count(*) AS n FROM runs WHERE status = 'QUEUED'");
const USUAL = sql(`SELECT finished_at - started_at AS ms FROM runs WHERE job_id = ? AND status = 'SUCCEEDED'
  AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY queued_at DESC LIMIT ${USUAL_SAMPLE}`);
const NEXT = sql(`SELECT id AS job_id, name AS job_name, next_fire_at AS at FROM jobs
  WHERE archived = 0 AND enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ${CAP.next}`);
const NEXT_COUNT = sql('SELECT count(*) AS n FROM jobs WHERE archived = 0 AND enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ?');
const HOURS = sql(`SELECT queued_at / ${HOUR} AS h, count(*) AS runs, sum(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END) AS failed
  FROM runs WHERE queued_at >= ? GROUP BY queued_at / ${HOUR}`);
const SLOWEST = sql(`SELECT s.job_id, j.name AS job_name, s.runs, s.usual, s.last_id, l.finished_at - l.started_at AS last_ms
  FROM (SELECT job_id, count(*) AS runs, CAST(avg(finished_at - started_at) AS BIGINT) AS usual, max(id) AS last_id
        FROM runs WHERE queued_at >= ? AND status IN ('SUCCEEDED', 'FAILED') AND started_at IS NOT NULL AND finished_at IS NOT NULL
        GROUP BY job_id) s
  JOIN jobs j ON j.id = s.job_id JOIN runs l ON l.id = s.last_id
  WHERE j.archived = 0 ORDER BY s.usual DESC, s.job_id LIMIT ${CAP.slowest}`);
const LOCKS = sql(`SELECT l.name, l.job_id, j.name AS job_name, l.run_id, l.acquired_at FROM locks l
  JOIN jobs j ON j.id = l.job_id ORDER BY l.acquired_at, l.name LIMIT ${CAP.locks}`);
const LOCKS_COUNT = sql('SELECT count(*) AS n FROM locks');

function* count(statement: Sql, ...args: unknown[]): Work<number> {
  return Number((yield* value<number>(statement, 'n', ...args)) ?? 0);
}

/** The overview as of `now` (ms). */
function* dashboard(now: number): Work<Dashboard> {
  const byLastStatus = { SUCCEEDED: 0, FAILED: 0, CANCELLED: 0, IN_PROGRESS: 0, QUEUED: 0, never: 0 };
  let total = 0;
  for (const { s, n } of yield* all<{ s: keyof typeof byLastStatus; n: number }>(STATUS_COUNTS)) {
    if (s in byLastStatus) byLastStatus[s] += n;
    total += n;
  }
  const failing = [];
  for (const r of yield* all<{ job_id: number; job_name: string; run_id: number; at: number; error: string | null }>(FAILING)) {
    const lastLine = yield* value<string>(LAST_STDERR, 'text', r.run_id);
    failing.push({ jobId: r.job_id, jobName: r.job_name, runId: r.run_id, at: isoOf(r.at), error: cut(r.error), lastLine: cut(lastLine ?? null) });
  }
  type RunningRow = { run_id: number; job_id: number; job_name: string; started_at: number | null; progress_pct: number | null; progress_msg: string | null };
  const running = [];
  for (const r of yield* all<RunningRow>(RUNNING)) {
    const usual = (yield* all<{ ms: number }>(USUAL, r.job_id)).map((u) => u.ms);
    running.push({
      runId: r.run_id,
      jobId: r.job_id,
      jobName: r.job_name,
      startedAt: iso(r.started_at),
      percent: r.progress_pct,
      message: cut(r.progress_msg),
      usualMs: median(usual),
    });
  }
  const horizon = now + 24 * HOUR;
  const next = (yield* all<{ job_id: number; job_name: string; at: number }>(NEXT, horizon)).map((r) => ({ jobId: r.job_id, jobName: r.job_name, at: isoOf(r.at) }));
  // 168 whole hours ending with the current one, oldest first, empty hours included.
  const currentHour = Math.floor(now / HOUR);
  const firstHour = currentHour - DASHBOARD_HOURS + 1;
  const counted = new Map<number, { runs: number; failed: number }>();
  for (const r of yield* all<{ h: number; runs: number; failed: number }>(HOURS, firstHour * HOUR)) counted.set(Number(r.h), { runs: Number(r.runs), failed: Number(r.failed) });
  const hours = Array.from({ length: DASHBOARD_HOURS }, (_, i) => {
    const c = counted.get(firstHour + i);
    return { at: isoOf((firstHour + i) * HOUR), runs: c?.runs ?? 0, failed: c?.failed ?? 0 };
  });
  type SlowRow = { job_id: number; job_name: string; runs: number; usual: number; last_id: number; last_ms: number };
  const slowest = (yield* all<SlowRow>(SLOWEST, now - DASHBOARD_HOURS * HOUR)).map((r) => ({
    jobId: r.job_id,
    jobName: r.job_name,
    runs: Number(r.runs),
    usualMs: Math.max(0, Number(r.usual)),
    lastRunId: r.last_id,
    lastMs: Math.max(0, r.last_ms),
  }));
  type LockRow = { name: string; job_id: number; job_name: string; run_id: number; acquired_at: number };
  const locks = (yield* all<LockRow>(LOCKS)).map((l) => ({ name: l.name, jobId: l.job_id, jobName: l.job_name, runId: l.run_id, since: isoOf(l.acquired_at) }));
  return {
    at: isoOf(now),
    jobs: { total, disabled: yield* count(DISABLED_COUNT), byLastStatus },
    failing,
    failingTotal: yield* count(FAILING_COUNT),
    running,
    runningTotal: yield* count(RUNNING_COUNT),
    queued: yield* count(QUEUED_COUNT),
    next,
    nextTotal: yield* count(NEXT_COUNT, horizon),
    hours,
    slowest,
    locks,
    locksTotal: yield* count(LOCKS_COUNT),
  };
}

export const dashboardPart: StorePart<{ dashboard: typeof dashboard }, Record<string, never>> = { reads: { dashboard }, writes: {} };

export interface DashboardStore {
  dashboard(now: number): Dashboard;
}
