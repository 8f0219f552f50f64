/**
 * On a shared database, the fires of jobs another node owns (jobShares.ts):
 * kept in due order and handed back a delay after they were due, for the
 * node to record those still unrecorded (their owner died or lags).
 */
import type { Clock } from '../clock';

/**
 * When nodes look at each other's fires, from the nodes' lease: the others
 * check a fire a third of a lease after it was due (at least 1 s); an owner
 * recording a fire late by `ownerReadsRefusalsAfterMs` or more reads the
 * refusals, since another node may have checked it first. That must not be
 * later than the others' check (else a lagging owner could run a fire another
 * node refused): half of it, for the time an owner's recording takes.
 */
export function backupTiming(nodeLeaseMs: number): { backupDelayMs: number; ownerReadsRefusalsAfterMs: number } {
  const backupDelayMs = Math.max(1000, Math.floor(nodeLeaseMs / 3));
  return { backupDelayMs, ownerReadsRefusalsAfterMs: Math.floor(backupDelayMs / 2) };
}

export class BackupFires<F extends { dueAt: number }> {
  private fires: F[] = [];
  private timer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly delayMs: number,
    /** Called (from the timer) when fires are past their delay. */
    private readonly due: () => void,
  ) {}

  /** Adds a fire; fires come in due order (the scheduler's heap gives them so). */
  add(fire: F): void {
    this.fires.push(fire);
  }

  /** Sets the timer for the earliest fire, if none is set. */
  arm(): void {
    if (this.timer !== null || this.fires.length === 0) return;
    const wait = Math.max(0, this.fires[0]!.dueAt + this.delayMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.due();
    }, wait);
  }

  /** Takes the fires whose delay has passed. */
  take(): F[] {
    const until = this.clock.now() - this.delayMs;
    let n = 0;
    while (n < this.fires.length && this.fires[n]!.dueAt <= until) n++;
    return this.fires.splice(0, n);
  }

  clear(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.fires = [];
  }
}
