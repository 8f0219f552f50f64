/**
 * On a shared database, removes this node's run folders whose run is gone.
 * Retention deletes runs for every node, but the node that does it removes
 * only the folders on its own disk; another node's folders of those runs
 * (and of jobs deleted elsewhere) are found here: each pass lists this
 * node's run folders and asks the store which of their runs still exist, a
 * batch at a time, yielding between batches. A folder is made after its run
 * is recorded, so a folder without a run is never one being made.
 */
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineStore } from './store/engineStore';

/** Run ids asked about in one statement. */
const BATCH = 500;

export interface FolderSweepDeps {
  store: EngineStore;
  dataDir: string;
  /** Between passes (ms); the first pass starts after `firstMs`. */
  everyMs: number;
  firstMs: number;
  onError(err: unknown): void;
}

const numeric = (name: string): boolean => /^[1-9]\d{0,14}$/.test(name);

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export class FolderSweep {
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly deps: FolderSweepDeps) {}

  start(): void {
    this.schedule(this.deps.firstMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sweep().finally(() => this.schedule(this.deps.everyMs));
    }, ms);
    this.timer.unref();
  }

  /** One pass (or the one in progress); resolves to the number of folders removed. */
  sweep(): Promise<number> {
    this.pass ??= this.removeOrphans()
      .catch((err: unknown) => {
        if (!this.stopped) this.deps.onError(err);
        return 0;
      })
      .finally(() => {
        this.pass = null;
      });
    return this.pass;
  }

  private async removeOrphans(): Promise<number> {
    const root = join(this.deps.dataDir, 'runs');
    let removed = 0;
    for (const job of (await list(root)).filter(numeric)) {
      const runs = (await list(join(root, job))).filter(numeric);
      for (let i = 0; i < runs.length && !this.stopped; i += BATCH) {
        const batch = runs.slice(i, i + BATCH);
        const existing = await this.deps.store.runs.existingAmong(batch.map(Number));
        const gone = batch.filter((r) => !existing.has(Number(r)));
        await Promise.all(gone.map((r) => rm(join(root, job, r), { recursive: true, force: true })));
        removed += gone.length;
        await new Promise((r) => setImmediate(r));
      }
      if (this.stopped) break;
      // A job deleted (on another node) whose every run is gone: its folder too. A job that still exists keeps
      // its folder (launchers make a job's folder once and then only its runs' folders inside it).
      if ((await list(join(root, job))).length === 0 && !(await this.deps.store.jobs.get(Number(job)))) {
        await rmdir(join(root, job)).catch(() => undefined);
      }
    }
    return removed;
  }

  /** Stops passes; waits for the one in progress (it stops after its batch). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass;
  }
}
