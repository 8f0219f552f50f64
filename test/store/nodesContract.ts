/**
 * The store contract for nodes (run by storeContract.ts on every backend):
 * registration and heartbeats on the database's clock, draining, a node
 * whose lease runs out declared lost once (its runs interrupted, its locks
 * freed, retries queued for the finder), and chores held by one node at a
 * time. Leases here are a few hundred milliseconds, and the tests wait for
 * them to run out (the database's clock cannot be injected).
 */
import { expect, it } from 'vitest';
import { refusal } from './refusal';
import { JOB_DEFAULTS, type JobSpec } from '../../shared/model/job';
import type { ContractBackend } from './storeContract';

type WithStore = (fn: (b: ContractBackend) => Promise<void>) => () => Promise<void>;

const node = (id: string, leaseMs = 30_000) => ({ id, address: `http://10.0.0.${id.length}:8080`, version: '0.1.0', host: `host-${id}`, pid: 100 + id.length, leaseMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


export function nodesContract(backend: string, withStore: WithStore): void {
  it(
    `nodes (${backend}): registered and renewed on the database's clock; drained and undrained, audited; unknown ones named`,
    withStore(async ({ store }) => {
      const before = await store.nodes.now();
      expect(Math.abs(before - Date.now())).toBeLessThan(5_000);
      await store.nodes.register(node('a'));
      await store.nodes.register(node('bb'));
      const [a, b] = await store.nodes.list();
      expect(a).toMatchObject({ id: 'a', host: 'host-a', alive: true, draining: 0, lost_at: null, stopped_at: null });
      expect(a!.started_at).toBeGreaterThanOrEqual(before);
      expect(b!.id).toBe('bb');
      await sleep(20);
      const beat = await store.nodes.heartbeat('a');
      expect(beat).toMatchObject({ ok: true, draining: false });
      expect((await store.nodes.get('a'))!.heartbeat_at).toBeGreaterThan(a!.heartbeat_at);

      expect(await store.nodes.setDraining('bb', true, 'ada', 1000)).toMatchObject({ id: 'bb', draining: 1 });
      expect(await store.nodes.heartbeat('bb')).toMatchObject({ ok: true, draining: true });
      await store.nodes.setDraining('bb', false, 'ada', 1001);
      expect((await store.audit.list({ actor: 'ada', limit: 5, offset: 0 })).items.map((e) => `${e.action} ${e.targetId}`)).toEqual(['node.undrain bb', 'node.drain bb']);
      const unknown = await refusal(store.nodes.setDraining('zz', true, 'ada', 1002));
      expect([unknown.code, unknown.field]).toEqual(['NOT_FOUND', 'node']);

      await store.nodes.stop('bb');
      expect(await store.nodes.heartbeat('bb')).toMatchObject({ ok: false });
      expect((await store.nodes.list()).map((n) => [n.id, n.alive])).toEqual([['a', true], ['bb', false]]);
      expect((await refusal(store.nodes.setDraining('bb', true, 'ada', 1003))).message).toBe('node bb has stopped');
    }),
  );

  it(
    `nodes (${backend}): a node whose lease runs out is declared lost once: its runs fail "node lost" with their logs, its locks are freed, retries go to the finder`,
    withStore(async ({ store }) => {
      await store.nodes.register(node('live', 60_000));
      await store.nodes.register(node('gone', 300));
      const job = async (name: string, s: Partial<JobSpec> = {}) =>
        store.jobs.create({ spec: { ...JOB_DEFAULTS, name, script: 'echo', schedule: { kind: 'manual' }, ...s }, md5: 'x', archived: false, nextFireAt: null, by: 'ada', at: 100, audit: null });
      const safe = await job('safe to retry', { retries: { count: 1, delaySeconds: 0 }, lock: 'media' });
      const once = await job('once');
      const running = await store.runs.queue({ jobId: safe, trigger: 'api', by: 'ada' }, 'gone', 1000);
      await store.runs.claim([running.id], 'gone', 1001);
      await store.runs.commitBatch([{ runId: running.id, seq: 1, ts: 1002, stream: 1, text: 'halfway', task: null }], [{ kind: 'running', runId: running.id, pid: 77, at: 1002 }]);
      const waiting = await store.runs.queue({ jobId: once, trigger: 'api', by: 'ada' }, 'gone', 1003);
      const mine = await store.runs.queue({ jobId: (await job('mine')), trigger: 'api', by: 'ada' }, 'live', 1004);

      expect(await store.nodes.reapLost('live')).toEqual([]);
      await sleep(450);
      await store.nodes.heartbeat('live');
      const [lost, ...more] = await store.nodes.reapLost('live');
      expect(more).toEqual([]);
      expect(lost!.node.id).toBe('gone');
      expect(lost!.interrupted.map((r) => r.id)).toEqual([running.id]);
      // The run that had not started is handed over to the finder, still queued, saying so.
      expect(lost!.handedOver).toEqual([expect.objectContaining({ id: waiting.id, status: 'QUEUED', owner: 'live' })]);
      expect((await store.logs.page(waiting.id, 0, 10)).map((l) => l.text)).toEqual(['Handed over to node live: node gone stopped answering before this run started']);
      expect(await store.runs.get(running.id)).toMatchObject({ status: 'FAILED', failure: 'INTERRUPTED', error: 'node lost' });
      expect((await store.logs.page(running.id, 0, 10)).map((l) => l.text)).toEqual([
        'halfway',
        expect.stringMatching(/^Interrupted: node gone \(host-gone, pid 104\) stopped answering: its last heartbeat was \d+(\.\d)? s ago, its lease 0\.3 s$/),
      ]);
      expect(await store.locks.get('media')).toBeUndefined();
      expect(lost!.retries).toEqual([expect.objectContaining({ job_id: safe, owner: 'live', attempt: 2, retry_of: running.id })]);
      expect((await store.runs.get(mine.id))!.status).toBe('QUEUED');
      expect(await store.nodes.heartbeat('gone')).toMatchObject({ ok: false });
      expect(await store.nodes.reapLost('live')).toEqual([]);
      expect((await store.nodes.list()).map((n) => [n.id, n.alive, n.lost_at !== null]).sort()).toEqual([['gone', false, true], ['live', true, false]]);
    }),
  );

  it(
    `nodes (${backend}): nodes reaping at the same moment declare each lost node once; a chore is held by one node until its lease runs out`,
    withStore(async ({ store }) => {
      for (const id of ['n1', 'n2', 'n3']) await store.nodes.register(node(id, 200));
      const job = await store.jobs.create({ spec: { ...JOB_DEFAULTS, name: 'j', script: 'echo', schedule: { kind: 'manual' }, retries: { count: 3, delaySeconds: 0 } }, md5: 'x', archived: false, nextFireAt: null, by: 'ada', at: 100, audit: null });
      const run = await store.runs.queue({ jobId: job, trigger: 'api', by: 'ada' }, 'n2', 1000);
      await store.runs.claim([run.id], 'n2', 1001);
      await store.nodes.register(node('finder-a'));
      await store.nodes.register(node('finder-b'));
      await sleep(350);
      const [fromA, fromB] = await Promise.all([store.nodes.reapLost('finder-a'), store.nodes.reapLost('finder-b')]);
      expect([...fromA, ...fromB].map((l) => l.node.id).sort()).toEqual(['n1', 'n2', 'n3']);
      // One retry of the interrupted run, whoever found its node.
      expect([...fromA, ...fromB].flatMap((l) => l.retries)).toEqual([expect.objectContaining({ retry_of: run.id, attempt: 2 })]);
      expect((await store.runs.list({ jobId: job, limit: 10, offset: 0 })).total).toBe(2);

      expect(await store.nodes.claimChore('retention', 'finder-a', 300)).toBe(true);
      expect(await store.nodes.claimChore('retention', 'finder-b', 300)).toBe(false);
      expect(await store.nodes.claimChore('retention', 'finder-a', 300)).toBe(true);
      expect(await store.nodes.claimChore('follow-ups', 'finder-b', 300)).toBe(true);
      await sleep(400);
      expect(await store.nodes.claimChore('retention', 'finder-b', 300)).toBe(true);
      expect(await store.nodes.claimChore('retention', 'finder-a', 300)).toBe(false);
      await store.nodes.releaseChore('retention', 'finder-b');
      expect(await store.nodes.claimChore('retention', 'finder-a', 300)).toBe(true);
    }),
  );
}
