/**
 * The store contract for runs (run by storeContract.ts on every backend):
 * the rules a new run must pass, claims (one run in progress per job, locks,
 * a cancel before the start), the writer's batches (logs, phases, progress,
 * the end with files, lock release and retries), fires recorded once,
 * interruption, re-runs, dependencies, notifications and the outbox, and
 * retention. Each step is one intent, as the engine calls them.
 */
import { expect, it } from 'vitest';
import type { JobdeckError } from '../../shared/errors';
import { refusal } from './refusal';
import { JOB_DEFAULTS, type JobSpec } from '../../shared/model/job';
import type { EndRecord } from '../../electron/engine/store/runsStore';
import { PENDING_STATE } from '../../electron/engine/store/taskRows';
import type { ContractBackend } from './storeContract';

export type WithStore = (fn: (b: ContractBackend) => Promise<void>) => () => Promise<void>;


/** A run's end as the writer records it (succeeded unless `over` says otherwise). */
export const end = (runId: number, jobId: number, over: Partial<EndRecord['end']> = {}, extra: Partial<EndRecord> = {}): EndRecord => ({
  runId,
  jobId,
  end: { status: 'SUCCEEDED', failure: null, finishedAt: 5000, exitCode: 0, signal: null, error: null, lastSeq: 0, resultFile: null, ...over },
  files: [],
  lock: null,
  retry: { owner: 'node-a', now: 5000 },
  ...extra,
});

/** Makes jobs in a store (manual, `echo`, unless `s` says otherwise); answers a job's id. */
export const jobOf = (store: ContractBackend['store']) => (name: string, s: Partial<JobSpec> = {}) =>
  store.jobs.create({ spec: { ...JOB_DEFAULTS, name, script: 'echo', schedule: { kind: 'manual' }, ...s }, md5: `md5-${name}`, archived: false, nextFireAt: null, by: 'ada', at: 100, audit: null });

export function runsContract(backend: string, withStore: WithStore): void {

  it(
    `runs (${backend}): a new run passes its job's rules; claims keep one run in progress per job and respect locks; a cancel before the start ends it`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const a = await job('a', { params: [{ name: 'region', type: 'string', required: true }] });
      const missing = await refusal(store.runs.queue({ jobId: a, trigger: 'manual', by: 'ada' }, 'node-a', 1000));
      expect([missing.code, missing.field]).toEqual(['VALIDATION_FAILED', 'params.region']);
      const first = await store.runs.queue({ jobId: a, trigger: 'manual', by: 'ada', params: { region: 'north' } }, 'node-a', 1000);
      expect(first).toMatchObject({ status: 'QUEUED', job_name: 'a', params: '{"region":"north"}', owner: 'node-a', attempt: 1 });
      expect(await store.runs.get(first.id)).toMatchObject({ status: 'QUEUED', params: '{"region":"north"}', queued_at: 1000 });
      expect((await refusal(store.runs.queue({ jobId: a, trigger: 'manual', by: 'ada', params: { region: 'x' } }, 'node-a', 1001))).code).toBe('JOB_ALREADY_RUNNING');
      expect((await store.audit.list({ jobId: a, limit: 5, offset: 0 })).items.map((e) => e.action)).toEqual(['run.trigger']);

      const q = await job('q', { overlap: 'queue', lock: 'media' });
      const q1 = await store.runs.queue({ jobId: q, trigger: 'api', by: 'ada' }, 'node-a', 1000);
      // A queue job may have one run waiting: while q1 waits, another is refused.
      expect((await refusal(store.runs.queue({ jobId: q, trigger: 'api', by: 'ada' }, 'node-a', 1001))).code).toBe('JOB_ALREADY_QUEUED');
      const l = await job('l', { lock: 'media' });
      const l1 = await store.runs.queue({ jobId: l, trigger: 'api', by: 'ada' }, 'node-a', 1003);

      const claims = await store.runs.claim([first.id, q1.id, l1.id, 999_999], 'node-a', 2000);
      expect(claims.map((c) => c.outcome)).toEqual(['started', 'started', 'blocked', 'gone']);
      expect(await store.runs.get(first.id)).toMatchObject({ status: 'IN_PROGRESS', phase: 'STARTING', script_md5: 'md5-a' });
      expect((await store.jobs.get(a))!).toMatchObject({ last_run_id: first.id, last_status: 'IN_PROGRESS', last_run_at: 2000 });
      expect(await store.locks.get('media')).toMatchObject({ run_id: q1.id, job_name: 'q', owner: 'node-a' });
      // Now one may wait behind the running one, and it cannot start while that runs.
      const q2 = await store.runs.queue({ jobId: q, trigger: 'api', by: 'ada' }, 'node-a', 2001);
      expect((await store.runs.claim([q2.id], 'node-a', 2002)).map((c) => c.outcome)).toEqual(['blocked']);

      // Cancelled while waiting: the claim records it CANCELLED with a line saying who.
      await store.runs.requestCancel({ id: l1.id, job_id: l, job_name: 'l' }, 'bob', 2100);
      expect((await store.runs.claim([l1.id], 'node-a', 2200))[0]!.outcome).toBe('cancelled');
      expect(await store.runs.get(l1.id)).toMatchObject({ status: 'CANCELLED', failure: 'CANCELLED', error: 'cancelled by bob', finished_at: 2200 });
      expect((await store.logs.page(l1.id, 0, 10)).map((r) => r.text)).toEqual(['Cancelled by bob before it started']);
      expect(await store.runs.cancelQueued(q2.id, 'bob', 2300)).toBe(true);
      expect(await store.runs.cancelQueued(q2.id, 'bob', 2301)).toBe(false);
    }),
  );

  it(
    `runs (${backend}): the writer's batch records logs, phases and progress, then the end with its files, the lock released and a retry queued`,
    withStore(async ({ store }) => {
      const job = await jobOf(store)('flaky', { lock: 'db', retries: { count: 1, delaySeconds: 30 } });
      const run = await store.runs.queue({ jobId: job, trigger: 'cli', by: 'ada' }, 'node-a', 1000);
      await store.runs.claim([run.id], 'node-a', 1100);
      const lines = Array.from({ length: 5 }, (_, i) => ({ runId: run.id, seq: i + 1, ts: 1200 + i, stream: 1, text: i === 2 ? 'Found 50%_done in ' + 'x'.repeat(200) : `line ${i + 1}`, task: null }));
      await store.runs.commitBatch(lines, [
        { kind: 'running', runId: run.id, pid: 4242, at: 1150 },
        { kind: 'progress', runId: run.id, percent: 40, message: 'half', lastSeq: 5 },
      ]);
      // A line sent twice (a retried batch) is kept once.
      await store.runs.commitBatch([lines[4]!], []);
      expect(await store.runs.get(run.id)).toMatchObject({ phase: 'RUNNING', pid: 4242, started_at: 1150, progress_pct: 40, progress_msg: 'half', last_seq: 5 });
      expect((await store.logs.page(run.id, 0, 100)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      // A page stops at its byte budget (but always holds a line).
      expect((await store.logs.page(run.id, 2, 100, 150)).map((r) => r.seq)).toEqual([3]);
      expect((await store.logs.page(run.id, 0, 100, 200)).map((r) => r.seq)).toEqual([1, 2]);
      expect(await store.logs.search(run.id, 'FOUND 50%_', 10)).toEqual([3]);
      expect(await store.logs.search(run.id, '50%x', 10)).toEqual([]);
      expect(await store.logs.tail(run.id, 2)).toEqual(['line 4', 'line 5']);
      expect(await store.logs.bytes(run.id)).toBe(4 * ('line 1'.length + 1) + 218 + 1);

      const result = await store.runs.commitBatch([], [
        { kind: 'finishing', runId: run.id, lastSeq: 5 },
        { kind: 'end', record: end(run.id, job, { status: 'FAILED', failure: 'EXIT', exitCode: 3, error: 'exit code 3', lastSeq: 5, resultFile: 'b.csv' }, { lock: 'db', files: [{ name: 'a.txt', size: 1, sha256: 'h1' }, { name: 'b.csv', size: 2, sha256: 'h2' }] }) },
      ]);
      expect(await store.runs.get(run.id)).toMatchObject({ status: 'FAILED', phase: null, failure: 'EXIT', exit_code: 3, finished_at: 5000, result_file: 'b.csv' });
      expect((await store.runs.files(run.id)).map((f) => [f.name, f.is_primary])).toEqual([['b.csv', 1], ['a.txt', 0]]);
      expect(await store.locks.get('db')).toBeUndefined();
      expect(result.retries).toHaveLength(1);
      const retry = result.retries[0]!;
      expect(retry).toMatchObject({ trigger: 'retry', attempt: 2, retry_of: run.id, not_before: 35_000, status: 'QUEUED' });
      expect((await store.jobs.get(job))!.last_status).toBe('FAILED');

      // The second attempt fails too: no third.
      await store.runs.claim([retry.id], 'node-a', 36_000);
      const again = await store.runs.commitBatch([], [{ kind: 'end', record: end(retry.id, job, { status: 'FAILED', failure: 'EXIT', exitCode: 1, finishedAt: 37_000 }) }]);
      expect(again.retries).toEqual([]);
      // Ending twice changes nothing.
      await store.runs.commitBatch([], [{ kind: 'end', record: end(retry.id, job, { finishedAt: 99_000 }) }]);
      expect(await store.runs.get(retry.id)).toMatchObject({ status: 'FAILED', finished_at: 37_000 });
      expect((await store.runs.list({ jobId: job, limit: 1, offset: 0 })).total).toBe(2);
      expect((await store.runs.list({ statuses: ['FAILED'], fromMs: 1000, toMs: 1001, limit: 10, offset: 0 })).rows.map((r) => r.id)).toEqual([run.id]);
    }),
  );

  it(
    `runs (${backend}): a fire is recorded once, with the jobs' next fires; interrupted runs fail and free their locks; a workflow run re-opens`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const tick = await job('tick', { schedule: { kind: 'interval', seconds: 60 } });
      const other = await job('other', { schedule: { kind: 'interval', seconds: 60 }, overlap: 'queue' });
      const fires = [
        { jobId: tick, dueAt: 60_000, trigger: 'schedule' as const },
        { jobId: other, dueAt: 60_000, trigger: 'schedule' as const },
      ];
      const first = await store.runs.recordFires(fires, [[tick, 120_000], [other, 120_000]], 'node-a', 60_010);
      expect([first.created.length, first.refused]).toEqual([2, 0]);
      // The same fires from another node: each refused by the database, and the rest of the intent still done.
      const third = await job('third', { schedule: { kind: 'interval', seconds: 60 } });
      const second = await store.runs.recordFires([fires[1]!, { jobId: third, dueAt: 60_000, trigger: 'schedule' }], [[other, 180_000]], 'node-b', 60_020);
      expect([second.created.length, second.refused]).toEqual([1, 1]);
      expect(await store.jobs.nextFiresFrom(0)).toEqual([[tick, 120_000], [other, 180_000]]);

      const [tickRun] = first.created;
      await store.runs.claim([tickRun!.id], 'node-a', 60_100);
      expect(await store.runs.unfinishedOwners()).toEqual(expect.arrayContaining(['node-a', 'node-b']));
      const { interrupted } = await store.runs.interruptOwner('node-a', 70_000, null);
      expect(interrupted.map((r) => r.id).sort()).toEqual(first.created.map((r) => r.id).sort());
      expect(await store.runs.get(tickRun!.id)).toMatchObject({ status: 'FAILED', failure: 'INTERRUPTED', error: 'interrupted' });
      expect((await store.logs.tail(tickRun!.id, 1))[0]).toMatch(/^Interrupted: the Jobdeck process running this run stopped/);
      expect(await store.runs.unfinishedOwners()).toEqual(['node-b']);

      // A workflow run: its plan and tasks, ended, then re-opened with one task reset.
      const flow = await job('flow', { runtime: 'workflow' });
      const run = await store.runs.queue({ jobId: flow, trigger: 'manual', by: 'ada' }, 'node-a', 80_000);
      await store.runs.claim([run.id], 'node-a', 80_100);
      const place = (idx: number, path: string) => ({ idx, path, name: path.slice(2), parent: '#', depth: 1, kind: 'script' as const });
      await store.tasks.recordPlan(run.id, '{"tasks":[]}', [{ ...place(0, '#.a'), ...PENDING_STATE }, { ...place(1, '#.b'), ...PENDING_STATE }]);
      await store.runs.commitBatch([], [
        { kind: 'task', runId: run.id, idx: 0, state: { ...PENDING_STATE, status: 'SUCCEEDED', attempts: 1, started_at: 80_200, finished_at: 80_300 } },
        { kind: 'task', runId: run.id, idx: 1, state: { ...PENDING_STATE, status: 'FAILED', attempts: 1, failure: 'EXIT', error: 'exit code 1' } },
        { kind: 'end', record: end(run.id, flow, { status: 'FAILED', failure: 'EXIT', finishedAt: 80_400 }) },
      ]);
      expect((await store.tasks.list(run.id)).map((t) => `${t.path} ${t.status}`)).toEqual(['#.a SUCCEEDED', '#.b FAILED']);
      const reopened = await store.runs.reopen(run.id, [1], '#.b', 'ada', 'node-b', 90_000);
      expect(reopened).toMatchObject({ status: 'QUEUED', round: 1, owner: 'node-b', finished_at: null, failure: null, tasks: 2 });
      expect((await store.tasks.get(run.id, '#.b'))!.status).toBe('PENDING');
      expect((await store.tasks.plan(run.id))!.plan).toBe('{"tasks":[]}');
      expect((await refusal(store.runs.reopen(run.id, [], '', 'ada', 'node-b', 90_001))).code).toBe('INVALID_STATE');
    }),
  );

  it(
    `runs (${backend}): dependents queue once what they wait for has finished; a failure notifies a group through the outbox, leased and settled once; retention deletes in budgets`,
    withStore(async ({ store }) => {
      const job = jobOf(store);
      const extract = await job('Extract');
      const load = await job('load', { after: [{ job: 'extract', status: 'SUCCEEDED' }] } as Partial<JobSpec>);
      expect(await store.runs.queueDependents('node-a', 1000)).toEqual([]);
      const e1 = await store.runs.queue({ jobId: extract, trigger: 'manual', by: 'ada' }, 'node-a', 1000);
      await store.runs.claim([e1.id], 'node-a', 1001);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(e1.id, extract, { finishedAt: 2000 }) }]);
      const [dependent] = await store.runs.queueDependents('node-a', 2100);
      expect(dependent).toMatchObject({ job_id: load, trigger: 'dependency', status: 'QUEUED' });
      expect(await store.logs.tail(dependent!.id, 1)).toEqual([`Triggered: every job it waits for has finished: Extract (run ${e1.id} SUCCEEDED)`]);
      expect(await store.runs.queueDependents('node-a', 2200)).toEqual([]);

      await store.notify.setGroup('Developers', ['ada@example.test', 'webhook:chat'], { actor: 'ada', action: 'recipients.set', targetType: 'notify' });
      await store.notify.setGroup('developers', ['ada@example.test', 'bob@example.test'], { actor: 'ada', action: 'recipients.set', targetType: 'notify' });
      expect(await store.notify.groups()).toEqual([{ name: 'Developers', members: ['ada@example.test', 'bob@example.test'] }]);
      const probe = await job('probe', { notify: { rules: [{ event: 'failure', to: ['DEVELOPERS'] }, { event: 'recovery', to: ['ops@example.test'] }], afterFailures: 1, followUpHours: 1 } } as Partial<JobSpec>);
      const p1 = await store.runs.queue({ jobId: probe, trigger: 'manual', by: 'ada' }, 'node-a', 3000);
      await store.runs.claim([p1.id], 'node-a', 3001);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(p1.id, probe, { status: 'FAILED', failure: 'EXIT', exitCode: 2, finishedAt: 4000 }, { retry: null }) }]);
      expect(await store.notify.incidentOf(probe)).toMatchObject({ failures: 1, notified: 1, last_run_id: p1.id });
      expect(await store.notify.unsettled()).toBe(2);
      expect(await store.notify.hasDue(4000)).toBe(true);
      // Two nodes take due messages at once: each message goes to one of them.
      const [takenA, takenB] = await Promise.all([store.notify.claim('node-a', 4000, 60_000, 1, ['email']), store.notify.claim('node-b', 4000, 60_000, 5, ['email'])]);
      expect([...takenA, ...takenB].map((m) => m.target).sort()).toEqual(['ada@example.test', 'bob@example.test']);
      const [msg] = takenA;
      expect(msg).toMatchObject({ status: 'sending', lease_owner: 'node-a', event: 'failure', channel: 'email' });
      expect(await store.notify.settle(msg!.id, 'node-b', { status: 'sent', subject: 's', answer: '250', next: 4000, at: 4100 })).toBe(false);
      expect(await store.notify.settle(msg!.id, 'node-a', { status: 'sent', subject: 's', answer: '250 ok', next: 4000, at: 4100 })).toBe(true);
      expect((await store.notify.list({ status: 'sent' }, 10)).map((m) => [m.target, m.sent_at, m.attempts])).toEqual([[msg!.target, 4100, 1]]);
      // An hour later, a follow-up; a success then closes the incident with a recovery message.
      expect(await store.notify.followUps(4000 + 3_600_000)).toBe(1);
      const p2 = await store.runs.queue({ jobId: probe, trigger: 'manual', by: 'ada' }, 'node-a', 5_000_000);
      await store.runs.claim([p2.id], 'node-a', 5_000_001);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(p2.id, probe, { finishedAt: 5_000_100 }) }]);
      expect(await store.notify.incidentOf(probe)).toBeUndefined();
      expect((await store.notify.list({ runId: p2.id }, 10)).map((m) => [m.event, m.target])).toEqual([['recovery', 'ops@example.test']]);

      // Retention: finished runs go in batches bounded by their log lines; one not finished is kept.
      const r = await job('retained', { overlap: 'queue', retention: 1 });
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) {
        const q = await store.runs.queue({ jobId: r, trigger: 'api', by: 'ada' }, 'node-a', 6000 + i);
        await store.runs.claim([q.id], 'node-a', 6100 + i);
        const lines = Array.from({ length: 3 }, (_, k) => ({ runId: q.id, seq: k + 1, ts: 0, stream: 1, text: 'x', task: null }));
        await store.runs.commitBatch(lines, [{ kind: 'end', record: end(q.id, r, { finishedAt: 6200 + i }) }]);
        ids.push(q.id);
      }
      const open = await store.runs.queue({ jobId: r, trigger: 'api', by: 'ada' }, 'node-a', 7000);
      // Beyond the job's retention (1), read with them; a job gone has nothing beyond it.
      expect(await store.runs.beyondRetention(r, 10)).toEqual([ids[1], ids[0]]);
      expect(await store.runs.beyondRetention(r, 1)).toEqual([ids[1]]);
      expect(await store.runs.beyondRetention(999_999, 10)).toEqual([]);
      expect(await store.runs.deleteFinishedRuns([ids[0]!, open.id, ids[1]!], 4)).toEqual({ deleted: [ids[0]], kept: [open.id], left: [ids[1]] });
      expect(await store.runs.get(ids[0]!)).toBeUndefined();
      expect(await store.logs.page(ids[1]!, 0, 10)).toHaveLength(2);
      expect(await store.runs.deleteFinishedRuns([ids[1]!], 100)).toEqual({ deleted: [ids[1]], kept: [], left: [] });
    }),
  );

  it(
    `runs (${backend}): claims made at the same moment start a run once and one run per job, whichever caller asks`,
    withStore(async ({ store }) => {
      const job = await jobOf(store)('busy', { overlap: 'queue' });
      const r1 = await store.runs.queue({ jobId: job, trigger: 'api', by: 'ada' }, 'node-a', 1000);
      await store.runs.claim([r1.id], 'node-a', 1001);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(r1.id, job, { finishedAt: 1002 }) }]);
      // Two runs of one job waiting at once: a new one and a re-run of the first.
      const r2 = await store.runs.queue({ jobId: job, trigger: 'api', by: 'ada' }, 'node-a', 1003);
      await store.runs.reopen(r1.id, [], 'again', 'ada', 'node-a', 1004);
      const outcomes = await Promise.all([
        store.runs.claim([r1.id], 'node-a', 2000),
        store.runs.claim([r1.id], 'node-b', 2000),
        store.runs.claim([r2.id], 'node-c', 2000),
        store.runs.claim([r2.id, r1.id], 'node-d', 2000),
      ]);
      const started = outcomes.flat().filter((c) => c.outcome === 'started');
      expect(started).toHaveLength(1);
      expect((await store.runs.list({ jobId: job, statuses: ['IN_PROGRESS'], limit: 10, offset: 0 })).total).toBe(1);
    }),
  );
}

/** What two or more nodes asking at the same moment get (meaningful on PostgreSQL; SQLite takes the calls one by one). */
export function concurrencyContract(backend: string, withStore: WithStore): void {
  it(
    `concurrent intents (${backend}): triggers of one job, dependents queued from several nodes, and job changes each counted`,
    withStore(async ({ store }) => {
      const job = (name: string, s: Partial<JobSpec> = {}) =>
        store.jobs.create({ spec: { ...JOB_DEFAULTS, name, script: 'echo', schedule: { kind: 'manual' }, ...s }, md5: 'x', archived: false, nextFireAt: null, by: 'ada', at: 100, audit: null });
      const version = await store.jobs.version();
      const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => job(`j${i}`)));
      expect(await store.jobs.version()).toBe(version + 6);

      const triggers = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.runs.queue({ jobId: ids[0]!, trigger: 'api', by: 'ada' }, `node-${i}`, 1000)));
      expect(triggers.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
      for (const t of triggers) if (t.status === 'rejected') expect((t.reason as JobdeckError).code).toBe('JOB_ALREADY_RUNNING');

      const after = await job('after', { after: [{ job: 'j1', status: 'SUCCEEDED' }] } as Partial<JobSpec>);
      const r = await store.runs.queue({ jobId: ids[1]!, trigger: 'api', by: 'ada' }, 'node-a', 1000);
      await store.runs.claim([r.id], 'node-a', 1001);
      await store.runs.commitBatch([], [{ kind: 'end', record: end(r.id, ids[1]!, { finishedAt: 2000 }) }]);
      const queued = await Promise.all(Array.from({ length: 4 }, (_, i) => store.runs.queueDependents(`node-${i}`, 3000)));
      expect(queued.flat().map((q) => q.job_id)).toEqual([after]);
    }),
  );
}
