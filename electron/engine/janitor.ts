/**
 * Applies retention in the background: deletes a job's oldest finished runs
 * beyond its limit, with their log lines (in chunks, so a run of a million
 * lines does not stall the engine), result-file rows and folders; and removes
 * spare run folders made for a script the job no longer has. Closing it waits
 * for the pass in progress, so nothing touches the store after it is closed.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runDir } from './paths';
import type { Store } from './store/store';

const CHUNK = 20_000;

export class Janitor {
  private readonly jobs = new Set<number>();
  /** The script MD5 each job's spare folders were last checked against. */
  private readonly spareMd5 = new Map<number, string>();
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
    return this.working === null && this.jobs.size === 0;
  }

  private async work(): Promise<void> {
    try {
      while (!this.stopped && this.jobs.size > 0) {
        const jobId = this.jobs.values().next().value as number;
        this.jobs.delete(jobId);
        const job = this.store.jobs.get(jobId);
        if (!job) continue;
        if (this.spareMd5.get(jobId) !== job.script_md5) {
          this.spareMd5.set(jobId, job.script_md5);
          await this.dropStaleSpares(jobId, job.script_md5);
        }
        for (const runId of this.store.runs.beyondRetention(jobId, job.retention)) {
          if (this.stopped) return;
          await this.deleteRun(jobId, runId);
        }
      }
    } catch (err) {
      if (!this.stopped) this.onError(err);
    }
  }

  /** Spare run folders made for a script the job no longer has. */
  private async dropStaleSpares(jobId: number, md5: string): Promise<void> {
    const dir = join(this.dataDir, 'runs', String(jobId));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.spare-') && !name.startsWith(`.spare-${md5}-`)) await rm(join(dir, name), { recursive: true, force: true });
    }
  }

  private async deleteRun(jobId: number, runId: number): Promise<void> {
    while (!this.stopped && this.store.runs.deleteLogs(runId, CHUNK) === CHUNK) {
      await new Promise((r) => setImmediate(r));
    }
    if (this.stopped) return;
    if (!this.store.runs.deleteRun(runId)) return;
    await rm(runDir(this.dataDir, jobId, runId), { recursive: true, force: true });
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
