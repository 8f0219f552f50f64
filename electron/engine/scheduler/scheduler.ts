/**
 * Fires jobs at their interval or cron times with one timer for the whole
 * engine: a min-heap of each job's next fire time, and a single timeout set
 * for the earliest. No live croner instance is kept per job (see
 * shared/schedule.ts). Next fire times are persisted, so a restart keeps the
 * cadence; fires missed while the engine was down follow each job's misfire
 * policy.
 */
import { nextFireAfter } from '../../../shared/schedule';
import type { Schedule } from '../../../shared/model/job';
import type { Clock } from '../clock';
import { scheduleOf } from '../store/rows';
import type { SchedulableRow } from '../store/jobsStore';
import { MinHeap } from './minHeap';

export interface Fire {
  jobId: number;
  dueAt: number;
  trigger: 'schedule' | 'catch-up';
}

/** A fire missed while the engine was down (caught up by a run, or skipped by the job's policy). */
export interface MissedFire {
  jobId: number;
  dueAt: number;
  caughtUp: boolean;
}

export interface SchedulerDeps {
  clock: Clock;
  /** Every enabled, unarchived job with a schedule. */
  load(): SchedulableRow[];
  loadOne(jobId: number): SchedulableRow | undefined;
  /**
   * Creates the runs for these fires and stores the jobs' new next fire
   * times, in one transaction.
   */
  fire(fires: Fire[], nextFires: [jobId: number, at: number | null][], missed?: MissedFire[]): void;
  onError(err: unknown): void;
}

interface Entry {
  jobId: number;
  name: string;
  at: number;
  schedule: Schedule;
}

/** A fire this late at start-up is a misfire; less late, it is simply fired. */
export const MISFIRE_GRACE_MS = 1000;
/** Longest single wait; the timer re-arms (clock changes, sleep). */
const MAX_WAIT_MS = 60_000;

export class Scheduler {
  private readonly heap = new MinHeap<Entry>((e) => e.at);
  private readonly entries = new Map<number, Entry>();
  private timer: unknown = null;
  private started = false;
  paused = false;
  /** Fires made since start (schedule and catch-up). */
  fired = 0;

  constructor(private readonly deps: SchedulerDeps) {}

  get size(): number {
    return this.entries.size;
  }

  /** Loads every job; applies misfire policies to fires missed while down. */
  start(paused: boolean): void {
    this.paused = paused;
    this.started = true;
    this.load(true);
  }

  stop(): void {
    this.started = false;
    this.disarm();
  }

  pause(): void {
    this.paused = true;
    this.disarm();
  }

  /** Resumes firing; fires missed while paused are skipped, keeping the cadence. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const now = this.deps.clock.now();
    const updates: [number, number | null][] = [];
    for (const e of [...this.entries.values()]) {
      if (e.at <= now) {
        const next = nextFireAfter(e.schedule, now, e.at);
        this.set(e.jobId, e.name, e.schedule, next);
        updates.push([e.jobId, next]);
      }
    }
    if (updates.length) this.safely(() => this.deps.fire([], updates));
    this.arm();
  }

  /** Drops all state and loads every job again from the store. */
  restart(): void {
    this.disarm();
    this.entries.clear();
    this.heap.clear();
    this.load(true);
  }

  /** Reloads after another process changed jobs (its next fire times are already stored). */
  resync(): void {
    this.disarm();
    this.entries.clear();
    this.heap.clear();
    this.load(false);
  }

  /** A job was created or changed here: take its stored next fire time (or drop it). */
  upsert(jobId: number): void {
    const row = this.deps.loadOne(jobId);
    if (!row) {
      this.entries.delete(jobId);
    } else {
      const schedule = scheduleOf(row);
      let at = row.next_fire_at;
      if (at === null) {
        at = nextFireAfter(schedule, this.deps.clock.now());
        this.safely(() => this.deps.fire([], [[jobId, at]]));
      }
      this.set(jobId, row.name, schedule, at);
    }
    this.arm();
  }

  remove(jobId: number): void {
    this.entries.delete(jobId);
    this.arm();
  }

  /** The earliest `count` fires. */
  upcoming(count: number): { jobId: number; name: string; at: number }[] {
    return [...this.entries.values()]
      .sort((a, b) => a.at - b.at)
      .slice(0, count)
      .map((e) => ({ jobId: e.jobId, name: e.name, at: e.at }));
  }

  private load(applyMisfire: boolean): void {
    const now = this.deps.clock.now();
    const fires: Fire[] = [];
    const updates: [number, number | null][] = [];
    const missed: MissedFire[] = [];
    let rows: SchedulableRow[];
    try {
      rows = this.deps.load();
    } catch (err) {
      this.deps.onError(err);
      return;
    }
    for (const row of rows) {
      let schedule: Schedule;
      let at: number | null;
      try {
        schedule = scheduleOf(row);
        at = row.next_fire_at;
        if (at === null) {
          at = nextFireAfter(schedule, now);
          updates.push([row.id, at]);
        } else if (applyMisfire && at < now - MISFIRE_GRACE_MS) {
          const catchUp = row.misfire === 'run-once' && !this.paused;
          if (catchUp) fires.push({ jobId: row.id, dueAt: at, trigger: 'catch-up' });
          missed.push({ jobId: row.id, dueAt: at, caughtUp: catchUp });
          at = nextFireAfter(schedule, now, at);
          updates.push([row.id, at]);
        }
      } catch (err) {
        // A schedule that cannot be computed (zone data changed, …) must not stop the others.
        this.deps.onError(new Error(`job ${row.id} (${row.name}): cannot compute its next fire: ${String(err)}`));
        continue;
      }
      this.set(row.id, row.name, schedule, at);
    }
    if (fires.length || updates.length) this.safely(() => this.deps.fire(fires, updates, missed));
    this.fired += fires.length;
    this.arm();
  }

  private set(jobId: number, name: string, schedule: Schedule, at: number | null): void {
    if (at === null) {
      this.entries.delete(jobId);
      return;
    }
    const entry: Entry = { jobId, name, at, schedule };
    this.entries.set(jobId, entry);
    this.heap.push(entry);
  }

  /** The earliest live entry (stale heap entries are dropped on the way). */
  private peek(): Entry | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (!top || this.entries.get(top.jobId) === top) return top;
      this.heap.pop();
    }
  }

  private disarm(): void {
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    this.disarm();
    if (!this.started || this.paused) return;
    const top = this.peek();
    if (!top) return;
    const wait = Math.min(Math.max(0, top.at - this.deps.clock.now()), MAX_WAIT_MS);
    this.timer = this.deps.clock.setTimeout(() => this.tick(), wait);
  }

  private tick(): void {
    this.timer = null;
    const now = this.deps.clock.now();
    const fires: Fire[] = [];
    const updates: [number, number | null][] = [];
    // Each job fires at most once per tick (its next fire is after now); the budget guards against a schedule that says otherwise.
    let budget = this.entries.size;
    for (;;) {
      const top = this.peek();
      if (!top || top.at > now) break;
      if (budget-- <= 0) {
        this.deps.onError(new Error(`job ${top.jobId} (${top.name}): its schedule keeps returning times already past; dropped until the next restart`));
        this.entries.delete(top.jobId);
        continue;
      }
      this.heap.pop();
      fires.push({ jobId: top.jobId, dueAt: top.at, trigger: 'schedule' });
      let next: number | null;
      try {
        next = nextFireAfter(top.schedule, now, top.at);
      } catch (err) {
        this.deps.onError(err);
        next = null;
      }
      this.set(top.jobId, top.name, top.schedule, next);
      updates.push([top.jobId, next]);
    }
    if (fires.length) {
      this.fired += fires.length;
      this.safely(() => this.deps.fire(fires, updates));
    }
    this.arm();
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.deps.onError(err);
    }
  }
}
