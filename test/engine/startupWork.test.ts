/**
 * What opening an engine and running one script costs, as work done or not
 * done (not as timings): `jobdeck run` asks for its launcher as the engine
 * opens, so that it boots while the run is got ready, and nothing else
 * starts one before the first run or the scheduler; the packages only mail,
 * webhooks, templates, workflow conditions and downloads need are loaded
 * when that work first happens, never by a plain run.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { LauncherPool } from '../../electron/engine/runner/launcherPool';
import { LAUNCHER_DEFAULTS, prestartLauncher } from '../../electron/engine/runner/launcherStart';
import { defaultLauncherPath } from '../../electron/engine/runner/processPort';
import { conditionProblem } from '../../electron/engine/workflows/expressions';
import { openEngine, until } from '../helpers/engine';
import { isAlive } from '../helpers/process';

/** The launcher started ahead (the one whose parent is this process, not yet taken). */
const prestartedPid = (): number => (globalThis as Record<symbol, { child: { pid: number } } | undefined>)[Symbol.for('jobdeck.prestartedLauncher')]!.child.pid;

const LAZY = ['nodemailer', 'standardwebhooks', 'liquidjs', '@marcbachmann/cel-js', 'mime-types'];
const loaded = (name: string) => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes(`/node_modules/${name}/`));

describe('start-up work', () => {
  it('starts no launcher before the first run unless asked to, and starts it as the engine opens when asked', async () => {
    const idle = openEngine({ scheduler: false, launchers: 1 });
    const asked = openEngine({ scheduler: false, launchers: 1, startLaunchers: true });
    const pool = (e: typeof idle.engine) => e.port as LauncherPool;
    expect(pool(idle.engine)).toBeInstanceOf(LauncherPool);
    expect(pool(idle.engine).pids).toEqual([]);
    expect(pool(asked.engine).pids).toHaveLength(1);
    const launcher = pool(asked.engine).pids[0];
    // The run goes to the launcher already started, not to a second one.
    const job = await asked.client.call('jobs.create', { name: 'trivial', script: 'echo hi', schedule: { kind: 'manual' } });
    const run = await asked.engine.waitForRun((await asked.client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    expect(pool(asked.engine).pids).toEqual([launcher]);
    expect(pool(idle.engine).pids).toEqual([]);
  });

  it('takes over a launcher started ahead (jobdeck run forks it before loading) when its file and options match, and stops one that does not match', async () => {
    prestartLauncher(defaultLauncherPath(), LAUNCHER_DEFAULTS);
    const ahead = prestartedPid();
    // The test helper's engines use a shorter closeGraceMs than the default: that one is stopped, not used.
    const other = openEngine({ scheduler: false, launchers: 1, startLaunchers: true });
    const otherPid = (other.engine.port as LauncherPool).pids[0]!;
    expect(otherPid).not.toBe(ahead);
    await until(() => !isAlive(ahead));

    prestartLauncher(defaultLauncherPath(), LAUNCHER_DEFAULTS);
    const matching = prestartedPid();
    const { engine, client } = openEngine({ scheduler: false, launchers: 1, startLaunchers: true, closeGraceMs: LAUNCHER_DEFAULTS.closeGraceMs });
    expect((engine.port as LauncherPool).pids).toEqual([matching]);
    const job = await client.call('jobs.create', { name: 'ahead', script: 'echo "launcher $PPID"', schedule: { kind: 'manual' } });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    expect((await client.call('runs.logs', { id: run.id })).lines.map((l) => l.text)).toContain(`launcher ${matching}`);
  });

  it('runs a script job without loading the packages of mail, webhooks, templates, conditions and downloads, and loads them on first use', async () => {
    const { engine, client } = openEngine({ scheduler: false, launchers: 1 });
    const job = await client.call('jobs.create', { name: 'plain', script: 'echo hi; mkdir -p output; echo x > output/a.txt', schedule: { kind: 'manual' } });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    expect(await client.call('runs.files', { id: run.id })).toHaveLength(1);
    expect(LAZY.filter(loaded)).toEqual([]);
    // First use loads the package, synchronously, and it works as before.
    expect(conditionProblem('1 +')).toMatch(/not a valid expression/);
    expect(conditionProblem('true && false')).toBeNull();
    expect(loaded('@marcbachmann/cel-js')).toBe(true);
  });
});
