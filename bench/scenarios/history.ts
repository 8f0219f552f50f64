/**
 * History at scale: a store of 10,000 jobs and 1,000,000 runs. runs.list by
 * job + status + date range (page of 50; p50/p99 over 1,000 queries),
 * jobs.list ordered by next run, and engine start-up on that store.
 */
import { createHash } from 'node:crypto';
import { Engine } from '../../electron/engine/engine';
import { dbFile } from '../../electron/engine/paths';
import { Store } from '../../electron/engine/store/store';
import { percentile, quick, report, round, tempDir } from '../lib';

const JOBS = 10_000;
const RUNS = quick ? 200_000 : 1_000_000;
const DAY = 86_400_000;
const ctx = { actor: 'bench', role: 'viewer' as const };

const tmp = tempDir();
const now = Date.now();
{
  // Seed the store directly, as years of use would have left it.
  const store = Store.open(dbFile(tmp.dir));
  const md5 = createHash('md5').update('echo report').digest('hex');
  const insertJob = store.db.prepare(`INSERT INTO jobs (name, grp, script, script_md5, runtime, schedule_kind, interval_s, cron_expr, timezone,
    next_fire_at, last_run_id, last_status, last_run_at, created_at, created_by, updated_at, updated_by)
    VALUES (?, ?, 'echo report', ?, 'sh', ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, 'bench', ?, 'bench')`);
  const insertRun = store.db.prepare(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, started_at, finished_at, exit_code, owner, last_seq)
    VALUES (?, ?, 'schedule', 'scheduler', ?, ?, ?, ?, 'gone', 2)`);
  const setLast = store.db.prepare('UPDATE jobs SET last_run_id = ?, last_status = ?, last_run_at = ? WHERE id = ?');
  store.db.transaction(() => {
    for (let i = 0; i < JOBS; i++) {
      const kind = i % 10 === 0 ? 'manual' : i % 3 === 0 ? 'cron' : 'interval';
      insertJob.run(
        `job ${String(i).padStart(5, '0')}`,
        `group ${i % 25}`,
        md5,
        kind,
        kind === 'interval' ? 60 + (i % 240) : null,
        kind === 'cron' ? '0 30 2 * * *' : null,
        kind === 'cron' ? 'UTC' : null,
        kind === 'manual' ? null : now + 60_000 + ((i * 7919) % 3_600_000),
        now - 400 * DAY,
        now - 400 * DAY,
      );
    }
  }).immediate();
  const perJob = RUNS / JOBS;
  let id = 0;
  for (let chunk = 0; chunk < JOBS; chunk += 500) {
    store.db.transaction(() => {
      for (let j = chunk; j < chunk + 500; j++) {
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
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
}

const t0 = performance.now();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const startupMs = performance.now() - t0;

const { allPages } = await import('../../shared/client/pages');
const { JOBS_PAGE_MAX } = await import('../../shared/contract');
const h = engine.handlers;
const fmt = (ms: number) => new Date(ms).toISOString();
const listTimes: number[] = [];
let rows = 0;
for (let q = 0; q < 1000; q++) {
  const jobId = 1 + ((q * 7919) % JOBS);
  const status = (['SUCCEEDED', 'FAILED', 'CANCELLED'] as const)[q % 3]!;
  const from = now - ((q % 300) + 60) * DAY;
  const t = performance.now();
  const page = await h['runs.list']({ jobId, status: [status], from: fmt(from), to: fmt(from + 90 * DAY), limit: 50 }, ctx);
  listTimes.push(performance.now() - t);
  rows += page.items.length;
}
// Across all jobs too (the runs screen without a job filter).
const allTimes: number[] = [];
for (let q = 0; q < 200; q++) {
  const t = performance.now();
  await h['runs.list']({ status: ['FAILED'], limit: 50, offset: (q % 10) * 50 }, ctx);
  allTimes.push(performance.now() - t);
}
const jobsTimes: number[] = [];
let jobCount = 0;
for (let q = 0; q < 20; q++) {
  const t = performance.now();
  // The whole list, as the console loads it: pages of the largest size, in id order.
  jobCount = (await allPages((offset, limit) => h['jobs.list']({ order: 'id', offset, limit }, ctx), JOBS_PAGE_MAX)).length;
  jobsTimes.push(performance.now() - t);
}
await engine.close(0);
tmp.remove();

const p99 = percentile(listTimes, 99);
const jobsP50 = percentile(jobsTimes, 50);
report({
  scenario: 'history',
  jobs: JOBS,
  runs: RUNS,
  runsListMs: { p50: round(percentile(listTimes, 50), 2), p99: round(p99, 2), rowsPerQuery: round(rows / 1000) },
  runsListAllJobsMs: { p50: round(percentile(allTimes, 50), 2), p99: round(percentile(allTimes, 99), 2) },
  jobsListMs: { p50: round(jobsP50, 1), first: round(jobsTimes[0]!, 1), jobs: jobCount },
  startupMs: round(startupMs),
  pass: p99 <= 10 && jobsP50 <= 50 && startupMs <= 1000,
  target: 'runs.list p99 <= 10 ms, jobs.list <= 50 ms, start-up <= 1 s',
});
