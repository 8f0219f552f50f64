/**
 * On a shared database, removes this node's run folders whose run is gone.
 * Retention deletes runs for every node, but the node that does it removes
 * only the folders on its own disk; another node's folders of those runs
 * (and of jobs deleted elsewhere) are found here: each pass lists this
 * node's run folders and asks the store which of their runs still exist, a
 * batch at a time, yielding between batches. A folder is made after its run
 * is recorded, so a folder without a run is never one being made.
 *
 * Only folders made for this database are swept: a data folder is marked
 * with the database's id (runs/.store-id) when a node first uses it empty,
 * or when `jobdeck migrate` moves its store there. A folder holding run
 * folders of another store (a SQLite store, another database) is never
 * swept: their runs are not this database's.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineStore } from './store/engineStore';
import type { Logger } from './logger';

/** The database's own id (a setting), which the data folders made for it carry. */
export const STORE_ID_SETTING = 'store.id';
const MARK = '.store-id';

/** The id of the store a data folder's run folders were made for (null: not marked). */
export function folderMark(dataDir: string): string | null {
  try {
    return readFileSync(join(dataDir, 'runs', MARK), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** Marks a data folder's run folders as made for the store `id`. */
export function markFolder(dataDir: string, id: string): void {
  mkdirSync(join(dataDir, 'runs'), { recursive: true });
  writeFileSync(join(dataDir, 'runs', MARK), `${id}\n`);
}

/** The database's id, made by the first process that asks. */
export const storeIdOf = (store: EngineStore): Promise<string> => store.settings.claim(STORE_ID_SETTING, randomUUID());

/** Run ids asked about in one statement. */
const BATCH = 500;

export interface FolderSweepDeps {
  store: EngineStore;
  dataDir: string;
  /** Between passes (ms); the first pass starts after `firstMs`. */
  everyMs: number;
  firstMs: number;
  logger: Logger;
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
  /** The folder's run folders were made for this database. */
  private ours = false;

  constructor(private readonly deps: FolderSweepDeps) {}

  /** Marks a fresh folder as this database's, then sweeps it from time to time (a folder of another store: never). */
  async start(): Promise<void> {
    const { dataDir, store, logger } = this.deps;
    const id = await storeIdOf(store);
    let mark = folderMark(dataDir);
    const runs = join(dataDir, 'runs');
    if (mark === null && !(existsSync(runs) && readdirSync(runs).some(numeric))) {
      markFolder(dataDir, id);
      mark = id;
    }
    this.ours = mark === id;
    if (!this.ours) {
      logger.warn(
        `the run folders in ${runs} were not made for this database (${mark ? `they are marked for store ${mark}` : 'they are not marked'}): ` +
          'this node does not remove those whose runs other nodes deleted; give it a data folder of its own',
      );
      return;
    }
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
    if (!this.ours) return Promise.resolve(0);
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
