/**
 * The watchdog of runs spawned from the engine's own process (spawner
 * 'guarded', the CLI's): a shell told which process groups to stop when the
 * engine's process ends. The CLI's kill -9 test (test/cli/hardening.test.ts)
 * covers the whole; here, its bookkeeping and its lifetime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { GuardedInlinePort, Watchdog } from '../../electron/engine/runner/guardedPort';
import { openEngine, until } from '../helpers/engine';
import { isAlive } from '../helpers/process';

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid && isAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
});

/** A process leading a group of its own; `ignoreTerm`: it survives SIGTERM. */
function groupLeader(ignoreTerm = false, runKey?: string): number {
  const child = spawn('sh', ['-c', ignoreTerm ? "trap '' TERM; sleep 60 & wait" : 'sleep 60'], {
    detached: true,
    stdio: 'ignore',
    env: runKey ? { ...process.env, JOBDECK_RUN_KEY: runKey } : process.env,
  });
  started.push(child);
  return child.pid!;
}

describe('the run watchdog', () => {
  it('stops the groups still listed when its input ends, SIGKILL for one that ignores SIGTERM, and leaves released ones alone', async () => {
    const watchdog = new Watchdog({ graceMs: 1500, onProblem: (m) => expect.fail(m) });
    const [a, b, c, stubborn] = [groupLeader(), groupLeader(), groupLeader(), groupLeader(true)];
    for (const pid of [a, b, c, stubborn]) watchdog.watch(pid, `test.${pid}`);
    watchdog.release(b);
    // Released twice, or never listed: nothing happens.
    watchdog.release(b);
    watchdog.release(999_999);
    const dog = watchdog.pid!;
    expect(isAlive(dog)).toBe(true);
    watchdog.close();
    await until(() => (!isAlive(a) && !isAlive(c) ? true : undefined), 5000, 'the listed groups to stop');
    // The stubborn one outlives the SIGTERM and goes at the SIGKILL.
    expect(isAlive(stubborn)).toBe(true);
    await until(() => (!isAlive(stubborn) ? true : undefined), 5000, 'SIGKILL after the grace period');
    await until(() => (!isAlive(dog) ? true : undefined), 5000, 'the watchdog to exit');
    expect(isAlive(b)).toBe(true);
  });

  it('also stops a process that left its run\'s group (a setsid daemon), found by the run key in its environment', async () => {
    const watchdog = new Watchdog({ graceMs: 1000, onProblem: (m) => expect.fail(m) });
    const key = `watchdog-test.${process.pid}.${Date.now()}`;
    const leader = groupLeader(false, key);
    // In a session of its own, listed nowhere: only its key ties it to the run.
    const daemon = groupLeader(false, key);
    const stranger = groupLeader(false, `${key}-other`);
    watchdog.watch(leader, key);
    watchdog.close();
    await until(() => (!isAlive(leader) && !isAlive(daemon) ? true : undefined), 5000, 'the group and the escaped process to stop');
    expect(isAlive(stranger)).toBe(true);
  });

  it('is started again when it dies, and told everything still guarded', async () => {
    const problems: string[] = [];
    const watchdog = new Watchdog({ graceMs: 1000, onProblem: (m) => problems.push(m) });
    const a = groupLeader();
    watchdog.watch(a, 'test.a');
    const first = watchdog.pid!;
    process.kill(first, 'SIGKILL');
    const second = await until(() => (watchdog.pid && watchdog.pid !== first ? watchdog.pid : undefined), 5000, 'a new watchdog');
    expect(problems).toEqual([expect.stringMatching(/^the run watchdog exited \(SIGKILL\); started again: /)]);
    expect(isAlive(a)).toBe(true);
    watchdog.close();
    await until(() => (!isAlive(a) ? true : undefined), 5000, 'the group to be stopped by the new watchdog');
    await until(() => (!isAlive(second) ? true : undefined), 5000, 'the new watchdog to exit');
  });

  it('is started with the first run, lives while the engine does and exits with nothing to do when it closes', async () => {
    const { engine, client } = openEngine({ spawner: 'guarded', scheduler: false });
    const port = engine.port as GuardedInlinePort;
    expect(port).toBeInstanceOf(GuardedInlinePort);
    expect(port.watchdogPid).toBeUndefined();
    const job = await client.call('jobs.create', { name: 'guarded', script: 'echo "pid $$"', schedule: { kind: 'manual' } });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    const dog = port.watchdogPid!;
    expect(isAlive(dog)).toBe(true);
    // A second run is told to the same watchdog.
    await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(port.watchdogPid).toBe(dog);
    await engine.close(0);
    await until(() => (!isAlive(dog) ? true : undefined), 5000, 'the watchdog to exit');
  });

  it('stops a run in progress when the engine closes it, and the watchdog then has nothing left to stop', async () => {
    const { engine, client } = openEngine({ spawner: 'guarded', scheduler: false });
    const job = await client.call('jobs.create', { name: 'long', script: 'echo "pid $$"; sleep 60', schedule: { kind: 'manual' } });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const line = await until(async () => (await client.call('runs.logs', { id: queued.id })).lines.find((l) => l.text.startsWith('pid ')));
    const pid = Number(line.text.split(' ')[1]);
    const dog = (engine.port as GuardedInlinePort).watchdogPid!;
    await engine.close(500);
    expect(isAlive(pid)).toBe(false);
    await until(() => (!isAlive(dog) ? true : undefined), 5000, 'the watchdog to exit');
  });
});
