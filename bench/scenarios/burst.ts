/**
 * Burst: 200 jobs whose cron fires every second at the same instant, script
 * /bin/true, for 30 s: completed runs per second, lateness p99, and that
 * every run was persisted with its log. The limit is the machine's own: a
 * bare spawn loop at the same concurrency starting 200 children of
 * /bin/true, measured before and after the engine (median of both rounds).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine';
import { dbFile } from '../../electron/engine/paths';
import { Store } from '../../electron/engine/store/store';
import { percentile, quick, report, round, sleep, tempDir } from '../lib';

const JOBS = 200;
/** A burst of tiny processes: more of them may be alive at once than the 2 x CPU default. */
const CONCURRENCY = Number(process.env.BURST_CONCURRENCY ?? 32);
const WARMUP_MS = quick ? 2000 : 3000;
const MEASURE_MS = quick ? 5_000 : 30_000;
const ctx = { actor: 'bench', role: 'superadmin' as const };

/** Bare bursts (five, three when quick): when the 200th child had started, and the rate that makes. */
const bareBursts = () =>
  Array.from({ length: quick ? 3 : 5 }, () => {
    const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bareSpawn.mjs'), String(JOBS), String(CONCURRENCY), '/bin/true'], {
      encoding: 'utf8',
    });
    return (JSON.parse(out) as { lastStartedMs: number }).lastStartedMs;
  });
const bareBefore = bareBursts();

const tmp = tempDir();
const LAUNCHERS = process.env.BENCH_LAUNCHERS ? Number(process.env.BENCH_LAUNCHERS) : undefined;
// BENCH_CHECKPOINTS=off leaves WAL checkpoints inside the commits (SQLite's default), for A/B runs.
const backgroundCheckpoints = process.env.BENCH_CHECKPOINTS !== 'off';
const engine = Engine.open({ dataDir: tmp.dir, concurrency: CONCURRENCY, launchers: LAUNCHERS, backgroundCheckpoints, onError: (e) => console.error(e) });
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
// The last second's runs end (a /bin/true each) well within the tail.
await sleep(measureTo - Date.now() + (quick ? 2000 : 3000));
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
const bareLastStartedMs = percentile([...bareBefore, ...bareBursts()], 50);
/** Children a bare loop starts per second, in bursts of 200. */
const bareRate = (JOBS / bareLastStartedMs) * 1000;

const seconds = MEASURE_MS / 1000;
const succeeded = runs.filter((r) => r.status === 'SUCCEEDED');
const withLogs = succeeded.filter((r) => r.lines >= 2).length;
const lateness = runs.filter((r) => r.started_at !== null).map((r) => r.started_at! - r.due_at);
const p99 = percentile(lateness, 99);
const expected = JOBS * seconds;
const completedPerSecond = succeeded.length / seconds;
const latenessRatio = p99 / bareLastStartedMs;
// The bare loop's rate bounds what can be completed; where it manages 200/s, every fire must be.
const rateNeeded = Math.min(JOBS, bareRate);
report({
  scenario: 'burst',
  jobs: JOBS,
  concurrency: CONCURRENCY,
  seconds,
  completedPerSecond: round(completedPerSecond),
  expectedPerSecond: JOBS,
  bareLastStartedMs: round(bareLastStartedMs),
  bareBurstPerSecond: round(bareRate),
  latenessRatio: round(latenessRatio, 2),
  missedFires: expected - runs.length,
  persistedWithLogs: withLogs === succeeded.length,
  latenessMs: { p50: percentile(lateness, 50), p99, max: Math.max(...lateness) },
  pass: completedPerSecond >= rateNeeded && withLogs === succeeded.length && latenessRatio <= 1.2,
  target:
    "completed per second >= a bare spawn loop's rate in bursts of 200 (and 200/s where it manages 200/s), every run persisted with its log; lateness p99 <= 1.2 x the time that loop takes to start its 200th child",
});
