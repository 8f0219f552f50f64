/**
 * How a run ends, inside the transaction of the intent that ends it: its
 * status, files, lock and the job's last run; a retry when one is due; the
 * task runs a workflow left open. Used by the runs store's intents only.
 */
import { JobdeckError } from '../../../shared/errors';
import { isRetryable, type FailureCode } from '../../../shared/model/run';
import { jobsTable } from './tables/jobsTable';
import { locksTable } from './tables/locksTable';
import { logsTable } from './tables/logsTable';
import { runsTable, type RunEnd } from './tables/runsTable';
import { tasksTable } from './tables/tasksTable';
import { notifyRunEnd, queueReports } from './notifyRules';
import { insertRun } from './runRules';
import type { JobRow, RunRow } from './rows';
import type { Work } from './work';

const SYSTEM_STREAM = 0;

export interface FoundFile {
  name: string;
  size: number;
  sha256: string;
}

/** The end of a run, and what to release with it. */
export interface EndRecord {
  runId: number;
  jobId: number;
  end: RunEnd;
  files: FoundFile[];
  lock: string | null;
  /** Queue the next attempt if the failure is retryable and the job allows more (in the same transaction). */
  retry: { owner: string; now: number } | null;
  /** Result files the script asked to have mailed (`::email FILE TO`). */
  reports?: { file: string; to: string }[];
}

export function* appendSystemLine(runId: number, now: number, text: string): Work<number> {
  const seq = (yield* logsTable.maxSeq(runId)) + 1;
  yield* logsTable.insertMany([{ runId, seq, ts: now, stream: SYSTEM_STREAM, text, task: null }]);
  return seq;
}

/**
 * Ends a run: status, files, its lock, the job's last run; queues a retry when
 * due. `job`: the run's job as the caller read it under its row lock (else read here).
 */
export function* endRun(r: EndRecord, job?: JobRow): Work<RunRow | null> {
  if (!(yield* runsTable.end(r.runId, r.end))) return null;
  for (const f of r.files) yield* runsTable.addFile(r.runId, f.name, f.size, f.sha256, f.name === r.end.resultFile);
  if (r.lock) yield* locksTable.release(r.lock, r.runId);
  yield* jobsTable.setLastRun(r.jobId, r.runId, r.end.status, r.end.finishedAt);
  const retry = r.retry && r.end.status === 'FAILED' && isRetryable(r.end.failure) ? (yield* queueRetry(r.runId, r.end.failure, r.retry.owner, r.retry.now)) : null;
  yield* notifyRunEnd(r.jobId, r.runId, r.end, retry !== null, r.retry?.now ?? r.end.finishedAt, job);
  if (r.reports?.length) yield* queueReports(r.jobId, r.runId, r.reports, r.files, r.retry?.now ?? r.end.finishedAt);
  return retry;
}

/** QUEUED -> CANCELLED: a run that never started (or a re-run that never started again). */
export function* endQueued(run: RunRow, by: string, now: number): Work<void> {
  const seq = yield* appendSystemLine(run.id, now, `Cancelled by ${by} before it started`);
  if (run.tasks !== null) {
    yield* tasksTable.closeOpen(run.id, { status: 'CANCELLED', failure: 'CANCELLED', error: `cancelled by ${by}` }, `the run was cancelled by ${by} before it started`, now);
  }
  yield* endRun({
    runId: run.id,
    jobId: run.job_id,
    end: { status: 'CANCELLED', failure: 'CANCELLED', finishedAt: now, exitCode: null, signal: null, error: `cancelled by ${by}`, lastSeq: seq, resultFile: null },
    files: [],
    lock: null,
    retry: null,
  });
}

/**
 * QUEUED | IN_PROGRESS -> FAILED (INTERRUPTED): the process running it is
 * gone. `cause` replaces the error and the log line (a node declared lost).
 */
export function* endInterrupted(run: RunRow, now: number, retryOwner: string | null, cause?: { error: string; text: string }): Work<RunRow | null> {
  const text =
    cause?.text ??
    (run.status === 'IN_PROGRESS'
      ? 'Interrupted: the Jobdeck process running this run stopped before it finished'
      : 'Interrupted: the Jobdeck process that queued this run stopped before it started');
  const error = cause?.error ?? 'interrupted';
  const seq = yield* appendSystemLine(run.id, now, text);
  if (run.tasks !== null) {
    yield* tasksTable.closeOpen(run.id, { status: 'FAILED', failure: 'INTERRUPTED', error }, 'not reached: the run was interrupted', now);
  }
  return yield* endRun({
    runId: run.id,
    jobId: run.job_id,
    end: { status: 'FAILED', failure: 'INTERRUPTED', finishedAt: now, exitCode: null, signal: null, error, lastSeq: seq, resultFile: null },
    files: [],
    lock: null,
    retry: retryOwner ? { owner: retryOwner, now } : null,
  });
}

/**
 * Processes' unfinished runs, for an intent that ends them: their jobs' rows
 * are locked first, all of them in one ascending statement however many
 * processes (see lockInOrder), then the runs read again, as they are now that
 * no claim or cancel of those jobs' runs is under way.
 */
export function* lockedUnfinished(owners: readonly string[]): Work<RunRow[]> {
  if (owners.length === 0) return [];
  const seen = yield* runsTable.unfinishedOf(owners);
  if (seen.length === 0) return seen;
  const locked = new Set((yield* jobsTable.lockRows(seen.map((r) => r.job_id))).keys());
  const runs = yield* runsTable.unfinishedOf(owners);
  // Runs of other jobs that appeared meanwhile (a retry queued for this owner): their rows too, before any run is written.
  const more = runs.map((r) => r.job_id).filter((id) => !locked.has(id));
  if (more.length > 0) yield* jobsTable.lockRows(more);
  return runs;
}

function* queueRetry(runId: number, failure: FailureCode | null, owner: string, now: number): Work<RunRow | null> {
  const run = yield* runsTable.get(runId);
  const job = run && (yield* jobsTable.get(run.job_id));
  if (!run || !job || job.archived || run.attempt > job.retry_count) return null;
  const only = run.tasks !== null || job.runtime === 'workflow' ? (yield* tasksTable.plan(run.id))?.only_path : null;
  try {
    return yield* insertRun(
      {
        jobId: job.id,
        trigger: 'retry',
        by: run.triggered_by,
        args: run.args,
        params: JSON.parse(run.params),
        useGivenParams: true,
        attempt: run.attempt + 1,
        retryOf: run.id,
        notBefore: now + job.retry_delay_s * 1000,
        ...(only ? { task: only } : {}),
      },
      owner,
      now,
    );
  } catch (err) {
    if (!(err instanceof JobdeckError)) throw err;
    // Say so in the failed run's log rather than retry silently never.
    const seq = yield* appendSystemLine(run.id, now, `Not retried (${failure}): ${err.message}`);
    yield* runsTable.raiseLastSeq(run.id, seq);
    return null;
  }
}
