/**
 * The one place a run changes state:
 *
 *   QUEUED -> STARTING -> RUNNING -> FINISHING -> SUCCEEDED | FAILED | CANCELLED
 *   QUEUED -> CANCELLED (cancelled before it started)
 *   QUEUED | IN_PROGRESS -> FAILED (INTERRUPTED: the process running it died)
 *
 * (STARTING, RUNNING and FINISHING are the phases of IN_PROGRESS.) Each
 * transition is one store intent (one transaction, or one place in the
 * writer's next batch), and publishes the run's new state once it is
 * committed. The runs this engine executes are known here, with their
 * phase: the dispatcher asks this module how many slots are in use and
 * whether a job is busy, instead of keeping counts of its own.
 */
import type { Progress, Run, RunPhase } from '../../../shared/model/run';
import type { Clock } from '../clock';
import type { EventBus } from '../eventBus';
import type { JobRow, RunRow } from '../store/rows';
import { toRun } from '../store/rows';
import { toTaskRun } from '../store/taskRows';
import type { ClaimResult, EndRecord, FireOptions, FireRecord, MissedFire, QueueRequest, RunOp } from '../store/runsStore';
import type { LostNode } from '../store/nodesStore';
import type { EngineStore as Store } from '../store/engineStore';
import type { Writer } from '../writer';

export interface ActiveRun {
  id: number;
  jobId: number;
  jobName: string;
  phase: RunPhase;
  lock: string | null;
  /** Counts against the concurrency limit (STARTING and RUNNING do; FINISHING has let go of its slot). */
  holdsSlot: boolean;
  progress: Progress | null;
  /** The progress op waiting in the writer, if any. */
  progressOp: ProgressOp | null;
}

type ProgressOp = Extract<RunOp, { kind: 'progress' }>;

export interface MachineDeps {
  store: Store;
  writer: Writer;
  bus: EventBus;
  clock: Clock;
  /** This engine's instance id: the owner of the runs it queues. */
  owner: string;
  /** Runs became QUEUED here (new, retries): the dispatcher takes them. */
  onQueued(rows: RunRow[]): void;
  /** A slot or a job became free: the dispatcher looks again. */
  onFreed(): void;
  /** A run of this engine ended (its end is committed). */
  onEnded(run: ActiveRun): void;
  /** A run's committed state changed (other nodes of a shared database hear of it). */
  announce?(runId: number): void;
  onError(err: unknown): void;
}

export class RunStateMachine {
  private readonly active = new Map<number, ActiveRun>();
  private readonly waiters = new Map<number, ((run: Run) => void)[]>();
  /**
   * Events go out in the order of the transitions they follow. Each reads
   * its run as soon as asked (on SQLite at once, so it carries exactly that
   * state) and is delivered after every event asked for before it.
   */
  private events: Promise<void> = Promise.resolve();

  constructor(private readonly deps: MachineDeps) {}

  // ----- what is executing here -----

  /** Runs holding a concurrency slot (STARTING or RUNNING). */
  get slotsInUse(): number {
    let n = 0;
    for (const a of this.active.values()) if (a.holdsSlot) n++;
    return n;
  }

  /** Runs of this engine between STARTING and their recorded end. */
  get size(): number {
    return this.active.size;
  }

  /** Does the job have a run executing here (any phase)? */
  jobBusy(jobId: number): boolean {
    for (const a of this.active.values()) if (a.jobId === jobId) return true;
    return false;
  }

  get(runId: number): ActiveRun | undefined {
    return this.active.get(runId);
  }

  ids(): number[] {
    return [...this.active.keys()];
  }

  // ----- transitions -----

  /** -> QUEUED: a run asked for now (trigger) or later (retry delay). */
  async queue(req: QueueRequest): Promise<RunRow> {
    const row = await this.deps.store.runs.queue(req, this.deps.owner, this.deps.clock.now());
    this.publish(row.id);
    this.deps.onQueued([row]);
    return row;
  }

  /** -> QUEUED for each due fire the job's policy allows; stores next fire times with them. */
  async recordFires(
    fires: readonly FireRecord[],
    next: readonly [number, number | null][],
    missed: readonly MissedFire[] = [],
    options: FireOptions = {},
  ): Promise<{ created: RunRow[]; refused: number }> {
    const result = await this.deps.store.runs.recordFires(fires, next, this.deps.owner, this.deps.clock.now(), missed, options);
    for (const row of [...result.created, ...result.skipped]) this.publish(row.id);
    if (result.created.length) this.deps.onQueued(result.created);
    return result;
  }

  /** -> QUEUED for each job whose dependencies have all finished since its last run (the caller asked whether any job has dependencies). */
  async queueDependents(): Promise<RunRow[]> {
    const rows = await this.deps.store.runs.queueDependents(this.deps.owner, this.deps.clock.now());
    for (const row of rows) this.publish(row.id);
    if (rows.length) this.deps.onQueued(rows);
    return rows;
  }

  /** QUEUED -> STARTING for the runs that may start; the caller spawns the started ones. */
  async claim(runIds: readonly number[]): Promise<ClaimResult[]> {
    if (runIds.length === 0) return [];
    const results = await this.deps.store.runs.claim(runIds, this.deps.owner, this.deps.clock.now());
    for (const r of results) {
      if (r.outcome === 'started') this.track(r.run, r.job);
      if (r.outcome === 'started' || r.outcome === 'cancelled') this.publish(r.runId);
      if (r.outcome === 'cancelled') {
        this.publishTasks(r.runId);
        this.settle(r.runId);
      }
    }
    return results;
  }

  private track(run: RunRow, job: JobRow): void {
    this.active.set(run.id, {
      id: run.id,
      jobId: job.id,
      jobName: job.name,
      phase: 'STARTING',
      lock: job.lock_name,
      holdsSlot: true,
      progress: null,
      progressOp: null,
    });
  }

  /** STARTING -> RUNNING: its process exists (a workflow run has no process of its own: null pid). */
  running(runId: number, pid: number | null, at: number): void {
    const a = this.active.get(runId);
    if (!a || a.phase !== 'STARTING') return;
    a.phase = 'RUNNING';
    this.deps.writer.op({ kind: 'running', runId, pid, at }, () => this.publish(runId));
  }

  /**
   * A progress report. One op per run waits in the writer at a time; reports
   * that come before it is written update it, so only the latest is written.
   */
  progress(runId: number, progress: Progress, lastSeq: number): void {
    const a = this.active.get(runId);
    if (!a || a.phase === 'FINISHING') return;
    a.progress = progress;
    const waiting = a.progressOp;
    if (waiting) {
      waiting.percent = progress.percent;
      waiting.message = progress.message;
      waiting.lastSeq = lastSeq;
      return;
    }
    const op: ProgressOp = { kind: 'progress', runId, percent: progress.percent, message: progress.message, lastSeq };
    a.progressOp = op;
    this.deps.writer.op(op, () => {
      if (a.progressOp === op) a.progressOp = null;
      this.publish(runId);
    });
  }

  /** The run's log reached the size limit: later output is not kept. */
  truncated(runId: number): void {
    this.deps.writer.op({ kind: 'truncated', runId }, () => this.publish(runId));
  }

  /** RUNNING -> FINISHING: its process exited; its slot is free for another run while the outcome is recorded. */
  finishing(runId: number, lastSeq: number): void {
    const a = this.active.get(runId);
    if (!a || a.phase === 'FINISHING') return;
    a.phase = 'FINISHING';
    a.holdsSlot = false;
    // Its end follows within moments (files read, leftovers looked for): both go in one commit.
    this.deps.writer.op({ kind: 'finishing', runId, lastSeq }, () => this.publish(runId), 'with-next');
    this.deps.onFreed();
  }

  /** FINISHING -> SUCCEEDED | FAILED | CANCELLED, with files, lock release and a retry when due (one batch). */
  end(record: Omit<EndRecord, 'retry' | 'lock' | 'jobId'>): void {
    const a = this.active.get(record.runId);
    if (!a) return;
    if (a.phase !== 'FINISHING') this.finishing(a.id, record.end.lastSeq);
    const full: EndRecord = { ...record, jobId: a.jobId, lock: a.lock, retry: { owner: this.deps.owner, now: this.deps.clock.now() } };
    this.deps.writer.op(
      { kind: 'end', record: full },
      (result) => {
        this.active.delete(a.id);
        this.publish(a.id);
        this.settle(a.id);
        this.deps.onEnded(a);
        const retries = result.retries.filter((r) => r.retry_of === a.id);
        for (const row of retries) this.publish(row.id);
        if (retries.length) this.deps.onQueued(retries);
        this.deps.onFreed();
      },
      'now',
    );
  }

  /** A finished workflow run -> QUEUED again (a re-run in place), with the given task runs reset. */
  async reopen(runId: number, reset: readonly number[], note: string, by: string): Promise<RunRow> {
    const row = await this.deps.store.runs.reopen(runId, reset, note, by, this.deps.owner, this.deps.clock.now());
    this.publish(row.id);
    this.publishTasks(row.id);
    this.deps.onQueued([row]);
    return row;
  }

  /** QUEUED -> CANCELLED, for a run that never started; false when it was no longer queued. */
  async cancelQueued(runId: number, by: string): Promise<boolean> {
    if (!(await this.deps.store.runs.cancelQueued(runId, by, this.deps.clock.now()))) return false;
    this.publish(runId);
    this.publishTasks(runId);
    this.settle(runId);
    return true;
  }

  /** Records that someone asked to cancel a run (shown on the run at once; the process running it acts on it). */
  async requestCancel(row: RunRow, by: string): Promise<void> {
    await this.deps.store.runs.requestCancel(row, by, this.deps.clock.now());
    this.publish(row.id);
  }

  /** QUEUED | IN_PROGRESS -> FAILED (INTERRUPTED) for every run of a dead process; retries queued here when asked. */
  async interrupt(owner: string, retry: boolean): Promise<RunRow[]> {
    const { interrupted, retries } = await this.deps.store.runs.interruptOwner(owner, this.deps.clock.now(), retry ? this.deps.owner : null);
    this.interrupted(interrupted, retries);
    return interrupted;
  }

  /** Runs the store ended as interrupted, and the retries it queued for them: published, waiters settled, retries taken. */
  private interrupted(interrupted: readonly RunRow[], retries: RunRow[]): void {
    for (const row of interrupted) {
      this.publish(row.id);
      this.publishTasks(row.id);
      this.settle(row.id);
    }
    for (const row of retries) this.publish(row.id);
    if (retries.length) this.deps.onQueued(retries);
  }

  /**
   * IN_PROGRESS -> FAILED ("node lost") for the runs of every node whose
   * lease ran out; their retries, and their runs that had not started, are
   * queued here. Returns the nodes.
   */
  async reapLostNodes(): Promise<LostNode[]> {
    const lost = await this.deps.store.nodes.reapLost(this.deps.owner);
    for (const { interrupted, retries, handedOver } of lost) this.interrupted(interrupted, [...handedOver, ...retries]);
    return lost;
  }

  // ----- events and waiting -----

  /**
   * Publishes every task run of a workflow run whose tasks the store changed
   * by itself (reset for a re-run, closed by a cancel or an interruption).
   */
  private publishTasks(runId: number): void {
    if (!this.deps.bus.wantsLogs(runId)) return;
    const { runs, tasks } = this.deps.store;
    const read = Promise.all([runs.get(runId), tasks.list(runId)]);
    this.inOrder(read, ([row, list]) => {
      if (!row || row.tasks === null) return;
      const now = Date.now();
      this.deps.bus.publish({ type: 'tasks', runId, jobId: row.job_id, tasks: list.map((t) => toTaskRun(t, now)) });
    });
  }

  /** Publishes a run's committed state, when someone listens. */
  publish(runId: number): void {
    this.deps.announce?.(runId);
    if (!this.waiters.has(runId) && !this.deps.bus.wantsRun(runId)) return;
    this.inOrder(this.deps.store.runs.get(runId), (row) => {
      if (row) this.deps.bus.publish({ type: 'run', run: toRun(row) });
    });
  }

  /** Delivers what a read answers after every event asked for before it. */
  private inOrder<T>(read: Promise<T>, deliver: (value: T) => void): void {
    read.catch(() => {}); // awaited below, in turn; not an unhandled rejection meanwhile
    this.events = this.events
      .then(() => read)
      .then(deliver)
      .catch((err: unknown) => {
        if (this.deps.store.isOpen) this.deps.onError(err);
      });
  }

  /** Resolves once every event asked for so far is delivered. */
  delivered(): Promise<void> {
    return this.events;
  }

  /** Resolves the waiters of a run that has ended. */
  private settle(runId: number): void {
    if (!this.waiters.has(runId)) return;
    this.inOrder(this.deps.store.runs.get(runId), (row) => {
      const list = this.waiters.get(runId);
      if (!list || !row || row.status === 'QUEUED' || row.status === 'IN_PROGRESS') return;
      this.waiters.delete(runId);
      const run = toRun(row);
      for (const fn of list) fn(run);
    });
  }

  /** Resolves when a run of this engine has ended (its end committed); cancel() stops waiting. */
  whenEnded(runId: number): { ended: Promise<Run>; cancel(): void } {
    let fn: (run: Run) => void = () => {};
    const ended = new Promise<Run>((resolve) => {
      fn = resolve;
    });
    this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), fn]);
    this.settle(runId);
    return {
      ended,
      cancel: () => {
        const list = this.waiters.get(runId)?.filter((f) => f !== fn);
        if (list && list.length) this.waiters.set(runId, list);
        else this.waiters.delete(runId);
      },
    };
  }
}
