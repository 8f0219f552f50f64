/**
 * Applies retention in the background: deletes a job's oldest finished runs
 * beyond its limit, with their log lines (in chunks, so a run of a million
 * lines does not stall the engine), result-file rows and folders; and removes
 * spare run folders made for a script the job no longer has.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runDir } from './paths';
import type { Store } from './store/store';

const CHUNK = 20_000;
/** A job's retention is checked at most this often. */
const RECHECK_MS = 2000;

export class Janitor {
  private readonly jobs = new Set<number>();
  /** The script MD5 each job's spare folders were last checked against. */
  private readonly spareMd5 = new Map<number, string>();
  private busy = false;
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly dataDir: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  private readonly lastCheck = new Map<number, number>();
  private readonly later = new Set<number>();

  /**
   * Checks a job's retention soon: at once, or, for a job checked in the last
   * few seconds (one that runs often), once at the end of that period.
   */
  check(jobId: number): void {
    const since = Date.now() - (this.lastCheck.get(jobId) ?? 0);
    if (since < RECHECK_MS) {
      if (this.later.has(jobId)) return;
      this.later.add(jobId);
      setTimeout(() => {
        this.later.delete(jobId);
        this.check(jobId);
      }, RECHECK_MS - since).unref();
      return;
    }
    this.lastCheck.set(jobId, Date.now());
    this.jobs.add(jobId);
    if (!this.busy) void this.work();
  }

  get idle(): boolean {
    return !this.busy && this.jobs.size === 0;
  }

  private async work(): Promise<void> {
    this.busy = true;
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
      this.onError(err);
    } finally {
      this.busy = false;
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
    while (!this.stopped && this.store.logs.deleteSome(runId, CHUNK) === CHUNK) {
      await new Promise((r) => setImmediate(r));
    }
    if (this.stopped) return;
    this.store.tx(() => {
      this.store.logs.deleteSome(runId, Number.MAX_SAFE_INTEGER);
      this.store.runs.delete(runId);
    });
    await rm(runDir(this.dataDir, jobId, runId), { recursive: true, force: true });
  }

  stop(): void {
    this.stopped = true;
  }
}
