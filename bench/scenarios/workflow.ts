/**
 * Workflow overhead: a 200-task workflow (tasks one after another, each
 * `true`) against single runs of the same script, one after another, in the
 * same engine and run. The figure is the wall time per task against the
 * wall time per run (both include spawning the process and persisting its
 * outcome), and the same for CPU; also a 200-subtask parallel group.
 */
import { Engine } from '../../electron/engine/engine';
import { LauncherPool } from '../../electron/engine/runner/launcherPool';
import { procsCpu, quick, report, round, tempDir } from '../lib';

const TASKS = 200;
const SINGLE_RUNS = quick ? 40 : 100;
const ctx = { actor: 'bench', role: 'superadmin' as const };

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
/** Every launcher's CPU and that of the jobs it reaped (one launcher per core; a task may run on any). */
const launchersCpu = () => procsCpu((engine.port as LauncherPool).pids);

async function measure(fn: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const l0 = launchersCpu();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const l1 = launchersCpu();
  return { ms, cpuMs: ((c.user + c.system) / 1e6 + (l1.own - l0.own) + (l1.children - l0.children)) * 1000 };
}

const single = await engine.handlers['jobs.create']({ name: 'single', script: 'true', schedule: { kind: 'manual' }, retention: 1000 }, ctx);
const sequence = await engine.handlers['jobs.create'](
  { name: 'sequence', schedule: { kind: 'manual' }, workflow: { tasks: Array.from({ length: TASKS }, (_, i) => ({ name: `t${i}`, script: 'true' })) } },
  ctx,
);
const parallel = await engine.handlers['jobs.create'](
  { name: 'parallel', schedule: { kind: 'manual' }, workflow: { tasks: [{ name: 'group', subtasks: Array.from({ length: TASKS }, (_, i) => ({ name: `t${i}`, script: 'true' })) }] } },
  ctx,
);
const runOnce = async (jobId: number) => {
  const run = await engine.handlers['runs.trigger']({ jobId }, ctx);
  const done = await engine.waitForRun(run.id);
  if (done.status !== 'SUCCEEDED') throw new Error(`run ${run.id} ${done.status}: ${done.error}`);
};
// Warm up: the launcher, the job folders, the statement caches.
await runOnce(single.id);
await runOnce(sequence.id);

const singles = await measure(async () => {
  for (let i = 0; i < SINGLE_RUNS; i++) await runOnce(single.id);
});
const seq = await measure(() => runOnce(sequence.id));
const par = await measure(() => runOnce(parallel.id));
await engine.close(5000);
tmp.remove();

const perRun = { ms: singles.ms / SINGLE_RUNS, cpuMs: singles.cpuMs / SINGLE_RUNS };
const perTask = { ms: seq.ms / TASKS, cpuMs: seq.cpuMs / TASKS };
const wallRatio = perTask.ms / perRun.ms;
const cpuRatio = perTask.cpuMs / perRun.cpuMs;
report({
  scenario: 'workflow',
  tasks: TASKS,
  singleRunMs: round(perRun.ms, 2),
  singleRunCpuMs: round(perRun.cpuMs, 2),
  sequentialTaskMs: round(perTask.ms, 2),
  sequentialTaskCpuMs: round(perTask.cpuMs, 2),
  parallelTaskMs: round(par.ms / TASKS, 2),
  wallRatio: round(wallRatio, 2),
  cpuRatio: round(cpuRatio, 2),
  pass: wallRatio <= 1.5 && cpuRatio <= 1.5,
  target: 'a task of a 200-task workflow costs <= 1.5x a single run of the same script (wall and CPU)',
});
