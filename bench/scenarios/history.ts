/**
 * History at scale: a store of 10,000 jobs and 1,000,000 runs. runs.list by
 * job + status + date range (page of 50; p50/p99 over 1,000 queries),
 * jobs.list ordered by next run, and engine start-up on that store.
 */
import { Engine } from '../../electron/engine/engine';
import { percentile, quick, report, round, tempDir } from '../lib';
import { timeRunsList } from '../runsQueries';
import { seedStore } from '../seedStore';

const JOBS = 10_000;
const RUNS = quick ? 200_000 : 1_000_000;
const ctx = { actor: 'bench', role: 'viewer' as const };

const tmp = tempDir();
const now = Date.now();
seedStore(tmp.dir, { jobs: JOBS, runs: RUNS, now });

const t0 = performance.now();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const startupMs = performance.now() - t0;

const { allPages } = await import('../../shared/client/pages');
const { JOBS_PAGE_MAX } = await import('../../shared/contract');
const h = engine.handlers;
const { times: listTimes, rows } = await timeRunsList(engine, JOBS, now, 1000);
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
