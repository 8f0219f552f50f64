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
import { BackupFires } from './backupFires';
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

/** What the scheduler loads: see SchedulerDeps.load. */
export interface SchedulerLoad {
  /** Jobs whose stored next fire is at or after `from`, as [id, at]: nothing to compute until they fire. */
  upcoming: [jobId: number, at: number][];
  /** The other schedulable jobs (no stored next fire, or one before `from`), whole. */
  rows: SchedulableRow[];
}

export interface SchedulerDeps {
  clock: Clock;
  /**
   * Every enabled, unarchived job with a schedule, split at `from`: a job
   * whose stored next fire is not before it comes as a pair and its name and
   * schedule are read (loadOne) when it is due; the rest come whole, since
   * their next fire must be computed now. At 100,000 jobs the pairs come
   * from an index alone, where whole rows cost most of a second.
   */
  load(from: number): Promise<SchedulerLoad>;
  /** One job, if it is still enabled, unarchived and scheduled. */
  loadOne(jobId: number): Promise<SchedulableRow | undefined>;
  /**
   * Creates the runs for these fires and stores the jobs' new next fire
   * times, in one transaction.
   */
  fire(fires: Fire[], nextFires: [jobId: number, at: number | null][], missed?: MissedFire[]): Promise<void>;
  /**
   * On a shared database: which jobs this node fires first (jobShares.ts),
   * and what it does with another node's fire `backupDelayMs` after it was
   * due (records it if it is still unrecorded: its owner died or lags).
   * Absent: it fires every job.
   */
  shared?: { owns(jobId: number): boolean; fireBackups(fires: Fire[]): Promise<void>; backupDelayMs: number };
  onError(err: unknown): void;
}

interface Entry {
  jobId: number;
  at: number;
  /** Null until read: a job loaded as a pair gets them when it is due or listed. */
  name: string | null;
  schedule: Schedule | null;
}

type Detailed = Entry & { name: string; schedule: Schedule };

/** A fire this late at start-up is a misfire; less late, it is simply fired. */
export const MISFIRE_GRACE_MS = 1000;
/** Fires recorded per transaction when many are due at once (about the default concurrency of a busy server). */
export const FIRE_CHUNK = 32;
/** Longest single wait; the timer re-arms (clock changes, sleep). */
const MAX_WAIT_MS = 60_000;

export class Scheduler {
  private readonly heap = new MinHeap<Entry>((e) => e.at);
  private readonly entries = new Map<number, Entry>();
  private timer: unknown = null;
  private started = false;
  /** Fires of other nodes' jobs, to check once their delay has passed. */
  private readonly backups: BackupFires<Fire> | null;
  /** The store answers asynchronously: changes to the heap are made one at a time, in order. */
  private turn: Promise<void> = Promise.resolve();
  paused = false;
  /** Fires made since start (schedule and catch-up). */
  fired = 0;

  constructor(private readonly deps: SchedulerDeps) {
    const shared = deps.shared;
    this.backups = shared ? new BackupFires(deps.clock, shared.backupDelayMs, () => void this.serial(() => this.checkBackups(shared))) : null;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Loads every job; applies misfire policies to fires missed while down. */
  start(paused: boolean): Promise<void> {
    this.paused = paused;
    this.started = true;
    return this.serial(() => this.load(true));
  }

  /** Runs fn after every change queued before it (none of them interleave). */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.turn.then(fn).catch((err: unknown) => this.deps.onError(err));
    this.turn = next;
    return next;
  }

  stop(): void {
    this.started = false;
    this.disarm();
    this.backups?.clear();
  }

  pause(): void {
    this.paused = true;
    this.disarm();
  }

  /** Resumes firing; fires missed while paused are skipped, keeping the cadence. */
  resume(): Promise<void> {
    if (!this.paused) return this.turn;
    this.paused = false;
    return this.serial(() => this.resumed());
  }

  private async resumed(): Promise<void> {
    const now = this.deps.clock.now();
    const updates: [number, number | null][] = [];
    for (const entry of [...this.entries.values()]) {
      if (entry.at > now) continue;
      const e = await this.detailed(entry);
      if (!e) continue;
      const next = nextFireAfter(e.schedule, now, e.at);
      this.set(e.jobId, e.name, e.schedule, next);
      updates.push([e.jobId, next]);
    }
    if (updates.length) await this.safely(() => this.deps.fire([], updates));
    this.arm();
  }

  /** Drops all state and loads every job again from the store. */
  restart(): Promise<void> {
    return this.serial(() => {
      this.disarm();
      this.entries.clear();
      this.heap.clear();
      return this.load(true);
    });
  }

  /** Reloads after another process changed jobs (its next fire times are already stored). */
  resync(): Promise<void> {
    return this.serial(() => {
      this.disarm();
      this.entries.clear();
      this.heap.clear();
      return this.load(false);
    });
  }

  /** A job was created or changed here: take its stored next fire time (or drop it). */
  upsert(jobId: number): Promise<void> {
    return this.serial(() => this.upserted(jobId));
  }

  private async upserted(jobId: number): Promise<void> {
    const row = await this.deps.loadOne(jobId);
    if (!row) {
      this.entries.delete(jobId);
    } else {
      const schedule = scheduleOf(row);
      let at = row.next_fire_at;
      if (at === null) {
        at = nextFireAfter(schedule, this.deps.clock.now());
        const first = at;
        await this.safely(() => this.deps.fire([], [[jobId, first]]));
      }
      this.set(jobId, row.name, schedule, at);
    }
    this.arm();
  }

  remove(jobId: number): Promise<void> {
    return this.serial(async () => {
      this.entries.delete(jobId);
      this.arm();
    });
  }

  /** Resolves once every change queued so far is made (tests, shutdown). */
  settled(): Promise<void> {
    return this.turn;
  }

  /** The earliest `count` fires. */
  async upcoming(count: number): Promise<{ jobId: number; name: string; at: number }[]> {
    const out: { jobId: number; name: string; at: number }[] = [];
    for (const entry of [...this.entries.values()].sort((a, b) => a.at - b.at)) {
      if (out.length >= count) break;
      const e = await this.detailed(entry);
      if (e) out.push({ jobId: e.jobId, name: e.name, at: e.at });
    }
    return out;
  }

  /**
   * The entry with its name and schedule, read now if it was loaded as a
   * pair; null (and the entry dropped) when the job is no longer scheduled.
   */
  private async detailed(entry: Entry): Promise<Detailed | null> {
    if (entry.name !== null && entry.schedule !== null) return entry as Detailed;
    let row: SchedulableRow | undefined;
    try {
      row = await this.deps.loadOne(entry.jobId);
    } catch (err) {
      this.deps.onError(err);
      return null;
    }
    if (!row) {
      // Dropped unless it was changed meanwhile (upsert replaced the entry).
      if (this.entries.get(entry.jobId) === entry) this.entries.delete(entry.jobId);
      return null;
    }
    entry.name = row.name;
    entry.schedule = scheduleOf(row);
    return entry as Detailed;
  }

  private async load(applyMisfire: boolean): Promise<void> {
    const now = this.deps.clock.now();
    const fires: Fire[] = [];
    const updates: [number, number | null][] = [];
    const missed: MissedFire[] = [];
    let loaded: SchedulerLoad;
    try {
      // Stored fires this late are missed fires (at start-up), so their jobs come whole.
      loaded = await this.deps.load(now - MISFIRE_GRACE_MS);
    } catch (err) {
      this.deps.onError(err);
      return;
    }
    for (const [jobId, at] of loaded.upcoming) this.add({ jobId, at, name: null, schedule: null });
    for (const row of loaded.rows) {
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
    this.fired += fires.length;
    if (fires.length || updates.length) await this.safely(() => this.deps.fire(fires, updates, missed));
    this.arm();
  }

  private set(jobId: number, name: string, schedule: Schedule, at: number | null): void {
    if (at === null) {
      this.entries.delete(jobId);
      return;
    }
    this.add({ jobId, name, at, schedule });
  }

  private add(entry: Entry): void {
    this.entries.set(entry.jobId, entry);
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
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = null;
      void this.serial(() => this.tick());
    }, wait);
  }

  private async tick(): Promise<void> {
    if (!this.started || this.paused) return;
    const now = this.deps.clock.now();
    const fires: Fire[] = [];
    const updates: [number, number | null][] = [];
    const sameCron = new Map<string, number | null>();
    // Each job fires at most once per tick (its next fire is after now); the budget guards against a schedule that says otherwise.
    let budget = this.entries.size;
    for (;;) {
      const top = this.peek();
      if (!top || top.at > now) break;
      if (budget-- <= 0) {
        this.deps.onError(new Error(`job ${top.jobId}${top.name === null ? '' : ` (${top.name})`}: its schedule keeps returning times already past; dropped until the next restart`));
        this.entries.delete(top.jobId);
        continue;
      }
      this.heap.pop();
      // A job loaded as a pair is read now; one no longer scheduled (disabled, archived, manual) does not fire.
      const e = await this.detailed(top);
      if (!e) continue;
      const fire: Fire = { jobId: e.jobId, dueAt: e.at, trigger: 'schedule' };
      const next = this.nextAfter(e, now, sameCron);
      this.set(e.jobId, e.name, e.schedule, next);
      if (this.backups && !this.deps.shared!.owns(e.jobId)) {
        this.backups.add(fire);
        continue;
      }
      fires.push(fire);
      updates.push([e.jobId, next]);
    }
    this.fired += fires.length;
    // Recorded in chunks, each with its own jobs' next fires (fires[i] goes with updates[i]), so the
    // first runs are claimed and their spawns sent while the rest are still being recorded; a crash
    // between chunks leaves the unrecorded jobs' stored next fire as it was: a missed fire at restart.
    // The timer is armed first: a slow store must not delay the next second's fires behind this one's.
    this.arm();
    this.backups?.arm();
    for (let i = 0; i < fires.length; i += FIRE_CHUNK) {
      await this.safely(() => this.deps.fire(fires.slice(i, i + FIRE_CHUNK), updates.slice(i, i + FIRE_CHUNK)));
    }
  }

  /** Records the fires of other nodes' jobs still unrecorded past their delay. */
  private async checkBackups(shared: NonNullable<SchedulerDeps['shared']>): Promise<void> {
    if (!this.started || !this.backups) return;
    const due = this.backups.take();
    for (let i = 0; i < due.length; i += FIRE_CHUNK) await this.safely(() => shared.fireBackups(due.slice(i, i + FIRE_CHUNK)));
    this.backups.arm();
  }

  /**
   * A fired job's next fire after now. A cron time after now depends only on
   * the pattern and its time zone, so jobs of the same pattern firing in one
   * tick share one step of croner (200 jobs due each second cost ~40 ms
   * of stepping otherwise, all of it before the first of them starts).
   */
  private nextAfter(e: Detailed, now: number, sameCron: Map<string, number | null>): number | null {
    const key = e.schedule.kind === 'cron' ? `${e.schedule.expression}\u0000${e.schedule.timezone ?? ''}` : null;
    if (key !== null && sameCron.has(key)) return sameCron.get(key)!;
    try {
      const next = nextFireAfter(e.schedule, now, e.at);
      if (key !== null) sameCron.set(key, next);
      return next;
    } catch (err) {
      this.deps.onError(err);
      return null;
    }
  }

  private async safely(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.onError(err);
    }
  }
}
