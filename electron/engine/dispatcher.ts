/**
 * Starts queued runs: first in, first out, at most `concurrency` at a time,
 * at most one IN_PROGRESS run per job, and never two runs holding the same
 * lock name. A run that cannot start yet (its job is running, its lock is
 * held, a retry delay) waits without holding up the runs behind it.
 */
import type { Clock } from './clock';
import type { JobRow, RunRow } from './store/rows';
import type { Store } from './store/store';

export interface QueueEntry {
  runId: number;
  jobId: number;
  /** Not before this time (retry delays). */
  notBefore: number;
}

export interface DispatcherDeps {
  store: Store;
  clock: Clock;
  owner: string;
  concurrency: number;
  /** Starts the process of a run just marked IN_PROGRESS. */
  start(run: RunRow, job: JobRow): void;
  /** Records that a run started (written with the next batch). */
  persistStart(runId: number, jobId: number, at: number): void;
  /** A queued run was found cancelled before it started. */
  cancelledBeforeStart(run: RunRow): void;
  onError(err: unknown): void;
}

type Outcome = 'started' | 'blocked' | 'gone';

export class Dispatcher {
  private queue: QueueEntry[] = [];
  private readonly runningJobs = new Map<number, number>();
  private runningCount = 0;
  private pumping = false;
  private again = false;
  private wake: unknown = null;
  private wakeAt = Infinity;

  constructor(private readonly deps: DispatcherDeps) {}

  get running(): number {
    return this.runningCount;
  }

  get queued(): number {
    return this.queue.length;
  }

  get concurrency(): number {
    return this.deps.concurrency;
  }

  /** Adds runs at the back of the queue and starts what can start. */
  enqueue(entries: QueueEntry[]): void {
    for (const e of entries) this.queue.push(e);
    this.pump();
  }

  /** Takes a run out of the queue (cancelled before it started). */
  remove(runId: number): boolean {
    const i = this.queue.findIndex((e) => e.runId === runId);
    if (i === -1) return false;
    this.queue.splice(i, 1);
    return true;
  }

  private readonly released = new Set<number>();

  /**
   * A run's process has exited: its slot is free for another job's run,
   * while its outcome is still being recorded (its job stays busy until then).
   */
  release(runId: number): void {
    if (this.released.has(runId)) return;
    this.released.add(runId);
    this.runningCount = Math.max(0, this.runningCount - 1);
    this.pump();
  }

  /** A run of this dispatcher ended and its outcome is recorded: its job is free again. */
  finished(jobId: number, runId: number): void {
    if (this.runningJobs.get(jobId) === runId) this.runningJobs.delete(jobId);
    if (!this.released.delete(runId)) this.runningCount = Math.max(0, this.runningCount - 1);
    this.pump();
  }

  /** Starts every queued run that can start now. */
  pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        this.pumpOnce();
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const now = this.deps.clock.now();
    let nextWake = Infinity;
    let i = 0;
    while (i < this.queue.length && this.runningCount < this.deps.concurrency) {
      const e = this.queue[i]!;
      if (e.notBefore > now) {
        nextWake = Math.min(nextWake, e.notBefore);
        i++;
        continue;
      }
      if (this.runningJobs.has(e.jobId)) {
        i++;
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = this.tryStart(e, now);
      } catch (err) {
        this.deps.onError(err);
        outcome = 'blocked';
      }
      if (outcome === 'blocked') i++;
      else this.queue.splice(i, 1);
    }
    // Keep a wake-up for delayed entries further down the queue too.
    for (let j = i; j < this.queue.length; j++) {
      const nb = this.queue[j]!.notBefore;
      if (nb > now) nextWake = Math.min(nextWake, nb);
    }
    this.setWake(nextWake);
  }

  private setWake(at: number): void {
    if (at === this.wakeAt) return;
    if (this.wake !== null) this.deps.clock.clearTimeout(this.wake);
    this.wake = null;
    this.wakeAt = at;
    if (at === Infinity) return;
    this.wake = this.deps.clock.setTimeout(
      () => {
        this.wake = null;
        this.wakeAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
  }

  /**
   * Starts a queued run if it can start. The checks read the store; the
   * change to IN_PROGRESS is written with the run's next batch (its process
   * is supervised in memory meanwhile, and a crash before that write leaves
   * the run QUEUED, which recovery marks interrupted just the same). Only a
   * lock is taken at once, in a transaction, since another run may want it.
   */
  private tryStart(e: QueueEntry, now: number): Outcome {
    const { store } = this.deps;
    const run = store.runs.get(e.runId);
    if (!run || run.status !== 'QUEUED') return 'gone';
    if (run.cancel_by !== null) {
      this.deps.cancelledBeforeStart(run);
      return 'gone';
    }
    const job = store.jobs.get(e.jobId);
    if (!job) return 'gone';
    // A run of this job may be executing in another process (a CLI run).
    if (store.runs.active(e.jobId).some((r) => r.status === 'IN_PROGRESS')) return 'blocked';
    if (job.lock_name) {
      const lock = job.lock_name;
      const got = store.tx(() => {
        if (!store.locks.acquire(lock, run.id, job.id, this.deps.owner, now)) return false;
        store.runs.markStarted(run.id);
        store.jobs.setLastRun(job.id, run.id, 'IN_PROGRESS', now);
        return true;
      });
      if (!got) return 'blocked';
    } else {
      this.deps.persistStart(run.id, job.id, now);
    }
    this.runningCount += 1;
    this.runningJobs.set(job.id, run.id);
    this.deps.start({ ...run, status: 'IN_PROGRESS' }, job);
    return 'started';
  }

  close(): void {
    this.setWake(Infinity);
  }
}
