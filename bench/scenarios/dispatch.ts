/**
 * Dispatch precision: 1,000 jobs on 10-second intervals with start times
 * spread over the interval (about 100 runs a second), script `exit 0` in sh.
 * Lateness = when the child process was spawned minus when the run was due.
 */
import { Engine } from '../../electron/engine/engine';
import { percentile, quick, report, round, sleep, tempDir } from '../lib';

const JOBS = 1000;
const INTERVAL_S = 10;
/** One whole interval (every job fired once) in the full suite; enough fires to warm the code in the quick one. */
const WARMUP_MS = quick ? 2_000 : 10_000;
const MEASURE_MS = quick ? 5_000 : 30_000;
const ctx = { actor: 'bench', role: 'superadmin' as const };

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
for (let i = 0; i < JOBS; i++) {
  await engine.handlers['jobs.create']({ name: `tick ${i}`, script: 'exit 0', schedule: { kind: 'interval', seconds: INTERVAL_S }, retention: 100 }, ctx);
}
// Spread the first fires evenly over one interval, starting shortly.
const start = Date.now() + (quick ? 1000 : 2000);
const setNext = engine.store.db.prepare('UPDATE jobs SET next_fire_at = ? WHERE id = ?');
engine.store.db.transaction(() => {
  for (let i = 0; i < JOBS; i++) setNext.run(start + Math.floor((i * INTERVAL_S * 1000) / JOBS), i + 1);
}).immediate();
await engine.handlers['scheduler.restart']({}, ctx);
const measureFrom = start + WARMUP_MS;
const measureTo = measureFrom + MEASURE_MS;
await sleep(measureTo - Date.now() + (quick ? 1500 : 3000));
await engine.close(5000);

const { Store } = await import('../../electron/engine/store/store');
const { dbFile } = await import('../../electron/engine/paths');
const store = Store.open(dbFile(tmp.dir));
const runs = store.db
  .prepare("SELECT due_at, started_at, status FROM runs WHERE trigger = 'schedule' AND due_at >= ? AND due_at < ?")
  .all(measureFrom, measureTo) as { due_at: number; started_at: number | null; status: string }[];
store.close();
tmp.remove();

// Every job fires once per interval: the fires due in the window.
const expected = Math.round((MEASURE_MS / (INTERVAL_S * 1000)) * JOBS);
const lateness = runs.filter((r) => r.started_at !== null).map((r) => r.started_at! - r.due_at);
const p99 = percentile(lateness, 99);
report({
  scenario: 'dispatch',
  jobs: JOBS,
  seconds: MEASURE_MS / 1000,
  runsPerSecond: round(runs.length / (MEASURE_MS / 1000)),
  expectedFires: expected,
  fired: runs.length,
  missedFires: Math.max(0, expected - runs.length),
  failedRuns: runs.filter((r) => r.status !== 'SUCCEEDED').length,
  latenessMs: { p50: percentile(lateness, 50), p99, max: Math.max(...lateness) },
  pass: p99 <= 15 && runs.length >= expected,
  target: 'lateness p99 <= 15 ms, no missed fires',
});
