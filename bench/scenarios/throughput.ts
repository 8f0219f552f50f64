/**
 * Throughput ceiling: as many runs of `sh -c 'echo hi'` as the engine can
 * complete (spawned, output captured, SUCCEEDED persisted) at its default
 * concurrency, against a bare spawn loop of the same command at the same
 * concurrency, measured in this run.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../electron/engine/engine';
import { LauncherPool } from '../../electron/engine/runner/launcherPool';
import { procsCpu, quick, report, round, sleep, tempDir } from '../lib';
import { profileWindow } from '../profile';

const N = quick ? 600 : 6000;
const concurrency = Math.max(2, cpus().length * 2);
const ctx = { actor: 'bench', role: 'superadmin' as const };

/** The bare loop, run before and after the engine and averaged: the machine's speed drifts. */
const bareRun = () =>
  JSON.parse(
    execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bareSpawn.mjs'), String(N / 2), String(concurrency), 'sh', '-c', 'echo hi'], {
      encoding: 'utf8',
    }),
  ) as { perSecond: number; cpuPerRunMs: number };
const bareBefore = bareRun();

/** What a run folder alone costs here (the floor of a design that writes each run's script into its own folder); folderCost.mjs deletes nothing. */
const folderScratch = tempDir();
const folder = JSON.parse(
  execFileSync(process.execPath, [join(import.meta.dirname, '..', 'folderCost.mjs'), String(N / 2), folderScratch.dir], { encoding: 'utf8' }),
) as { cpuPerRunMs: number };

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const jobIds: number[] = [];
for (let i = 0; i < N; i++) {
  jobIds.push((await engine.handlers['jobs.create']({ name: `echo ${i}`, script: 'echo hi', schedule: { kind: 'manual' }, retention: 1000 }, ctx)).id);
}
// Steady state: every job has run once (its folder exists, caches are warm), as on a scheduler in use.
const warm = await Promise.all(jobIds.map(async (id) => (await engine.handlers['runs.trigger']({ jobId: id }, ctx)).id));
await Promise.all(warm.map((id) => engine.waitForRun(id)));
// Done when no run is left unfinished, asked every 20 ms of the partial index of unfinished runs (one
// entry read): this process's CPU is the engine's figure, and counting the measured runs that had
// succeeded at each look cost it ~0.02 ms a run (every run each 5 ms: ~0.1 ms). Checked whole after.
const afterWarm = Math.max(...warm);
const unfinished = engine.store.db.prepare("SELECT 1 FROM runs WHERE status IN ('QUEUED', 'IN_PROGRESS') LIMIT 1").pluck();
const succeeded = engine.store.db.prepare("SELECT COUNT(*) FROM runs WHERE id > ? AND status = 'SUCCEEDED'").pluck();
// Every launcher's CPU, and that of the jobs it reaped, counts (one launcher per core).
const launcherPids = (engine.port as LauncherPool).pids;
const launchersCpu = () => procsCpu(launcherPids);
const cpu0 = process.cpuUsage();
const l0 = launchersCpu();
const t0 = performance.now();
await profileWindow(async () => {
  for (const id of jobIds) await engine.handlers['runs.trigger']({ jobId: id }, ctx);
  while (unfinished.get() !== undefined) await sleep(20);
});
const seconds = (performance.now() - t0) / 1000;
const c = process.cpuUsage(cpu0);
const l1 = launchersCpu();
const cpuSeconds = (c.user + c.system) / 1e6 + (l1.own - l0.own) + (l1.children - l0.children);
const allSucceeded = (succeeded.get(afterWarm) as number) === N;
const captured = engine.store.db.prepare("SELECT COUNT(*) FROM log_lines WHERE stream = 1 AND text = 'hi'").pluck().get() as number;
await engine.close(5000);
tmp.remove();
folderScratch.remove();
const bareAfter = bareRun();
const bare = {
  perSecond: (bareBefore.perSecond + bareAfter.perSecond) / 2,
  cpuPerRunMs: (bareBefore.cpuPerRunMs + bareAfter.cpuPerRunMs) / 2,
};

const perSecond = N / seconds;
const cpuPerRunMs = (cpuSeconds / N) * 1000;
report({
  scenario: 'throughput',
  runs: N,
  concurrency,
  engineRunsPerSecond: round(perSecond),
  bareRunsPerSecond: round(bare.perSecond),
  rateRatio: round(perSecond / bare.perSecond, 2),
  engineCpuPerRunMs: round(cpuPerRunMs, 2),
  cpuSplitMs: {
    engine: round(((c.user + c.system) / 1e6 / N) * 1000, 2),
    launcher: round(((l1.own - l0.own) / N) * 1000, 2),
    jobs: round(((l1.children - l0.children) / N) * 1000, 2),
  },
  bareCpuPerRunMs: round(bare.cpuPerRunMs, 2),
  runFolderCpuPerRunMs: round(folder.cpuPerRunMs, 2),
  cpuRatio: round(cpuPerRunMs / bare.cpuPerRunMs, 2),
  allSucceeded,
  outputCaptured: captured >= N,
  pass: allSucceeded && perSecond / bare.perSecond >= 0.85 && cpuPerRunMs / bare.cpuPerRunMs <= 1.3,
  target: 'rate >= 0.85 x bare, CPU per run <= 1.3 x bare',
});
