/**
 * Burst: 200 jobs whose cron fires every second at the same instant, script
 * /bin/true, for 30 s: completed runs per second, lateness p99, and that
 * every run was persisted with its log.
 */
import { Engine } from '../../electron/engine/engine';
import { dbFile } from '../../electron/engine/paths';
import { Store } from '../../electron/engine/store/store';
import { percentile, quick, report, round, sleep, tempDir } from '../lib';

const JOBS = 200;
/** A burst of tiny processes: more of them may be alive at once than the 2 x CPU default. */
const CONCURRENCY = Number(process.env.BURST_CONCURRENCY ?? 32);
const WARMUP_MS = 3000;
const MEASURE_MS = quick ? 10_000 : 30_000;
const ctx = { actor: 'bench', role: 'superadmin' as const };

const tmp = tempDir();
const LAUNCHERS = process.env.BENCH_LAUNCHERS ? Number(process.env.BENCH_LAUNCHERS) : undefined;
const engine = Engine.open({ dataDir: tmp.dir, concurrency: CONCURRENCY, launchers: LAUNCHERS, onError: (e) => console.error(e) });
for (let i = 0; i < JOBS; i++) {
  await engine.handlers['jobs.create'](
    {
      name: `burst ${i}`,
      script: '',
      runtime: '/bin/true {script}',
      schedule: { kind: 'cron', expression: '* * * * * *', timezone: 'UTC' },
      retention: 1000,
    },
    ctx,
  );
}
const first = Math.ceil((Date.now() + 500) / 1000) * 1000;
const measureFrom = first + WARMUP_MS;
const measureTo = measureFrom + MEASURE_MS;
await sleep(measureTo - Date.now() + 3000);
await engine.close(5000);

const store = Store.open(dbFile(tmp.dir));
const runs = store.db
  .prepare(
    `SELECT r.due_at, r.started_at, r.status, (SELECT COUNT(*) FROM log_lines l WHERE l.run_id = r.id) AS lines
     FROM runs r WHERE r.trigger = 'schedule' AND r.due_at >= ? AND r.due_at < ?`,
  )
  .all(measureFrom, measureTo) as { due_at: number; started_at: number | null; status: string; lines: number }[];
store.close();
tmp.remove();

const seconds = MEASURE_MS / 1000;
const succeeded = runs.filter((r) => r.status === 'SUCCEEDED');
const withLogs = succeeded.filter((r) => r.lines >= 2).length;
const lateness = runs.filter((r) => r.started_at !== null).map((r) => r.started_at! - r.due_at);
const p99 = percentile(lateness, 99);
const expected = JOBS * seconds;
report({
  scenario: 'burst',
  jobs: JOBS,
  concurrency: CONCURRENCY,
  seconds,
  completedPerSecond: round(succeeded.length / seconds),
  expectedPerSecond: JOBS,
  missedFires: expected - runs.length,
  persistedWithLogs: withLogs === succeeded.length,
  latenessMs: { p50: percentile(lateness, 50), p99, max: Math.max(...lateness) },
  pass: succeeded.length === expected && withLogs === succeeded.length && p99 <= 250,
  target: 'all 200 per second completed and persisted with their logs, lateness p99 <= 250 ms',
});
