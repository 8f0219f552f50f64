/**
 * Runs in the store: reads, and the intents that move a run through its
 * states. Each intent is one transaction; the run state machine is their only
 * caller for transitions, so this is the one place a run's status is written.
 */
import { JobdeckError } from '../../../shared/errors';
import { isRetryable, type FailureCode, type RunTrigger } from '../../../shared/model/run';
import type { NewAudit } from './tables/auditTable';
import type { PendingLine } from './tables/logsTable';
import type { ResultFileRow, RunEnd, RunListFilter } from './tables/runsTable';
import { insertRun, type QueueRequest } from './runRules';
import type { JobRow, RunRow } from './rows';
import type { Tables, Tx } from './tables';

export type { QueueRequest, ResultFileRow, RunEnd, RunListFilter };

const SYSTEM_STREAM = 0;

export interface FoundFile {
  name: string;
  size: number;
  sha256: string;
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

/** The end of a run, and what to release with it. */
export interface EndRecord {
  runId: number;
  jobId: number;
  end: RunEnd;
  files: FoundFile[];
  lock: string | null;
  /** Queue the next attempt if the failure is retryable and the job allows more (in the same transaction). */
  retry: { owner: string; now: number } | null;
}

/** Changes of running runs, written together with a batch of log lines. */
export type RunOp =
  | { kind: 'running'; runId: number; pid: number; at: number }
  | { kind: 'progress'; runId: number; percent: number; message: string; lastSeq: number }
  | { kind: 'finishing'; runId: number; lastSeq: number }
  | { kind: 'truncated'; runId: number }
  | { kind: 'audit'; entry: NewAudit }
  | { kind: 'end'; record: EndRecord };

export interface BatchResult {
  /** Retries queued by `end` ops. */
  retries: RunRow[];
}

export class RunsStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  // ----- reads -----

  get(id: number): RunRow | undefined {
    return this.t.runs.get(id);
  }

  list(filter: RunListFilter): { rows: RunRow[]; total: number } {
    return this.t.runs.list(filter);
  }

  files(runId: number): ResultFileRow[] {
    return this.t.runs.files(runId);
  }

  file(runId: number, name: string): ResultFileRow | undefined {
    return this.t.runs.file(runId, name);
  }

  unfinished(owner?: string): RunRow[] {
    return this.t.runs.unfinished(owner);
  }

  unfinishedOwners(): string[] {
    return this.t.runs.unfinishedOwners();
  }

  cancelRequested(owner: string): { id: number; cancel_by: string }[] {
    return this.t.runs.cancelRequested(owner);
  }

  beyondRetention(jobId: number, keep: number): number[] {
    return this.t.runs.beyondRetention(jobId, keep);
  }

  // ----- intents -----

  /** A run is asked for: checks the job's rules and records it QUEUED. */
  queue(req: QueueRequest, owner: string, now: number): RunRow {
    return this.tx(() => insertRun(this.t, req, owner, now));
  }

  /**
   * Scheduled fires and the jobs' next fire times, together. A fire the
   * job's overlap policy refuses, or one already recorded (by another
   * process), is counted as refused.
   */
  recordFires(fires: readonly FireRecord[], next: readonly [jobId: number, at: number | null][], owner: string, now: number) {
    return this.tx(() => {
      for (const [jobId, at] of next) this.t.jobs.setNextFire(jobId, at);
      const created: RunRow[] = [];
      let refused = 0;
      for (const f of fires) {
        try {
          created.push(insertRun(this.t, { jobId: f.jobId, trigger: f.trigger, by: 'scheduler', dueAt: f.dueAt }, owner, now));
        } catch (err) {
          if (isRefusal(err) || isUniqueViolation(err)) refused += 1;
          else throw err;
        }
      }
      return { created, refused };
    });
  }

  /**
   * QUEUED -> IN_PROGRESS (phase STARTING) for each run that may start: no
   * other run of its job in progress (checked here and enforced by a unique
   * index), its lock free. Records the script version it will run.
   */
  claim(runIds: readonly number[], owner: string, now: number): ClaimResult[] {
    return this.tx(() => runIds.map((runId) => this.claimOne(runId, owner, now)));
  }

  private claimOne(runId: number, owner: string, now: number): ClaimResult {
    const run = this.t.runs.get(runId);
    if (!run || run.status !== 'QUEUED') return { runId, outcome: 'gone' };
    if (run.cancel_by !== null) {
      this.endQueued(run, run.cancel_by, now);
      return { runId, outcome: 'cancelled' };
    }
    const job = this.t.jobs.get(run.job_id);
    if (!job) return { runId, outcome: 'gone' };
    if (this.t.runs.inProgress(job.id) !== undefined) return { runId, outcome: 'blocked' };
    if (job.lock_name && !this.t.locks.acquire(job.lock_name, runId, job.id, owner, now)) return { runId, outcome: 'blocked' };
    try {
      if (!this.t.runs.claim(runId, job.script_md5)) return { runId, outcome: 'gone' };
    } catch (err) {
      // The unique index behind the check above: another run of the job is in progress.
      if (!isUniqueViolation(err)) throw err;
      if (job.lock_name) this.t.locks.release(job.lock_name, runId);
      return { runId, outcome: 'blocked' };
    }
    this.t.jobs.setLastRun(job.id, runId, 'IN_PROGRESS', now);
    return { runId, outcome: 'started', run: { ...run, status: 'IN_PROGRESS', phase: 'STARTING', script_md5: job.script_md5 }, job };
  }

  /** Log lines and changes of running runs, in one transaction (the writer's batch). */
  commitBatch(lines: readonly PendingLine[], ops: readonly RunOp[]): BatchResult {
    return this.tx(() => {
      this.t.logs.insertMany(lines);
      const retries: RunRow[] = [];
      for (const op of ops) {
        switch (op.kind) {
          case 'running':
            this.t.runs.running(op.runId, op.at, op.pid);
            break;
          case 'progress':
            this.t.runs.setProgress(op.runId, op.percent, op.message, op.lastSeq);
            break;
          case 'finishing':
            this.t.runs.phase(op.runId, 'FINISHING', op.lastSeq);
            break;
          case 'truncated':
            this.t.runs.markTruncated(op.runId);
            break;
          case 'audit':
            this.t.audit.add(op.entry);
            break;
          case 'end': {
            const retry = this.endRun(op.record);
            if (retry) retries.push(retry);
            break;
          }
        }
      }
      return { retries };
    });
  }

  /** Records that someone asked to cancel a run (the process running it acts on it). */
  requestCancel(run: Pick<RunRow, 'id' | 'job_id' | 'job_name'>, by: string, now: number): void {
    this.tx(() => {
      this.t.runs.requestCancel(run.id, by);
      this.t.audit.add({ at: now, actor: by, action: 'run.cancel', targetType: 'run', targetId: run.id, targetName: run.job_name, jobId: run.job_id });
    });
  }

  /** QUEUED -> CANCELLED (it never started); false when it was no longer queued. */
  cancelQueued(runId: number, by: string, now: number): boolean {
    return this.tx(() => {
      const run = this.t.runs.get(runId);
      if (!run || run.status !== 'QUEUED') return false;
      this.endQueued(run, by, now);
      return true;
    });
  }

  /**
   * Runs left QUEUED or IN_PROGRESS by a process that is gone -> FAILED
   * (INTERRUPTED), keeping their logs; the locks it held are released.
   * With `retryOwner`, retryable ones get their next attempt queued for it.
   */
  interruptOwner(owner: string, now: number, retryOwner: string | null): { interrupted: RunRow[]; retries: RunRow[] } {
    return this.tx(() => {
      const interrupted = this.t.runs.unfinished(owner);
      const retries: RunRow[] = [];
      for (const run of interrupted) {
        const text =
          run.status === 'IN_PROGRESS'
            ? 'Interrupted: the Jobdeck process running this run stopped before it finished'
            : 'Interrupted: the Jobdeck process that queued this run stopped before it started';
        const seq = this.appendSystemLine(run.id, now, text);
        const retry = this.endRun({
          runId: run.id,
          jobId: run.job_id,
          end: { status: 'FAILED', failure: 'INTERRUPTED', finishedAt: now, exitCode: null, signal: null, error: 'interrupted', lastSeq: seq, resultFile: null },
          files: [],
          lock: null,
          retry: retryOwner ? { owner: retryOwner, now } : null,
        });
        if (retry) retries.push(retry);
      }
      for (const lock of this.t.locks.list()) if (lock.owner === owner) this.t.locks.break(lock.name);
      return { interrupted, retries };
    });
  }

  /** Deletes up to `chunk` log lines of a run (retention works through a big log in steps). */
  deleteLogs(runId: number, chunk: number): number {
    return this.t.logs.deleteSome(runId, chunk);
  }

  /** Deletes a finished run with what is left of its log and its result-file rows. */
  deleteRun(runId: number): void {
    this.tx(() => {
      this.t.logs.deleteSome(runId, Number.MAX_SAFE_INTEGER);
      this.t.runs.delete(runId);
    });
  }

  // ----- inside transactions -----

  private appendSystemLine(runId: number, now: number, text: string): number {
    const seq = this.t.logs.maxSeq(runId) + 1;
    this.t.logs.insertMany([{ runId, seq, ts: now, stream: SYSTEM_STREAM, text }]);
    return seq;
  }

  private endQueued(run: RunRow, by: string, now: number): void {
    const seq = this.appendSystemLine(run.id, now, `Cancelled by ${by} before it started`);
    this.endRun({
      runId: run.id,
      jobId: run.job_id,
      end: { status: 'CANCELLED', failure: 'CANCELLED', finishedAt: now, exitCode: null, signal: null, error: `cancelled by ${by}`, lastSeq: seq, resultFile: null },
      files: [],
      lock: null,
      retry: null,
    });
  }

  /** Ends a run: status, files, its lock, the job's last run; queues a retry when due. */
  private endRun(r: EndRecord): RunRow | null {
    if (!this.t.runs.end(r.runId, r.end)) return null;
    for (const f of r.files) this.t.runs.addFile(r.runId, f.name, f.size, f.sha256, f.name === r.end.resultFile);
    if (r.lock) this.t.locks.release(r.lock, r.runId);
    this.t.jobs.setLastRun(r.jobId, r.runId, r.end.status, r.end.finishedAt);
    if (!r.retry || r.end.status !== 'FAILED' || !isRetryable(r.end.failure)) return null;
    return this.queueRetry(r.runId, r.end.failure, r.retry.owner, r.retry.now);
  }

  private queueRetry(runId: number, failure: FailureCode | null, owner: string, now: number): RunRow | null {
    const run = this.t.runs.get(runId);
    const job = run && this.t.jobs.get(run.job_id);
    if (!run || !job || job.archived || run.attempt > job.retry_count) return null;
    try {
      return insertRun(
        this.t,
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
        },
        owner,
        now,
      );
    } catch (err) {
      if (!isRefusal(err)) throw err;
      // Say so in the failed run's log rather than retry silently never.
      const seq = this.appendSystemLine(run.id, now, `Not retried (${failure}): ${(err as Error).message}`);
      this.t.runs.raiseLastSeq(run.id, seq);
      return null;
    }
  }
}

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

/** A queue refused by the job's rules (archived, overlap, parameters), as opposed to a store failure. */
const isRefusal = (err: unknown): boolean => err instanceof JobdeckError;
