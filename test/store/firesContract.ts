/**
 * The store contract for scheduled fires (run by storeContract.ts on every
 * backend): a fire is recorded once whoever records it, the fires a backup
 * node is told to record (those no node recorded or refused, that their
 * jobs' policies take now), and the refusals a shared database remembers.
 */
import { expect, it } from 'vitest';
import { REFUSALS_KEPT_MS } from '../../electron/engine/store/tables/fireRefusalsTable';
import { end, jobOf, type WithStore } from './runsContract';

const fire = (jobId: number, dueAt: number) => ({ jobId, dueAt, trigger: 'schedule' as const });

export function firesContract(backend: string, withStore: WithStore): void {
  it(
    `fires (${backend}): a fire recorded again after its run ended is refused by the database's index, and the fires after it in the call are still recorded`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const tick = await job('tick', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'queue' });
      const later = await job('later', { schedule: { kind: 'interval', seconds: 60 } });
      const fire = { jobId: tick, dueAt: 60_000, trigger: 'schedule' as const };
      const [run] = (await store.runs.recordFires([fire], [[tick, 120_000]], 'node-a', 60_010)).created;
      await store.runs.claim([run!.id], 'node-a', 60_020);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(run!.id, tick, { finishedAt: 60_030 }) }]);
      // No run of the job is waiting or running, so only the unique index on (job, due time) refuses the fire.
      const again = await store.runs.recordFires([fire, { jobId: later, dueAt: 60_000, trigger: 'schedule' }], [[tick, 180_000], [later, 120_000]], 'node-b', 60_040);
      expect(again.refused).toBe(1);
      expect(again.created.map((r) => r.job_id)).toEqual([later]);
      expect(await store.jobs.nextFiresFrom(0)).toEqual([[later, 120_000], [tick, 180_000]]);
      expect((await store.runs.list({ jobId: tick, limit: 10, offset: 0 })).total).toBe(1);
    }),
  );

  it(
    `fires (${backend}): a backup node is told the fires no node recorded that their jobs' policies take now, in one statement per 250 fires`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const queued = await job('queued', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'queue' });
      const running = await job('running', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'queue' });
      const skipping = await job('skipping', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'skip' });
      const free = await job('free', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'skip' });
      // queued: its first fire's run waits. running and skipping: their first fires' runs are in progress.
      const first = await store.runs.recordFires(
        [queued, running, skipping].map((jobId) => ({ jobId, dueAt: 60_000, trigger: 'schedule' as const })),
        [],
        'owner',
        60_010,
      );
      await store.runs.claim([first.created[1]!.id, first.created[2]!.id], 'owner', 60_020);
      // A manual run with a due time is not a fire's run, and it ended.
      const manual = await store.runs.queue({ jobId: free, trigger: 'manual', by: 'ada', dueAt: 60_000 }, 'owner', 60_030);
      await store.runs.claim([manual.id], 'owner', 60_040);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(manual.id, free, { finishedAt: 60_050 }) }]);
      const asked = [fire(queued, 60_000), fire(queued, 120_000), fire(running, 120_000), fire(skipping, 120_000), fire(free, 60_000)];
      // Recorded: none again. queued refuses while its run waits, skipping while its run runs; running (queue) takes one.
      expect(await store.runs.unrecordedFires(asked)).toEqual([fire(running, 120_000), fire(free, 60_000)]);
      const many = Array.from({ length: 600 }, (_, i) => fire(free, 120_000 + i * 60_000));
      expect(await store.runs.unrecordedFires(many)).toEqual(many);
    }),
  );

  it(
    `fires (${backend}): on a shared database a fire its job's policy refused stays refused, whoever checks it later and however late (its cause gone); refusals are forgotten an hour past their due time`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const skipping = await job('skipping', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'skip' });
      const alone = await job('alone', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'skip' });
      const shared = { shared: true };
      // Each job's first fire runs; its second comes while that run is in progress, and is refused.
      const first = await store.runs.recordFires([fire(skipping, 60_000), fire(alone, 60_000)], [], 'owner', 60_010, [], shared);
      await store.runs.claim(first.created.map((r) => r.id), 'owner', 60_020);
      expect((await store.runs.recordFires([fire(skipping, 120_000)], [], 'owner', 120_010, [], shared)).refused).toBe(1);
      // A store of its own (not shared) records no refusal: no other node checks its fires.
      expect((await store.runs.recordFires([fire(alone, 120_000)], [], 'owner', 120_010)).refused).toBe(1);
      await store.runs.commitBatch([], first.created.map((r) => ({ kind: 'end' as const, record: end(r.id, r.job_id, { finishedAt: 130_000 }) })));

      // Both runs have ended, so the policy would take either fire now: the refused one is not offered to a backup node.
      expect(await store.runs.unrecordedFires([fire(skipping, 120_000), fire(alone, 120_000)])).toEqual([fire(alone, 120_000)]);
      // A node that looked before the refusal was committed (a backup, or an owner that lagged): refused again, under the job's row lock.
      // A fire no node refused is recorded.
      const backup = await store.runs.recordFires([fire(skipping, 120_000), fire(skipping, 180_000)], [], 'backup', 181_000, [], shared);
      expect([backup.refused, backup.created.map((r) => r.due_at)]).toEqual([1, [180_000]]);
      // A backup node's own refusal (the run it recorded still waits) is remembered too.
      expect((await store.runs.recordFires([fire(skipping, 240_000)], [], 'backup', 241_000, [], shared)).refused).toBe(1);
      expect(await store.runs.cancelQueued(backup.created[0]!.id, 'ada', 242_000)).toBe(true);
      expect(await store.runs.unrecordedFires([fire(skipping, 240_000), fire(skipping, 300_000)])).toEqual([fire(skipping, 300_000)]);
      expect((await store.runs.list({ jobId: skipping, limit: 10, offset: 0 })).rows.map((r) => r.due_at).sort((a, b) => a! - b!)).toEqual([60_000, 180_000]);

      // Each heartbeat forgets the refusals due more than an hour before the database's time, and only those.
      const now = await store.nodes.now();
      const queueing = await job('queueing', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'queue' });
      const old = now - REFUSALS_KEPT_MS - 60_000;
      const young = now - REFUSALS_KEPT_MS + 60_000;
      const [waiting] = (await store.runs.recordFires([fire(queueing, old - 60_000)], [], 'owner', now)).created;
      expect((await store.runs.recordFires([fire(queueing, old), fire(queueing, young)], [], 'owner', now, [], shared)).refused).toBe(2);
      await store.runs.cancelQueued(waiting!.id, 'ada', now);
      expect(await store.runs.unrecordedFires([fire(queueing, old), fire(queueing, young)])).toEqual([]);
      await store.nodes.register({ id: 'n1', address: 'http://127.0.0.1:1', version: '0.1.0', host: 'here', pid: 1, leaseMs: 30_000 });
      expect((await store.nodes.heartbeat('n1')).ok).toBe(true);
      expect(await store.runs.unrecordedFires([fire(queueing, old), fire(queueing, young), fire(skipping, 120_000)])).toEqual([
        fire(queueing, old),
        fire(skipping, 120_000),
      ]);

      // An owner reads the refusals only for its fires late enough that another node may have checked them first:
      // `young` (refused above) is refused to one that lagged a second, and not looked up by one on time.
      const lagging = { shared: true, checkedAfterMs: 1000 };
      expect((await store.runs.recordFires([fire(queueing, young)], [], 'owner', young + 1000, [], lagging)).refused).toBe(1);
      const onTime = await store.runs.recordFires([fire(queueing, young)], [], 'owner', young + 999, [], lagging);
      expect(onTime.created.map((r) => r.due_at)).toEqual([young]);
    }),
  );

  it(
    `fires (${backend}): fires of one job recorded in one call see the runs queued before them in it (read once for the call, under the jobs' locks); a gated fire's skipped run does not hold back the next; a fire of a job gone is refused`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const every = { kind: 'interval' as const, seconds: 60 };
      const queueing = await job('queueing', { schedule: every, overlap: 'queue' });
      const skipping = await job('skipping', { schedule: every, overlap: 'skip' });
      await job('upstream');
      const gated = await job('gated', { schedule: every, overlap: 'queue', after: [{ job: 'upstream' }], gate: { withinMinutes: 5 } });
      const fires = [queueing, skipping, gated, 999_999].flatMap((jobId) => [fire(jobId, 60_000), fire(jobId, 120_000)]);
      const recorded = await store.runs.recordFires(fires, [], 'owner', 120_010);
      // queueing: its second fire finds the first one's run waiting; skipping: the same, its policy refusing any unfinished run.
      expect(recorded.created.map((r) => [r.job_id, r.due_at])).toEqual([
        [queueing, 60_000],
        [skipping, 60_000],
      ]);
      // gated: upstream never ran, so both fires are recorded as skipped runs, the first ended before the second is tried.
      expect(recorded.skipped.map((r) => [r.job_id, r.due_at, r.status])).toEqual([
        [gated, 60_000, 'CANCELLED'],
        [gated, 120_000, 'CANCELLED'],
      ]);
      expect(recorded.refused).toBe(4);
      expect((await store.runs.list({ limit: 10, offset: 0 })).total).toBe(4);
    }),
  );
}
