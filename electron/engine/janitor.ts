/**
 * Applies retention in the background: deletes a job's oldest finished runs
 * beyond its limit, with their log lines, result-file rows and folders; and
 * removes the spare run folders earlier versions made ahead of each job's
 * next run (runs now make their folder as they start). Runs
 * are deleted in batches, one transaction each (a commit costs about 0.3 ms
 * on these disks, more than deleting a run), of at most BATCH_RUNS runs and
 * BATCH_LINES log lines (a run of a million lines is deleted over many
 * batches), yielding to the event loop between batches so the engine stays
 * responsive; a run's folder is removed once its rows are gone. Closing it
 * waits for the batch in progress, so nothing touches the store after it is
 * closed.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runDir } from './paths';
import type { EngineStore as Store } from './store/engineStore';

/** Runs deleted per transaction, at most. */
export const BATCH_RUNS = 500;
/** Log lines deleted per transaction, at most. */
export const BATCH_LINES = 20_000;

export class Janitor {
  private readonly jobs = new Set<number>();
  /** Runs found beyond retention and not deleted yet, in the order found (by id: no run twice). */
  private readonly pending = new Map<number, number>();
  /** Jobs whose folder was checked for spares left by an earlier version. */
  private readonly sparesChecked = new Set<number>();
  private readonly lastCheck = new Map<number, number>();
  private readonly later = new Map<number, NodeJS.Timeout>();
  private working: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly recheckMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /**
   * Checks a job's retention soon: at once, or, for a job checked in the last
   * few seconds (one that runs often), once at the end of that period.
   */
  check(jobId: number): void {
    if (this.stopped) return;
    const since = Date.now() - (this.lastCheck.get(jobId) ?? 0);
    if (since < this.recheckMs) {
      if (this.later.has(jobId)) return;
      const timer = setTimeout(() => {
        this.later.delete(jobId);
        this.check(jobId);
      }, this.recheckMs - since);
      timer.unref();
      this.later.set(jobId, timer);
      return;
    }
    this.lastCheck.set(jobId, Date.now());
    this.jobs.add(jobId);
    this.working ??= this.work().finally(() => {
      this.working = null;
    });
  }

  get idle(): boolean {
    return this.working === null && this.jobs.size === 0 && this.pending.size === 0;
  }

  private async work(): Promise<void> {
    try {
      while (!this.stopped && (this.jobs.size > 0 || this.pending.size > 0)) {
        await this.collect();
        if (this.stopped || this.pending.size === 0) continue;
        const batch = [...this.pending.keys()].slice(0, BATCH_RUNS);
        const { deleted, kept } = await this.store.runs.deleteFinishedRuns(batch, BATCH_LINES);
        // Runs the batch did not reach (a long log took its line budget) stay pending, first in line.
        const folders = deleted.map((runId) => runDir(this.dataDir, this.pending.get(runId)!, runId));
        for (const runId of [...deleted, ...kept]) this.pending.delete(runId);
        // The rows are gone (committed): now their folders.
        await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
        await new Promise((r) => setImmediate(r));
      }
    } catch (err) {
      if (!this.stopped) this.onError(err);
    }
  }

  /**
   * Moves jobs waiting to be checked into the pending runs until a batch is
   * full. A job with more runs beyond retention than fit is checked again
   * after this batch.
   */
  private async collect(): Promise<void> {
    const spares: Promise<void>[] = [];
    const again: number[] = [];
    while (!this.stopped && this.pending.size < BATCH_RUNS && this.jobs.size > 0) {
      const jobId = this.jobs.values().next().value as number;
      this.jobs.delete(jobId);
      if (!this.sparesChecked.has(jobId)) {
        this.sparesChecked.add(jobId);
        spares.push(this.dropOldSpares(jobId));
      }
      const room = BATCH_RUNS - this.pending.size;
      const runIds = await this.store.runs.beyondRetention(jobId, room);
      for (const runId of runIds) if (!this.pending.has(runId)) this.pending.set(runId, jobId);
      // A full page may have more behind it: check the job again after this batch (not in this
      // loop, whose page would be the same).
      if (runIds.length === room) again.push(jobId);
    }
    for (const jobId of again) this.jobs.add(jobId);
    await Promise.all(spares);
  }

  /** Spare run folders (`.spare`, `.spare-…`, half-made `.spare.making-…`) left by an earlier version. */
  private async dropOldSpares(jobId: number): Promise<void> {
    const dir = join(this.dataDir, 'runs', String(jobId));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.spare')) await rm(join(dir, name), { recursive: true, force: true });
    }
  }

  /**
   * Lets the pass in progress end (up to `budgetMs`: a short pass finishes;
   * a long one stops between steps and is taken up again after the job's
   * next run), then stops.
   */
  async close(budgetMs = 2000): Promise<void> {
    for (const timer of this.later.values()) clearTimeout(timer);
    this.later.clear();
    const working = this.working;
    if (working) {
      const timer = setTimeout(() => {
        this.stopped = true;
      }, budgetMs);
      await working;
      clearTimeout(timer);
    }
    this.stopped = true;
  }
}
