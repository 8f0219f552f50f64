/**
 * Starts queued runs: first in, first out, at most `concurrency` at a time.
 * The checks that decide whether a run may start (no other run of its job in
 * progress, its lock free) are made by the state machine's claim, in one
 * transaction for all the runs a pump starts; this module only keeps the
 * order. A run that cannot start yet (its job is running, its lock is held,
 * a retry delay) waits without holding up the runs behind it.
 */
import type { Clock } from '../clock';
import type { JobRow, RunRow } from '../store/rows';
import type { RunStateMachine } from './stateMachine';

export interface QueueEntry {
  runId: number;
  jobId: number;
  /** Not before this time (retry delays). */
  notBefore: number;
}

export interface DispatcherDeps {
  machine: RunStateMachine;
  clock: Clock;
  concurrency: number;
  /** Starts the process of a run just claimed (STARTING). */
  start(run: RunRow, job: JobRow): void;
  onError(err: unknown): void;
}

export class Dispatcher {
  private queue: QueueEntry[] = [];
  /** Entries of the queue with a start time (notBefore > 0). */
  private delayed = 0;
  private pumping = false;
  private again = false;
  /** Inside batch(): pumps asked for wait for its end, so one claim covers all that became startable. */
  private holding = 0;
  private held = false;
  private closed = false;
  private drained = false;
  private wake: unknown = null;
  private wakeAt = Infinity;
  private readonly idleWaiters: (() => void)[] = [];
  /** The claim in flight (the store answers asynchronously) and the runs it covers. */
  private claiming: { ids: Set<number>; done: Promise<void> } | null = null;

  constructor(private readonly deps: DispatcherDeps) {}

  get running(): number {
    return this.deps.machine.slotsInUse;
  }

  get queued(): number {
    return this.queue.length;
  }

  get concurrency(): number {
    return this.deps.concurrency;
  }

  /** Drained: no queued run starts here (they wait; runs in progress go on) until it is lifted. */
  get draining(): boolean {
    return this.drained;
  }

  setDraining(draining: boolean): void {
    if (this.drained === draining) return;
    this.drained = draining;
    if (!draining) this.pump();
  }

  /** Adds runs at the back of the queue and starts what can start. */
  enqueue(entries: QueueEntry[]): void {
    for (const e of entries) {
      this.queue.push(e);
      if (e.notBefore > 0) this.delayed += 1;
    }
    this.pump();
  }

  has(runId: number): boolean {
    return this.queue.some((e) => e.runId === runId);
  }

  /** Resolves when the claim in flight that includes this run is in (null: it is not being claimed). */
  claimOf(runId: number): Promise<void> | null {
    return this.claiming?.ids.has(runId) ? this.claiming.done : null;
  }

  /** Takes a run out of the queue (cancelled before it started). */
  remove(runId: number): boolean {
    const i = this.queue.findIndex((e) => e.runId === runId);
    if (i === -1) return false;
    if (this.queue[i]!.notBefore > 0) this.delayed -= 1;
    this.queue.splice(i, 1);
    return true;
  }

  /**
   * Runs fn with pumps held back, then pumps once: the exits of one launcher
   * message, or the runs of one fire, start with one claim (one commit).
   */
  batch<T>(fn: () => T): T {
    this.holding += 1;
    try {
      return fn();
    } finally {
      this.holding -= 1;
      if (this.holding === 0 && this.held) {
        this.held = false;
        this.pump();
      }
    }
  }

  /** Starts every queued run that can start now. */
  pump(): void {
    if (this.closed || this.drained) return;
    if (this.holding > 0) {
      this.held = true;
      return;
    }
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pumpRounds();
  }

  /** Pumps until nobody asked again meanwhile (claims are awaited: pumps asked for during one join the next round). */
  private async pumpRounds(): Promise<void> {
    try {
      // Each round either starts something or ends; bounded by the queue's length.
      let rounds = this.queue.length + 1;
      do {
        this.again = false;
        await this.pumpOnce();
      } while (this.again && --rounds > 0 && !this.closed);
    } catch (err) {
      this.deps.onError(err);
    } finally {
      this.pumping = false;
      this.idleWaiters.splice(0).forEach((fn) => fn());
    }
    // Asked again after the bound: once more at the next turn, so no request is lost.
    if (this.again && !this.closed) setImmediate(() => this.pump());
  }

  /** Resolves when no pump is running (tests and shutdown wait for claims in flight). */
  whenIdle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async pumpOnce(): Promise<void> {
    const now = this.deps.clock.now();
    const blocked = new Set<number>();
    let nextWake = Infinity;
    // Rounds of claims: runs found blocked in one round make room for the next ones in the queue.
    for (;;) {
      const free = this.deps.concurrency - this.deps.machine.slotsInUse;
      if (free <= 0) break;
      const chosen: QueueEntry[] = [];
      const jobs = new Set<number>();
      for (const e of this.queue) {
        if (chosen.length >= free) break;
        if (blocked.has(e.runId) || jobs.has(e.jobId)) continue;
        if (e.notBefore > now) {
          nextWake = Math.min(nextWake, e.notBefore);
          continue;
        }
        if (this.deps.machine.jobBusy(e.jobId)) continue;
        jobs.add(e.jobId);
        chosen.push(e);
      }
      if (chosen.length === 0) break;
      let release = () => {};
      this.claiming = { ids: new Set(chosen.map((e) => e.runId)), done: new Promise<void>((r) => (release = r)) };
      try {
        await this.claimAndStart(chosen, blocked);
      } finally {
        this.claiming = null;
        release();
      }
    }
    // Only runs given a start time (retries after a delay) need a wake-up: none, no pass over the queue.
    if (this.delayed > 0) for (const e of this.queue) if (e.notBefore > now) nextWake = Math.min(nextWake, e.notBefore);
    this.setWake(nextWake);
  }

  /** One claim of the chosen runs; starts those it started (a cancel waiting on the claim acts after). */
  private async claimAndStart(chosen: QueueEntry[], blocked: Set<number>): Promise<void> {
    const results = await this.deps.machine.claim(chosen.map((e) => e.runId));
    const done = new Set<number>();
    for (const r of results) {
      if (r.outcome === 'blocked') blocked.add(r.runId);
      else done.add(r.runId);
    }
    // The claimed runs were chosen near the front: taken out from there, stopping once all are found
    // (a pass over the whole queue at every claim made a backlog of n runs cost n² to start).
    let left = done.size;
    for (let i = 0; i < this.queue.length && left > 0; ) {
      const e = this.queue[i]!;
      if (done.has(e.runId)) {
        this.queue.splice(i, 1);
        if (e.notBefore > 0) this.delayed -= 1;
        left -= 1;
      } else i += 1;
    }
    for (const r of results) {
      if (r.outcome !== 'started') continue;
      try {
        this.deps.start(r.run, r.job);
      } catch (err) {
        this.deps.onError(err);
      }
    }
  }

  private setWake(at: number): void {
    if (at === this.wakeAt) return;
    if (this.wake !== null) this.deps.clock.clearTimeout(this.wake);
    this.wake = null;
    this.wakeAt = at;
    if (at === Infinity || this.closed) return;
    this.wake = this.deps.clock.setTimeout(
      () => {
        this.wake = null;
        this.wakeAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.deps.clock.now()),
    );
  }

  /** The queued runs (for the shutdown, which records them cancelled). */
  drain(): QueueEntry[] {
    const all = this.queue;
    this.queue = [];
    this.delayed = 0;
    return all;
  }

  close(): void {
    this.closed = true;
    this.setWake(Infinity);
  }
}
