/**
 * Warm runtimes: how long a Node job `console.log(1)` and a Python one take
 * from their start (the process spawned, or the run handed to a warm one,
 * as the run's startedAt records it) to their first output line, and from
 * being triggered to that line reaching the engine (the engine's own share
 * shown by an sh job's), with
 * warm starts on (a pre-started interpreter in the launcher) and off (a
 * fresh process), alternating in the same engine and run so drift hits all
 * four alike. Each run waits a moment after the previous one ended, as runs
 * spread in time would: the pool refills in the background meanwhile. The
 * warm jobs' runs that found no ready interpreter start cold and count in
 * their figures (warmStarts says how many started warm).
 */
import { Engine } from '../../electron/engine/engine';
import { percentile, quick, report, round, sleep, tempDir } from '../lib';

const REPS = quick ? 6 : 40;
const ctx = { actor: 'bench', role: 'superadmin' as const };
const tmp = tempDir();

/** Run id -> when its first stdout line arrived. */
const firstLine = new Map<number, number>();
const engine = Engine.open({
  dataDir: tmp.dir,
  scheduler: false,
  launchers: 1,
  onError: (e) => console.error(e),
  onLines: (run, stream) => {
    if (stream === 'stdout' && !firstLine.has(run.id)) firstLine.set(run.id, performance.now());
  },
});

const KINDS = [
  { key: 'nodeWarm', runtime: 'node', script: 'console.log(1)\n', warm: true },
  { key: 'nodeCold', runtime: 'node', script: 'console.log(1)\n', warm: false },
  { key: 'pythonWarm', runtime: 'python3', script: 'print(1)\n', warm: true },
  { key: 'pythonCold', runtime: 'python3', script: 'print(1)\n', warm: false },
  // The engine's own share (dispatch, run folder, launcher messages, log write): a shell's first line.
  { key: 'sh', runtime: 'sh', script: 'echo 1\n', warm: true },
] as const;

const jobs = new Map<string, number>();
for (const k of KINDS) {
  const job = await engine.handlers['jobs.create']({ name: k.key, script: k.script, runtime: k.runtime, warm: k.warm, schedule: { kind: 'manual' }, retention: 1000 }, ctx);
  jobs.set(k.key, job.id);
}

const times: Record<string, number[]> = Object.fromEntries(KINDS.map((k) => [k.key, []]));
/** From the process's start (spawn, or hand-over to a warm one) to its first line, both stamped by the launcher (ms). */
const fromStart: Record<string, number[]> = Object.fromEntries(KINDS.map((k) => [k.key, []]));
const warmStarts: Record<string, number> = Object.fromEntries(KINDS.map((k) => [k.key, 0]));

async function once(key: string): Promise<void> {
  const t0 = performance.now();
  const { id } = await engine.handlers['runs.trigger']({ jobId: jobs.get(key)! }, ctx);
  const run = await engine.waitForRun(id);
  if (run.status !== 'SUCCEEDED') throw new Error(`${key} run ${id} ended ${run.status}: ${run.error}`);
  const at = firstLine.get(id);
  if (at === undefined) throw new Error(`${key} run ${id} printed nothing`);
  times[key]!.push(at - t0);
  const { lines } = await engine.handlers['runs.logs']({ id }, ctx);
  const out = lines.find((l) => l.stream === 'stdout');
  if (run.startedAt && out) fromStart[key]!.push(Date.parse(out.ts) - Date.parse(run.startedAt));
  if (lines.some((l) => l.stream === 'system' && l.text.startsWith('Started in a pre-started'))) warmStarts[key]! += 1;
}

// One round first, not counted: the launcher starts, the pools see their first demand.
for (const k of KINDS) await once(k.key);
for (const k of KINDS) times[k.key] = [];
for (const k of KINDS) fromStart[k.key] = [];
for (const k of KINDS) warmStarts[k.key] = 0;
for (let i = 0; i < REPS; i++) {
  for (const k of KINDS) {
    await sleep(150);
    await once(k.key);
  }
}
await engine.close(1000);
tmp.remove();

const stat = (xs: number[]) => ({ p50: round(percentile(xs, 50)), p90: round(percentile(xs, 90)) });
const figures = Object.fromEntries(KINDS.map((k) => [k.key, stat(times[k.key]!)]));
const startFigures = Object.fromEntries(KINDS.map((k) => [k.key, stat(fromStart[k.key]!)]));
const p50 = (key: string) => percentile(fromStart[key]!, 50);
report({
  scenario: 'warm',
  repetitions: REPS,
  startToFirstLineMs: figures,
  processStartToFirstLineMs: startFigures,
  warmStarts,
  nodeSpeedup: round(p50('nodeCold') / p50('nodeWarm'), 1),
  pythonSpeedup: round(p50('pythonCold') / p50('pythonWarm'), 1),
  pass: p50('nodeWarm') <= 10 && p50('pythonWarm') <= 10,
  target: "run's start to its first output line p50 <= 10 ms for a warm node and python3 job (console.log(1), print(1)); cold and sh measured beside them",
});
