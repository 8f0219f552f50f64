/**
 * Seeds a data folder's store directly through SQL, as years of use would
 * have left it: `jobs` jobs (one in ten manual, a third of the rest cron, the
 * others on intervals) and `runs` finished runs spread evenly over them and
 * over the past year (90 % succeeded, 8 % failed, 2 % cancelled). Big
 * transactions, so a million runs take seconds; the history and growth
 * scenarios share it so that their figures describe the same kind of store.
 */
import { createHash } from 'node:crypto';
import { dbFile } from '../electron/engine/paths';
import { Store } from '../electron/engine/store/store';

export const DAY = 86_400_000;

export interface SeedOptions {
  jobs: number;
  /** Total runs; a whole multiple of `jobs` (each job gets runs / jobs). */
  runs: number;
  /** The seed's "now": runs end before it, next fires come after it. */
  now: number;
  /**
   * The earliest next fire, this long after `now` (default 60 s). A scenario
   * that lasts longer than that pushes it out, so no seeded job fires (and
   * spawns) while it measures.
   */
  firstFireInMs?: number;
}

/** Jobs per transaction: each transaction writes them with all their runs. */
const CHUNK = 500;

export function seedStore(dataDir: string, o: SeedOptions): void {
  const { jobs, runs, now } = o;
  if (runs % jobs !== 0) throw new Error(`seedStore: ${runs} runs do not spread evenly over ${jobs} jobs`);
  const firstFire = now + (o.firstFireInMs ?? 60_000);
  const store = Store.open(dbFile(dataDir));
  try {
    const md5 = createHash('md5').update('echo report').digest('hex');
    const insertJob = store.db.prepare(`INSERT INTO jobs (name, grp, script, script_md5, runtime, schedule_kind, interval_s, cron_expr, timezone,
      next_fire_at, last_run_id, last_status, last_run_at, created_at, created_by, updated_at, updated_by)
      VALUES (?, ?, 'echo report', ?, 'sh', ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 'bench', ?, 'bench')`);
    const insertRun = store.db.prepare(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, started_at, finished_at, exit_code, owner, last_seq)
      VALUES (?, ?, 'schedule', 'scheduler', ?, ?, ?, ?, 'gone', 2)`);
    const setLast = store.db.prepare('UPDATE jobs SET last_run_id = ?, last_status = ?, last_run_at = ? WHERE id = ?');
    const width = String(jobs - 1).length;
    store.db.transaction(() => {
      for (let i = 0; i < jobs; i++) {
        const kind = i % 10 === 0 ? 'manual' : i % 3 === 0 ? 'cron' : 'interval';
        insertJob.run(
          `job ${String(i).padStart(Math.max(5, width), '0')}`,
          `group ${i % 25}`,
          md5,
          kind,
          kind === 'interval' ? 60 + (i % 240) : null,
          kind === 'cron' ? '0 30 2 * * *' : null,
          kind === 'cron' ? 'UTC' : null,
          kind === 'manual' ? null : firstFire + ((i * 7919) % 3_600_000),
          now - 400 * DAY,
          now - 400 * DAY,
        );
      }
    }).immediate();
    const perJob = runs / jobs;
    let id = 0;
    for (let chunk = 0; chunk < jobs; chunk += CHUNK) {
      store.db.transaction(() => {
        for (let j = chunk; j < Math.min(jobs, chunk + CHUNK); j++) {
          for (let k = 0; k < perJob; k++) {
            const queued = now - 365 * DAY + Math.floor(((k + (j % 7) / 7) * 365 * DAY) / perJob);
            const r = (j * 31 + k * 17) % 100;
            const status = r < 90 ? 'SUCCEEDED' : r < 98 ? 'FAILED' : 'CANCELLED';
            insertRun.run(j + 1, status, queued, queued + 5, queued + 900, status === 'SUCCEEDED' ? 0 : 1);
            id += 1;
          }
          setLast.run(id, 'SUCCEEDED', now - DAY, j + 1);
        }
      }).immediate();
    }
    // Fold the WAL into the main file, so its size is the store's size.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    store.close();
  }
}
