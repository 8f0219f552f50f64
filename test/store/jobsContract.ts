/**
 * The store contract for jobs (run by storeContract.ts on every backend):
 * names unique without ASCII case, revisions that refuse a stale write,
 * script versions, the job list's order and filters, all-or-nothing
 * imports, and the scheduler's reads.
 */
import { expect, it } from 'vitest';
import { refusal } from './refusal';
import { JOB_DEFAULTS, type JobSpec } from '../../shared/model/job';
import type { JobWrite } from '../../electron/engine/store/jobsStore';
import type { ContractBackend } from './storeContract';

type WithStore = (fn: (b: ContractBackend) => Promise<void>) => () => Promise<void>;

const spec = (name: string, extra: Partial<JobSpec> = {}): JobSpec => ({ ...JOB_DEFAULTS, name, script: `echo ${name}`, ...extra });

type WriteExtra = Omit<Partial<JobWrite>, 'spec'> & { spec?: Partial<JobSpec> };

const write = (name: string, extra: WriteExtra = {}): JobWrite => ({
  md5: 'md5-1',
  archived: false,
  nextFireAt: null,
  by: 'ada',
  at: 1000,
  audit: { action: 'job.create', targetType: 'job', targetName: name },
  ...extra,
  spec: spec(name, extra.spec),
});


export function jobsContract(backend: string, withStore: WithStore): void {
  it(
    `jobs (${backend}): created with a first script version and an audit entry; names unique without ASCII case; a stale revision refused`,
    withStore(async ({ store }) => {
      const v0 = await store.jobs.version();
      const id = await store.jobs.create(write('Nightly Report'));
      expect(await store.jobs.version()).toBe(v0 + 1);
      const row = (await store.jobs.getByName('NIGHTLY report'))!;
      expect(row).toMatchObject({ id, name: 'Nightly Report', revision: 1, script: 'echo Nightly Report', script_md5: 'md5-1', user: '', enabled: 1, archived: 0, warm: 1 });
      expect(await store.jobs.get(id)).toEqual(row);
      const taken = await refusal(store.jobs.create(write('nightly REPORT')));
      expect([taken.code, taken.field]).toEqual(['NAME_TAKEN', 'name']);
      // Non-ASCII letters are not folded, as SQLite's NOCASE does not fold them.
      await store.jobs.create(write('Été'));
      await store.jobs.create(write('été'));

      const other = await store.jobs.create(write('other'));
      const renamed = await refusal(store.jobs.replace(other, 1, { ...write('NIGHTLY REPORT'), scriptChanged: false }));
      expect([renamed.code, renamed.field]).toEqual(['NAME_TAKEN', 'changes.name']);
      expect(await store.jobs.replace(id, 1, { ...write('Nightly Report', { md5: 'md5-2', by: 'bob', at: 2000, spec: { script: 'echo two', user: 'svc' } }), scriptChanged: true })).toBe(true);
      // Someone saved in between: the write at revision 1 is refused, nothing changes.
      expect(await store.jobs.replace(id, 1, { ...write('Nightly Report', { spec: { script: 'echo lost' } }), scriptChanged: true })).toBe(false);
      expect(await store.jobs.get(id)).toMatchObject({ revision: 2, script: 'echo two', user: 'svc', updated_by: 'bob', updated_at: 2000, created_at: 1000 });
      expect((await store.jobs.history(id)).map((v) => [v.version, v.md5, v.script, v.saved_by])).toEqual([
        [2, 'md5-2', 'echo two', 'bob'],
        [1, 'md5-1', 'echo Nightly Report', 'ada'],
      ]);
      expect((await store.audit.list({ jobId: id, limit: 5, offset: 0 })).items.map((e) => [e.action, e.actor])).toEqual([
        ['job.create', 'bob'],
        ['job.create', 'ada'],
      ]);
      expect(await store.jobs.count()).toBe(4);
    }),
  );

  it(
    `jobs (${backend}): the list in its order (next fire first, then none, disabled, archived; names without case) with filters, pages and totals`,
    withStore(async ({ store }) => {
      const make = async (name: string, extra: WriteExtra = {}) => store.jobs.create(write(name, extra));
      const a = await make('alpha', { nextFireAt: 5000, spec: { group: 'Ops' } });
      const b = await make('Bravo', { nextFireAt: 3000, spec: { group: 'ops' } });
      const c = await make('charlie_1', { spec: { group: 'db' } });
      const d = await make('Delta', { spec: { enabled: false } });
      const e = await make('echo%', { archived: true, nextFireAt: 1000 });
      const f = await make('ALPHA two', { nextFireAt: 5000 });
      const ids = async (filter: Parameters<typeof store.jobs.listKeys>[0]) => (await store.jobs.listKeys(filter)).rows.map((r) => r[0]);
      expect(await ids({})).toEqual([b, a, f, c, d, e]);
      expect(await ids({ order: 'id' })).toEqual([a, b, c, d, e, f]);
      expect(await ids({ search: 'ALPHA' })).toEqual([a, f]);
      // LIKE's wildcards in the search are taken literally.
      expect(await ids({ search: '%' })).toEqual([e]);
      expect(await ids({ search: 'e_1' })).toEqual([c]);
      expect(await ids({ group: 'OPS' })).toEqual([b, a]);
      expect(await ids({ archived: 'exclude' })).toEqual([b, a, f, c, d]);
      expect(await ids({ archived: 'only' })).toEqual([e]);
      expect(await ids({ lastStatus: 'NEVER', limit: 2, offset: 1 })).toEqual([a, f]);
      expect((await store.jobs.listKeys({ limit: 2, offset: 1 })).total).toBe(6);
      expect((await store.jobs.listKeys({})).rows[0]).toEqual([b, 1, 3000, null, null, null]);
      expect(await store.jobs.groups()).toEqual(['db', 'Ops', 'ops']);
      expect((await store.jobs.summaries([c, a])).map((r) => [r.id, r.name, r.script]).sort()).toEqual([
        [a, 'alpha', undefined],
        [c, 'charlie_1', undefined],
      ]);
      expect((await store.jobs.revisions(a, 3)).map(([id]) => id)).toEqual([b, c, d]);
    }),
  );

  it(
    `jobs (${backend}): an import writes everything or nothing; the scheduler's reads and next fires`,
    withStore(async ({ store }) => {
      const keep = await store.jobs.create(write('keep', { nextFireAt: 9000, spec: { schedule: { kind: 'interval', seconds: 60 } } }));
      const refused = await refusal(store.jobs.importAll([write('new one'), write('KEEP')], [], { actor: 'ada', action: 'jobs.import', targetType: 'job' }));
      expect(refused.code).toBe('NAME_TAKEN');
      expect(await store.jobs.getByName('new one')).toBeUndefined();
      const stale = await refusal(store.jobs.importAll([write('new one')], [{ id: keep, revision: 7, write: { ...write('keep'), scriptChanged: false } }], null));
      expect([stale.code, stale.message]).toEqual(['CONFLICT', 'job "keep" was changed while importing; try again']);
      expect(await store.jobs.getByName('new one')).toBeUndefined();
      const written = await store.jobs.importAll([write('new one', { spec: { schedule: { kind: 'cron', expression: '0 * * * * *', timezone: 'UTC' } } })], [{ id: keep, revision: 1, write: { ...write('keep', { nextFireAt: 9000, spec: { schedule: { kind: 'interval', seconds: 60 } } }), scriptChanged: false } }], null);
      const added = written[0]!;
      expect(written).toEqual([added, keep]);

      const manual = await store.jobs.create(write('by hand', { spec: { schedule: { kind: 'manual' } } }));
      expect((await store.jobs.schedulable()).map((r) => r.id).sort()).toEqual([keep, added].sort());
      expect(await store.jobs.schedulableOne(manual)).toBeUndefined();
      expect(await store.jobs.schedulableOne(keep)).toMatchObject({ id: keep, schedule_kind: 'interval', interval_s: 60, next_fire_at: 9000 });
      // Start-up computes the jobs with no stored next fire and those whose fire was missed.
      expect((await store.jobs.schedulableToCompute(10_000)).map((r) => r.id).sort()).toEqual([keep, added].sort());
      await store.jobs.setNextFires([[added, 20_000], [keep, 15_000]]);
      expect(await store.jobs.schedulableToCompute(10_000)).toEqual([]);
      expect(await store.jobs.nextFiresFrom(16_000)).toEqual([[added, 20_000]]);
      expect(await store.jobs.nextFiresFrom(0)).toEqual([[keep, 15_000], [added, 20_000]]);
      expect(await store.jobs.hasDependents()).toBe(false);
      await store.jobs.create(write('after keep', { spec: { after: [{ job: 'keep', status: 'SUCCEEDED' }] } as Partial<JobSpec> }));
      expect(await store.jobs.hasDependents()).toBe(true);
    }),
  );

  it(
    `jobs (${backend}): deleted with their runs, logs and files in one intent; refused while a run waits, while another job needs it, or at a stale revision; ids never given again`,
    withStore(async ({ store }) => {
      const doomed = await store.jobs.create(write('doomed', { spec: { overlap: 'queue' } }));
      const keep = await store.jobs.create(write('keep'));
      const run = await store.runs.queue({ jobId: doomed, trigger: 'api', by: 'ada' }, 'node-a', 1000);
      const row = async () => (await store.jobs.get(doomed))!;
      const busy = await refusal(store.jobDeletion.delete(await row(), 'ada', 2000, () => {}));
      expect([busy.code, busy.message]).toEqual(['INVALID_STATE', `job "doomed" has run #${run.id} queued: cancel it or let it end, then delete the job`]);
      await store.runs.claim([run.id], 'node-a', 2001);
      await store.runs.commitBatch(
        [1, 2, 3].map((seq) => ({ runId: run.id, seq, ts: 0, stream: 1, text: `line ${seq}`, task: null })),
        [{ kind: 'end', record: { runId: run.id, jobId: doomed, end: { status: 'SUCCEEDED', failure: null, finishedAt: 2100, exitCode: 0, signal: null, error: null, lastSeq: 3, resultFile: null }, files: [{ name: 'out.csv', size: 3, sha256: 'h' }], lock: null, retry: null } }],
      );
      const needed = await refusal(store.jobDeletion.delete(await row(), 'ada', 2200, (jobs) => {
        if (jobs.some((j) => j.id === keep)) throw new Error('keep needs it');
      }));
      expect(needed.message).toBe('keep needs it');
      const stale = await refusal(store.jobDeletion.delete({ ...(await row()), revision: 9 }, 'ada', 2300, () => {}));
      expect([stale.code, stale.message]).toEqual(['CONFLICT', 'job "doomed" was changed while it was being deleted; look again and retry']);

      const version = await store.jobs.version();
      expect(await store.jobDeletion.delete(await row(), 'ada', 2400, () => {})).toEqual({ runs: 1, logLines: 3, files: 1 });
      expect(await store.jobs.get(doomed)).toBeUndefined();
      expect(await store.runs.get(run.id)).toBeUndefined();
      expect(await store.runs.files(run.id)).toEqual([]);
      expect(await store.logs.page(run.id, 0, 10)).toEqual([]);
      expect(await store.jobs.version()).toBe(version + 1);
      expect((await store.audit.list({ jobId: doomed, limit: 1, offset: 0 })).items[0]).toMatchObject({ action: 'job.delete', details: { runs: 1, logLines: 3, files: 1 } });
      // The deleted job's and run's ids are not given out again.
      const next = await store.jobs.create(write('next'));
      expect(next).toBeGreaterThan(doomed);
      expect(next).toBeGreaterThan(keep);
      const nextRun = await store.runs.queue({ jobId: next, trigger: 'api', by: 'ada' }, 'node-a', 3000);
      expect(nextRun.id).toBeGreaterThan(run.id);
    }),
  );
}
