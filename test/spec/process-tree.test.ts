/**
 * README "Writing job scripts": a timeout or a cancel sends SIGTERM to the
 * run's whole process group and SIGKILL after a grace period; processes a
 * script leaves behind are stopped too, even those that left its group.
 * The leftover sweep is given a minute here, so it cannot be what stops them.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { openEngine, until } from '../helpers/engine';
import { fixture, isAlive } from '../helpers/process';

const NO_SWEEPER = { leftoverGraceMs: 60_000, killGraceMs: 300 };

async function pidsOf(client: ReturnType<typeof openEngine>['client'], runId: number, prefix: string): Promise<number[]> {
  const line = await until(async () => (await client.call('runs.logs', { id: runId })).lines.find((l) => l.text.startsWith(prefix)), 15_000, prefix);
  return line.text.split(' ').slice(1).map(Number);
}

describe('README › Writing job scripts › stopping a run', () => {
  it('a cancel stops the whole process group (SIGTERM, then SIGKILL), not only its leader', async () => {
    const { engine, client } = openEngine({ scheduler: false, ...NO_SWEEPER });
    const job = await client.call('jobs.create', { name: 'stubborn', script: fixture('ignore-term.sh'), schedule: { kind: 'manual' } });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const pids = await pidsOf(client, queued.id, 'pids ');
    const cancelledAt = Date.now();
    await client.call('runs.cancel', { id: queued.id });
    const run = await engine.waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'CANCELLED', failure: 'CANCELLED', signal: 'SIGKILL' });
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it('a timeout stops the whole process group, exactly when the clock reaches it', async () => {
    const clock = new ManualClock(Date.now());
    const { engine, client } = openEngine({ scheduler: false, clock, ...NO_SWEEPER });
    const job = await client.call('jobs.create', { name: 'slowpoke', script: fixture('ignore-term.sh'), schedule: { kind: 'manual' }, timeoutSeconds: 5 });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const pids = await pidsOf(client, queued.id, 'pids ');
    clock.advance(4999);
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.call('runs.get', { id: queued.id })).status).toBe('IN_PROGRESS');
    clock.advance(1);
    const run = await engine.waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'FAILED', failure: 'TIMEOUT', error: 'timeout after 5 s', signal: 'SIGKILL' });
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it('a daemon started with setsid (outside the process group) is found and stopped when the run ends, and the log says so', async () => {
    const { engine, client } = openEngine({ scheduler: false, leftoverGraceMs: 500 });
    const job = await client.call('jobs.create', { name: 'daemonizer', script: fixture('daemon.sh'), schedule: { kind: 'manual' } });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const run = await engine.waitForRun(queued.id);
    expect(run.status).toBe('SUCCEEDED');
    const [pid] = await pidsOf(client, queued.id, 'daemon ');
    expect(isAlive(pid!)).toBe(false);
    const { lines } = await client.call('runs.logs', { id: run.id });
    expect(lines.map((l) => l.text)).toContain('Stopped what the script left running: 1 process that had left its process group');
  });
});
