/** Time source of the scheduler and dispatcher; tests inject a manual one. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock that moves only when told to (deterministic scheduler tests). */
export class ManualClock implements Clock {
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in time order. */
  advance(ms: number): void {
    const end = this.t + ms;
    while (this.fireNext(end));
    this.t = end;
  }

  /** Fires the earliest timer due by `end` (time moves to it); false when none is. */
  private fireNext(end: number): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
    if (!next) return false;
    this.timers.delete(next[0]);
    this.t = Math.max(this.t, next[1].at);
    next[1].fn();
    return true;
  }

  /**
   * Moves time forward like advance(), letting asynchronous work run after
   * each timer fires (by default one turn of the event loop: the scheduler
   * and dispatcher answer the store in promises, and arm their next timers
   * only then).
   */
  async advanceAsync(ms: number, settle: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<void> {
    const end = this.t + ms;
    await settle();
    // Bounded: each round fires one timer set before `end`; a timer that re-arms itself at once must still move time.
    for (let fired = 0; fired < 1_000_000 && this.fireNext(end); fired++) await settle();
    this.t = end;
    await settle();
  }
}

/**
 * This machine's clock set to another's (the shared database's), so nodes
 * whose clocks disagree still agree on when a job is due. Timers keep the
 * base clock's durations; only readings move.
 */
export class FollowingClock implements Clock {
  private offset = 0;

  constructor(private readonly base: Clock) {}

  now(): number {
    return this.base.now() + this.offset;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return this.base.setTimeout(fn, ms);
  }

  clearTimeout(handle: unknown): void {
    this.base.clearTimeout(handle);
  }

  /** The base clock's reading now (to time a request to the other clock). */
  baseNow(): number {
    return this.base.now();
  }

  /** Takes the other clock's reading `theirs`, made between `sentAt` and `receivedAt` by the base clock. */
  follow(theirs: number, sentAt: number, receivedAt: number): void {
    this.offset = Math.round(theirs - (sentAt + receivedAt) / 2);
  }

  /** How far the other clock is ahead of this machine's (ms; negative: behind). */
  get offsetMs(): number {
    return this.offset;
  }
}
