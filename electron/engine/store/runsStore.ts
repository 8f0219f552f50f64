/**
 * Runs in the store: reads, and the intents that move a run through its
 * states. Each intent is one transaction; the run state machine is their only
 * caller for transitions, so this is the one place a run's status is written.
 * Written once for both backends (work.ts).
 */
import { JobdeckError, notFound } from '../../../shared/errors';
import type { RunTrigger } from '../../../shared/model/run';
import { gateProblem, queueDueDependents, recordSkippedFire } from './dependencyRules';
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { locksTable } from './tables/locksTable';
import { logsTable } from './tables/logsTable';
import { runsTable } from './tables/runsTable';
import { tasksTable } from './tables/tasksTable';
import { fireKey, fireRefusalsTable } from './tables/fireRefusalsTable';
import { isUniqueViolation, type Performed, type StorePart, type Work } from './work';
import { notifyMissed } from './notifyRules';
import { appendSystemLine, endInterrupted, endQueued, endRun, lockedUnfinished, type EndRecord, type FoundFile } from './runEnds';
import { PENDING_STATE, type TaskState } from './taskRows';
import type { NewAudit } from './tables/auditTable';
import type { PendingLine } from './tables/logsTable';
import type { ResultFileRow, RunEnd, RunListFilter } from './tables/runsTable';
import { insertRun, insertRunOfJob, type LockedJob, type QueueRequest } from './runRules';
import type { JobRow, RunRow } from './rows';

export type { EndRecord, FoundFile, QueueRequest, ResultFileRow, RunEnd, RunListFilter };


/** A fire missed while the engine was down. */
export interface MissedFire {
  jobId: number;
  dueAt: number;
  caughtUp: boolean;
}

/** How recordFires treats refusals (see there). */
export interface FireOptions {
  /** The database is shared with other nodes: record the fires the jobs' policies refuse, and refuse those a node refused. */
  shared?: boolean;
  /**
   * Only fires at least this late (ms) can have been refused by another
   * node (it checks a fire a delay after it was due), so only they are
   * looked up: a node recording its fires on time pays no statement for it.
   */
  checkedAfterMs?: number;
}

/** A scheduled fire to record as a run. */
export interface FireRecord {
  jobId: number;
  dueAt: number;
  trigger: Extract<RunTrigger, 'schedule' | 'catch-up'>;
}

export type ClaimResult =
  | { runId: number; outcome: 'started'; run: RunRow; job: JobRow }
  /** Cannot start yet: its job has a run in progress, or its lock is held. */
  | { runId: number; outcome: 'blocked' }
  /** No longer queued (finished, deleted, or its job is gone). */
  | { runId: number; outcome: 'gone' }
  /** A cancel was requested before it started: recorded as CANCELLED now. */
  | { runId: number; outcome: 'cancelled' };

/** Changes of running runs, written together with a batch of log lines. */
export type RunOp =
  | { kind: 'running'; runId: number; pid: number | null; at: number }
  | { kind: 'progress'; runId: number; percent: number; message: string; lastSeq: number }
  | { kind: 'finishing'; runId: number; lastSeq: number }
  | { kind: 'truncated'; runId: number }
  | { kind: 'audit'; entry: NewAudit }
  | { kind: 'end'; record: EndRecord }
  /** A workflow task run's new state. */
  | { kind: 'task'; runId: number; idx: number; state: TaskState };

export interface BatchResult {
  /** Retries queued by `end` ops. */
  retries: RunRow[];
}

/** Fires asked about in one statement (two values each). */
const UNRECORDED_CHUNK = 250;

const reads = {
  get: runsTable.get,
  existingAmong: runsTable.existingAmong,
  /**
   * The fires no node has recorded a run or a refusal for (of those given)
   * that their jobs' overlap policies would take now, asked in one statement
   * per chunk.
   */
  *unrecordedFires(fires: readonly FireRecord[]): Work<FireRecord[]> {
    const out: FireRecord[] = [];
    for (let i = 0; i < fires.length; i += UNRECORDED_CHUNK) {
      const chunk = fires.slice(i, i + UNRECORDED_CHUNK);
      const rows = yield* runsTable.unrecordedFires(chunk.map((f) => [f.jobId, f.dueAt] as const));
      const unrecorded = new Set(rows.map((r) => fireKey(Number(r.job_id), Number(r.due_at))));
      for (const f of chunk) if (unrecorded.has(fireKey(f.jobId, f.dueAt))) out.push(f);
    }
    return out;
  },
  list: runsTable.list,
  files: runsTable.files,
  file: runsTable.file,
  unfinished: runsTable.unfinished,
  unfinishedOwners: runsTable.unfinishedOwners,
  cancelRequested: runsTable.cancelRequested,
  beyondRetention: runsTable.beyondRetention,
};

/**
 * Claims one run, its job's row already locked by the caller (claim); `seen`
 * was read before that. `busy`: the jobs with a run in progress, read under
 * those locks (a run claimed here is added).
 */
function* claimOne(runId: number, seen: RunRow | undefined, job: JobRow | undefined, busy: Set<number>, owner: string, now: number): Work<ClaimResult> {
  if (!seen || seen.status !== 'QUEUED' || !job) return { runId, outcome: 'gone' };
  if (seen.cancel_by !== null) return yield* cancelIfAsked(runId, now);
  if (busy.has(job.id)) return { runId, outcome: 'blocked' };
  if (job.lock_name && !(yield* locksTable.acquire(job.lock_name, runId, job.id, owner, now))) return { runId, outcome: 'blocked' };
  let claimed: Omit<RunRow, 'job_name'> | undefined;
  try {
    // Only if still queued with no cancel asked for (either may have changed since `seen`); the row as claimed comes back.
    claimed = yield* runsTable.claim(runId, job.script_md5);
  } catch (err) {
    // The unique index behind the check above: another run of the job is in progress (another process or node claimed it).
    if (!isUniqueViolation(err)) throw err;
    if (job.lock_name) yield* locksTable.release(job.lock_name, runId);
    return { runId, outcome: 'blocked' };
  }
  if (!claimed) {
    if (job.lock_name) yield* locksTable.release(job.lock_name, runId);
    return yield* cancelIfAsked(runId, now);
  }
  busy.add(job.id);
  yield* jobsTable.setLastRun(job.id, runId, 'IN_PROGRESS', now);
  return { runId, outcome: 'started', run: { ...claimed, job_name: job.name }, job };
}

/** A queued run whose cancel was asked for is ended CANCELLED (read now, under its job's lock); any other is gone from the claim. */
function* cancelIfAsked(runId: number, now: number): Work<ClaimResult> {
  const run = yield* runsTable.get(runId);
  if (run?.status !== 'QUEUED' || run.cancel_by === null) return { runId, outcome: 'gone' };
  yield* endQueued(run, run.cancel_by, now);
  return { runId, outcome: 'cancelled' };
}

const writes = {
  /** A run is asked for: checks the job's rules and records it QUEUED. */
  queue(req: QueueRequest, owner: string, now: number): Work<RunRow> {
    return insertRun(req, owner, now);
  },

  /**
   * Scheduled fires and the jobs' next fire times, together. A fire the
   * job's overlap policy refuses, or one already recorded (by another
   * process), is counted as refused. On a shared database (`shared`) a
   * policy's refusal is recorded, and a fire some node refused is refused
   * again: a node checking another's fires, or an owner that lagged behind
   * such a check (`checkedAfterMs`). Asked under the jobs' row locks (even
   * one job's), so a refusal committed after a checking node's first look
   * (unrecordedFires) counts too.
   */
  *recordFires(
    fires: readonly FireRecord[],
    next: readonly [jobId: number, at: number | null][],
    owner: string,
    now: number,
    missed: readonly MissedFire[] = [],
    { shared = false, checkedAfterMs = 0 }: FireOptions = {},
  ): Work<{ created: RunRow[]; skipped: RunRow[]; refused: number }> {
    const checked = shared ? fires.filter((f) => now - f.dueAt >= checkedAfterMs) : [];
    // Every job this writes, fired or only given its next fire (a start-up's jobs with none stored), locked first, in one
    // statement. When only fired jobs are written (each tick), that statement reads their rows, and one more their unfinished
    // runs, for every fire: not two statements per fire.
    const fireJobs = new Set(fires.map((f) => f.jobId));
    const others = [...missed.map((m) => m.jobId), ...next.map(([jobId]) => jobId)].filter((id) => !fireJobs.has(id));
    let locked: Map<number, LockedJob> | null = null;
    if (others.length === 0 && fireJobs.size > 0) {
      const rows = yield* jobsTable.lockRows(fireJobs);
      const active = yield* runsTable.activeAmong(rows.keys());
      locked = new Map([...rows].map(([id, job]) => [id, { job, active: active.get(id) ?? [] }]));
    } else {
      yield* jobsTable.lockInOrder([...fireJobs, ...others], { evenOne: checked.length > 0 });
    }
    for (const m of missed) yield* notifyMissed(m.jobId, m.dueAt, m.caughtUp, now);
    for (const [jobId, at] of next) yield* jobsTable.setNextFire(jobId, at);
    const refusedBefore = checked.length > 0 ? yield* fireRefusalsTable.among(checked.map((f) => [f.jobId, f.dueAt] as const)) : null;
    const created: RunRow[] = [];
    const skipped: RunRow[] = [];
    const refusals: [jobId: number, dueAt: number][] = [];
    let refused = 0;
    for (const f of fires) {
      if (refusedBefore?.has(fireKey(f.jobId, f.dueAt))) {
        refused += 1;
        continue;
      }
      try {
        const lockedJob = locked?.get(f.jobId);
        // A job gone since the fire was due: no row to hand over, and the usual read says so (not found, a refusal).
        const { row, job } = yield* insertRunOfJob({ jobId: f.jobId, trigger: f.trigger, by: 'scheduler', dueAt: f.dueAt }, owner, now, lockedJob);
        const why = yield* gateProblem(job, f.dueAt ?? now);
        if (why) {
          skipped.push(yield* recordSkippedFire(row, why, now));
          // Ended at once: not unfinished for the job's next fire in this batch.
          if (lockedJob) lockedJob.active = lockedJob.active.filter((r) => r.id !== row.id);
        } else created.push(row);
      } catch (err) {
        if (isRefusal(err)) refusals.push([f.jobId, f.dueAt]);
        else if (!isUniqueViolation(err)) throw err;
        refused += 1;
      }
    }
    if (shared) yield* fireRefusalsTable.addMany(refusals);
    return { created, skipped, refused };
  },

  /**
   * QUEUED -> IN_PROGRESS (phase STARTING) for each run that may start: no
   * other run of its job in progress (checked here and enforced by a unique
   * index), its lock free. Records the script version it will run.
   */
  *claim(runIds: readonly number[], owner: string, now: number): Work<ClaimResult[]> {
    // The runs are read first (one statement) for their jobs, whose rows are then locked before any run's is written
    // (one statement, ascending: see lockInOrder), whatever order the runs come in.
    const runs = yield* runsTable.among(runIds);
    const jobs = yield* jobsTable.lockRows([...runs.values()].map((r) => r.job_id));
    // Which of them have a run in progress, asked once for the batch now that their rows are held (no other claim of
    // their runs can commit meanwhile); the unique index on a job's IN_PROGRESS run stands behind it.
    const busy = yield* runsTable.inProgressAmong(jobs.keys());
    const results: ClaimResult[] = [];
    for (const runId of runIds) {
      const run = runs.get(runId);
      results.push(yield* claimOne(runId, run, run && jobs.get(run.job_id), busy, owner, now));
    }
    return results;
  },

  /** Log lines and changes of running runs, in one transaction (the writer's batch). */
  *commitBatch(lines: readonly PendingLine[], ops: readonly RunOp[]): Work<BatchResult> {
    // The runs' ends lock their jobs' rows: all of them first, in one order, even one, before any run's row (see lockInOrder).
    // Their rows are read by that statement, for the ends' notification rules (not read again per end).
    const endJobs = yield* jobsTable.lockRows(ops.flatMap((op) => (op.kind === 'end' ? [op.record.jobId] : [])));
    yield* logsTable.insertMany(lines);
    // A run that ends in this batch needs no FINISHING of its own: its end sets the phase and last line too, in the same commit.
    const ending = new Set(ops.flatMap((op) => (op.kind === 'end' ? [op.record.runId] : [])));
    const retries: RunRow[] = [];
    for (const op of ops) {
      if (op.kind === 'finishing' && ending.has(op.runId)) continue;
      switch (op.kind) {
        case 'running':
          yield* runsTable.running(op.runId, op.at, op.pid);
          break;
        case 'progress':
          yield* runsTable.setProgress(op.runId, op.percent, op.message, op.lastSeq);
          break;
        case 'finishing':
          yield* runsTable.phase(op.runId, 'FINISHING', op.lastSeq);
          break;
        case 'truncated':
          yield* runsTable.markTruncated(op.runId);
          break;
        case 'audit':
          yield* auditTable.add(op.entry);
          break;
        case 'task':
          yield* tasksTable.update(op.runId, op.idx, op.state);
          break;
        case 'end': {
          const retry = yield* endRun(op.record, endJobs.get(op.record.jobId));
          if (retry) retries.push(retry);
          break;
        }
      }
    }
    return { retries };
  },

  /** Records that someone asked to cancel a run (the process running it acts on it). */
  *requestCancel(run: Pick<RunRow, 'id' | 'job_id' | 'job_name'>, by: string, now: number): Work<void> {
    yield* runsTable.requestCancel(run.id, by);
    yield* auditTable.add({ at: now, actor: by, action: 'run.cancel', targetType: 'run', targetId: run.id, targetName: run.job_name, jobId: run.job_id });
  },

  /** QUEUED -> CANCELLED (it never started); false when it was no longer queued. */
  *cancelQueued(runId: number, by: string, now: number): Work<boolean> {
    const seen = yield* runsTable.get(runId);
    if (!seen || seen.status !== 'QUEUED') return false;
    // Its job's row before the run's (see lockInOrder); then read again: no claim of the job's runs is under way now.
    yield* jobsTable.lockRows([seen.job_id]);
    const run = yield* runsTable.get(runId);
    if (!run || run.status !== 'QUEUED') return false;
    yield* endQueued(run, by, now);
    return true;
  },

  /**
   * Runs left QUEUED or IN_PROGRESS by a process that is gone -> FAILED
   * (INTERRUPTED), keeping their logs; the locks it held are released.
   * With `retryOwner`, retryable ones get their next attempt queued for it.
   */
  *interruptOwner(owner: string, now: number, retryOwner: string | null): Work<{ interrupted: RunRow[]; retries: RunRow[] }> {
    const interrupted = yield* lockedUnfinished([owner]);
    const retries: RunRow[] = [];
    for (const run of interrupted) {
      const retry = yield* endInterrupted(run, now, retryOwner);
      if (retry) retries.push(retry);
    }
    for (const lock of yield* locksTable.list()) if (lock.owner === owner) yield* locksTable.break(lock.name);
    return { interrupted, retries };
  },

  /**
   * A finished workflow run -> QUEUED again, in its next round: the tasks
   * given are reset to run again, the others keep their outcome (successful
   * ones are reused). Its log keeps growing; a system line marks the re-run.
   */
  *reopen(runId: number, reset: readonly number[], note: string, by: string, owner: string, now: number): Work<RunRow> {
    const run = yield* runsTable.get(runId);
    if (!run) throw notFound('run', runId);
    if (!(yield* runsTable.reopen(runId, owner))) throw new JobdeckError('INVALID_STATE', `run ${runId} has not finished (${run.status}); re-run it once it has`, 'id');
    yield* tasksTable.clearReused(runId);
    yield* tasksTable.clearOnly(runId);
    for (const idx of reset) yield* tasksTable.update(runId, idx, PENDING_STATE);
    const seq = yield* appendSystemLine(runId, now, `Re-run by ${by} (round ${run.round + 1}): ${note}`);
    yield* runsTable.raiseLastSeq(runId, seq);
    yield* auditTable.add({ at: now, actor: by, action: 'run.rerun', targetType: 'run', targetId: runId, targetName: run.job_name, jobId: run.job_id, details: { round: run.round + 1, tasks: note } });
    return (yield* runsTable.get(runId))!;
  },

  /** Queues the jobs whose dependencies have all finished since their last run (trigger `dependency`). */
  queueDependents(owner: string, now: number): Work<RunRow[]> {
    return queueDueDependents(owner, now);
  },

  /**
   * Deletes finished runs, in order, with their log lines and result-file
   * rows, in one transaction that deletes at most `maxLines` log lines: a
   * run whose log does not fit in what is left stops the batch there (its
   * lines deleted so far stay deleted, the run itself stays, and it comes
   * first in `left`, with the runs after it). A run that is not finished
   * (re-run meanwhile) is kept with its log, and listed in `kept`.
   */
  *deleteFinishedRuns(runIds: readonly number[], maxLines: number): Work<{ deleted: number[]; kept: number[]; left: number[] }> {
    const deleted: number[] = [];
    const kept: number[] = [];
    const finished = yield* runsTable.finishedAmong(runIds);
    let budget = maxLines;
    for (let i = 0; i < runIds.length; i++) {
      const runId = runIds[i]!;
      if (!finished.has(runId)) {
        kept.push(runId);
        continue;
      }
      if (budget <= 0) return { deleted, kept, left: runIds.slice(i) };
      const removed = yield* logsTable.deleteSome(runId, budget);
      budget -= removed;
      // The budget ran out on this run's log: anything left of it waits for the next batch.
      if (budget <= 0 && (yield* logsTable.hasLines(runId))) {
        return { deleted, kept, left: runIds.slice(i) };
      }
      yield* runsTable.delete(runId);
      deleted.push(runId);
    }
    return { deleted, kept, left: [] };
  },
};

export const runsPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type RunsStore = Performed<typeof reads> & Performed<typeof writes>;

/** A queue refused by the job's rules (archived, overlap, parameters), as opposed to a store failure. */
const isRefusal = (err: unknown): boolean => err instanceof JobdeckError;
