/**
 * The engine as a node of its store (nodeKeeper.ts): it registers as it
 * starts scheduling and is listed stopped when it closes; drained, it starts
 * no queued run (runs in progress go on) until undrained, whether the flag is
 * set through it or by another process; each heartbeat declares lost a node
 * whose lease ran out; and a node declared lost itself starts nothing more.
 */
import { describe, expect, it } from 'vitest';
import { dbFile } from '../../electron/engine/paths';
import { Store } from '../../electron/engine/store/store';
import { ADMIN, openEngine, until } from '../helpers/engine';

const LEASE = 1500;

describe('the engine as a node', () => {
  it('is listed while it schedules, with its address and runs; drained, its queued runs wait while the one in progress goes on; undrained, they start', async () => {
    const { engine, client, dataDir } = openEngine({ nodeLeaseMs: LEASE, nodeAddress: 'http://jobs.test:7070' });
    const [me] = await client.call('nodes.list', {});
    expect(me).toMatchObject({ id: engine.instanceId, address: 'http://jobs.test:7070', state: 'alive', self: true, draining: false, runsInProgress: 0, leaseSeconds: 1.5 });

    const slow = await client.call('jobs.create', { name: 'slow', script: 'sleep 1; echo slow', runtime: 'sh', schedule: { kind: 'manual' } });
    const quick = await client.call('jobs.create', { name: 'quick', script: 'echo quick', runtime: 'sh', schedule: { kind: 'manual' } });
    const first = await client.call('runs.trigger', { jobId: slow.id });
    await until(async () => (await client.call('runs.get', { id: first.id })).status === 'IN_PROGRESS', 10_000, 'the slow run to start');
    expect((await client.call('nodes.list', {}))[0]!.runsInProgress).toBe(1);

    const drained = await client.call('nodes.drain', { id: engine.instanceId });
    expect(drained).toMatchObject({ draining: true, state: 'alive' });
    const waiting = await client.call('runs.trigger', { jobId: quick.id });
    // The run in progress ends as usual; the queued one stays queued past it.
    expect((await engine.waitForRun(first.id)).status).toBe('SUCCEEDED');
    await new Promise((r) => setTimeout(r, LEASE));
    expect((await client.call('runs.get', { id: waiting.id })).status).toBe('QUEUED');
    expect((await client.call('scheduler.status', {})).queued).toBe(1);

    await client.call('nodes.undrain', { id: engine.instanceId });
    expect((await engine.waitForRun(waiting.id)).status).toBe('SUCCEEDED');
    expect((await client.call('audit.list', { actor: ADMIN.actor })).items.map((e) => e.action).filter((a) => a.startsWith('node.'))).toEqual(['node.undrain', 'node.drain']);

    await engine.close(0);
    const store = Store.open(dbFile(dataDir));
    expect(store.nodes.list().map((n) => [n.id, n.stopped_at !== null, n.alive])).toEqual([[engine.instanceId, true, false]]);
    store.close();
  });

  it('follows a drain set by another process at its next heartbeat, declares lost a node whose lease ran out, and stops starting runs once declared lost itself', async () => {
    const { engine, client, dataDir } = openEngine({ nodeLeaseMs: LEASE, recoveryEveryMs: 3_600_000 });
    const job = await client.call('jobs.create', { name: 'work', script: 'echo work', runtime: 'sh', schedule: { kind: 'manual' }, overlap: 'queue' });
    const other = Store.open(dbFile(dataDir));
    try {
      // Another process drains this node.
      other.nodes.setDraining(engine.instanceId, true, 'ops', Date.now());
      await until(async () => (await client.call('scheduler.status', {})) && (await client.call('nodes.list', {}))[0]!.draining && engineDrained(), 5_000, 'the drain to be followed');
      other.nodes.setDraining(engine.instanceId, false, 'ops', Date.now());

      // A node that registered, queued a run, and stopped answering.
      other.nodes.register({ id: 'frozen', address: 'http://10.1.1.1:7070', version: '0.1.0', host: 'elsewhere', pid: 4242, leaseMs: 1000 });
      const orphan = other.runs.queue({ jobId: job.id, trigger: 'api', by: 'ops' }, 'frozen', Date.now());
      other.runs.claim([orphan.id], 'frozen', Date.now());
      const waiting = other.runs.queue({ jobId: job.id, trigger: 'api', by: 'ops' }, 'frozen', Date.now());
      await until(() => other.runs.get(orphan.id)?.status === 'FAILED', 10_000, 'the frozen node to be declared lost');
      expect(other.runs.get(orphan.id)).toMatchObject({ failure: 'INTERRUPTED', error: 'node lost' });
      // Its run that had not started is handed over to this node, which runs it.
      await until(() => other.runs.get(waiting.id)?.status === 'SUCCEEDED', 10_000, 'the handed-over run to run here');
      expect(other.runs.get(waiting.id)).toMatchObject({ owner: engine.instanceId, attempt: 1 });
      expect((await client.call('nodes.list', {})).find((n) => n.id === 'frozen')).toMatchObject({ state: 'lost', self: false, host: 'elsewhere' });

      // This node is declared lost (its heartbeats stopped too long, as far as the others can tell): it starts nothing more.
      other.db.prepare('UPDATE nodes SET lost_at = 1 WHERE id = ?').run(engine.instanceId);
      await until(() => engineDrained(), 5_000, 'the engine to stop starting runs');
      const queued = await client.call('runs.trigger', { jobId: job.id });
      await new Promise((r) => setTimeout(r, LEASE));
      expect((await client.call('runs.get', { id: queued.id })).status).toBe('QUEUED');
    } finally {
      other.close();
    }
    function engineDrained(): boolean {
      return (engine as unknown as { parts: { dispatcher: { draining: boolean } } }).parts.dispatcher.draining;
    }
  });

  it('a process that does not schedule (the CLI) is no node, but lists the nodes and drains them', async () => {
    const serving = openEngine({ nodeLeaseMs: LEASE });
    const cli = openEngine({ dataDir: serving.dataDir, scheduler: false });
    const list = await cli.client.call('nodes.list', {});
    expect(list.map((n) => [n.id, n.self])).toEqual([[serving.engine.instanceId, false]]);
    const drained = await cli.client.call('nodes.drain', { id: serving.engine.instanceId });
    expect(drained).toMatchObject({ draining: true, self: false });
    await expect(cli.client.call('nodes.drain', { id: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no node nobody' });
  });
});
