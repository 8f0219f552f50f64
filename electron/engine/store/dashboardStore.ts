/**
 * The dashboard's read: a handful of indexed aggregate queries, every list
 * capped, run in one read transaction so its counts agree with each other.
 */
import { iso } from '../../../shared/dates';
import { DASHBOARD_HOURS, DASHBOARD_LIMITS as CAP, type Dashboard } from '../../../shared/model/dashboard';
import type { Db } from './database';

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

export class DashboardStore {
  private readonly statusCounts;
  private readonly disabledCount;
  private readonly failingStmt;
  private readonly failingCount;
  private readonly lastStderr;
  private readonly runningStmt;
  private readonly runningCount;
  private readonly queuedCount;
  private readonly usualStmt;
  private readonly nextStmt;
  private readonly nextCount;
  private readonly hoursStmt;
  private readonly slowestStmt;
  private readonly locksStmt;
  private readonly locksCount;
  private readonly read;

  constructor(db: Db) {
    this.statusCounts = db.prepare("SELECT COALESCE(last_status, 'never') AS s, count(*) AS n FROM jobs WHERE archived = 0 GROUP BY s");
    this.disabledCount = db.prepare('SELECT count(*) FROM jobs WHERE archived = 0 AND enabled = 0').pluck();
    this.failingStmt = db.prepare(`SELECT j.id AS job_id, j.name AS job_name, j.last_run_id AS run_id, j.last_run_at AS at, r.error
      FROM jobs j JOIN runs r ON r.id = j.last_run_id
      WHERE j.archived = 0 AND j.last_status = 'FAILED' ORDER BY j.last_run_at DESC, j.id DESC LIMIT ${CAP.failing}`);
    this.failingCount = db.prepare("SELECT count(*) FROM jobs WHERE archived = 0 AND last_status = 'FAILED'").pluck();
    this.lastStderr = db.prepare(`SELECT text FROM log_lines WHERE run_id = ? AND stream = ${STDERR} ORDER BY seq DESC LIMIT 1`).pluck();
    this.runningStmt = db.prepare(`SELECT r.id AS run_id, r.job_id, j.name AS job_name, r.started_at, r.progress_pct, r.progress_msg
      FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.status = 'IN_PROGRESS'
      ORDER BY r.started_at IS NULL, r.started_at, r.id LIMIT ${CAP.running}`);
    this.runningCount = db.prepare("SELECT count(*) FROM runs WHERE status = 'IN_PROGRESS'").pluck();
    this.queuedCount = db.prepare("SELECT count(*) FROM runs WHERE status = 'QUEUED'").pluck();
    this.usualStmt = db
      .prepare(`SELECT finished_at - started_at FROM runs WHERE job_id = ? AND status = 'SUCCEEDED'
        AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY queued_at DESC LIMIT ${USUAL_SAMPLE}`)
      .pluck();
    this.nextStmt = db.prepare(`SELECT id AS job_id, name AS job_name, next_fire_at AS at FROM jobs
      WHERE archived = 0 AND enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at, id LIMIT ${CAP.next}`);
    this.nextCount = db
      .prepare('SELECT count(*) FROM jobs WHERE archived = 0 AND enabled = 1 AND next_fire_at IS NOT NULL AND next_fire_at <= ?')
      .pluck();
    this.hoursStmt = db.prepare(`SELECT queued_at / ${HOUR} AS h, count(*) AS runs, sum(status = 'FAILED') AS failed
      FROM runs WHERE queued_at >= ? GROUP BY h`);
    this.slowestStmt = db.prepare(`SELECT s.job_id, j.name AS job_name, s.runs, s.usual, s.last_id, l.finished_at - l.started_at AS last_ms
      FROM (SELECT job_id, count(*) AS runs, CAST(avg(finished_at - started_at) AS INTEGER) AS usual, max(id) AS last_id
            FROM runs WHERE queued_at >= ? AND status IN ('SUCCEEDED', 'FAILED') AND started_at IS NOT NULL AND finished_at IS NOT NULL
            GROUP BY job_id) s
      JOIN jobs j ON j.id = s.job_id JOIN runs l ON l.id = s.last_id
      WHERE j.archived = 0 ORDER BY s.usual DESC, s.job_id LIMIT ${CAP.slowest}`);
    this.locksStmt = db.prepare(`SELECT l.name, l.job_id, j.name AS job_name, l.run_id, l.acquired_at FROM locks l
      JOIN jobs j ON j.id = l.job_id ORDER BY l.acquired_at, l.name LIMIT ${CAP.locks}`);
    this.locksCount = db.prepare('SELECT count(*) FROM locks').pluck();
    this.read = db.transaction((now: number) => this.assemble(now));
  }

  /** The overview as of `now` (ms). */
  dashboard(now: number): Dashboard {
    // A deferred transaction: one snapshot for every query, without taking the write lock.
    return this.read.deferred(now);
  }

  private assemble(now: number): Dashboard {
    const byLastStatus = { SUCCEEDED: 0, FAILED: 0, CANCELLED: 0, IN_PROGRESS: 0, QUEUED: 0, never: 0 };
    let total = 0;
    for (const { s, n } of this.statusCounts.all() as { s: keyof typeof byLastStatus; n: number }[]) {
      if (s in byLastStatus) byLastStatus[s] += n;
      total += n;
    }
    const failing = (this.failingStmt.all() as { job_id: number; job_name: string; run_id: number; at: number; error: string | null }[]).map((r) => ({
      jobId: r.job_id,
      jobName: r.job_name,
      runId: r.run_id,
      at: isoOf(r.at),
      error: cut(r.error),
      lastLine: cut((this.lastStderr.get(r.run_id) as string | undefined) ?? null),
    }));
    type RunningRow = { run_id: number; job_id: number; job_name: string; started_at: number | null; progress_pct: number | null; progress_msg: string | null };
    const running = (this.runningStmt.all() as RunningRow[]).map((r) => ({
      runId: r.run_id,
      jobId: r.job_id,
      jobName: r.job_name,
      startedAt: iso(r.started_at),
      percent: r.progress_pct,
      message: cut(r.progress_msg),
      usualMs: median(this.usualStmt.all(r.job_id) as number[]),
    }));
    const horizon = now + 24 * HOUR;
    const next = (this.nextStmt.all(horizon) as { job_id: number; job_name: string; at: number }[]).map((r) => ({
      jobId: r.job_id,
      jobName: r.job_name,
      at: isoOf(r.at),
    }));
    // 168 whole hours ending with the current one, oldest first, empty hours included.
    const currentHour = Math.floor(now / HOUR);
    const firstHour = currentHour - DASHBOARD_HOURS + 1;
    const counted = new Map<number, { runs: number; failed: number }>();
    for (const r of this.hoursStmt.all(firstHour * HOUR) as { h: number; runs: number; failed: number }[]) counted.set(r.h, r);
    const hours = Array.from({ length: DASHBOARD_HOURS }, (_, i) => {
      const c = counted.get(firstHour + i);
      return { at: isoOf((firstHour + i) * HOUR), runs: c?.runs ?? 0, failed: c?.failed ?? 0 };
    });
    type SlowRow = { job_id: number; job_name: string; runs: number; usual: number; last_id: number; last_ms: number };
    const slowest = (this.slowestStmt.all(now - DASHBOARD_HOURS * HOUR) as SlowRow[]).map((r) => ({
      jobId: r.job_id,
      jobName: r.job_name,
      runs: r.runs,
      usualMs: Math.max(0, r.usual),
      lastRunId: r.last_id,
      lastMs: Math.max(0, r.last_ms),
    }));
    type LockRow = { name: string; job_id: number; job_name: string; run_id: number; acquired_at: number };
    const locks = (this.locksStmt.all() as LockRow[]).map((l) => ({
      name: l.name,
      jobId: l.job_id,
      jobName: l.job_name,
      runId: l.run_id,
      since: isoOf(l.acquired_at),
    }));
    return {
      at: isoOf(now),
      jobs: { total, disabled: this.disabledCount.get() as number, byLastStatus },
      failing,
      failingTotal: this.failingCount.get() as number,
      running,
      runningTotal: this.runningCount.get() as number,
      queued: this.queuedCount.get() as number,
      next,
      nextTotal: this.nextCount.get(horizon) as number,
      hours,
      slowest,
      locks,
      locksTotal: this.locksCount.get() as number,
    };
  }
}
