/**
 * The order in which intents lock rows on PostgreSQL: a job's row before
 * its runs' rows, several jobs' rows ascending by id. Two nodes whose
 * transactions took rows in different orders could wait on each other in a
 * circle, which PostgreSQL breaks after a second by failing one of them (the
 * cluster bench counted such deadlocks). Each test holds a job's row in a
 * transaction of its own, starts an intent, and looks at which rows the
 * waiting intent already holds.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_DEFAULTS } from '../../shared/model/job';
import { PgStore } from '../../electron/engine/store/postgres/pgStore';
import { JOB_ROW_LOCK } from '../../electron/engine/store/tables/jobsTable';
import { end } from '../store/runsContract';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';

const missing = postgresMissing();
const NOT_LOCKED = /could not obtain lock/;

describe.skipIf(missing)(`the order of row locks on PostgreSQL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  const opened: PgStore[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await server?.stop();
  });

  let currentDb = '';
  async function open() {
    const url = await server.createDatabase();
    currentDb = url.slice(url.lastIndexOf('/') + 1);
    const store = await PgStore.open(url, { max: 4 });
    opened.push(store);
    const job = (name: string) =>
      store.jobs.create({ spec: { ...JOB_DEFAULTS, name, script: 'echo', schedule: { kind: 'manual' }, overlap: 'queue' }, md5: 'x', archived: false, nextFireAt: null, by: 'ada', at: 1, audit: null });
    return { store, job };
  }

  /** Holds a job's row in a transaction of its own until `release`. */
  async function holdJob(store: PgStore, jobId: number) {
    const blocker: pg.PoolClient = await store.steps.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT id FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
    return {
      client: blocker,
      /** Whether a row is free to lock now (NOWAIT: fails at once if another transaction holds it). */
      free: async (table: 'jobs' | 'runs', id: number) => {
        await blocker.query('SAVEPOINT probe');
        try {
          await blocker.query(`SELECT id FROM ${table} WHERE id = $1 FOR UPDATE NOWAIT`, [id]);
          await blocker.query('ROLLBACK TO SAVEPOINT probe');
          return true;
        } catch (err) {
          await blocker.query('ROLLBACK TO SAVEPOINT probe');
          if (NOT_LOCKED.test(String(err))) return false;
          throw err;
        }
      },
      release: async (end: 'ROLLBACK' | 'COMMIT' = 'ROLLBACK') => {
        await blocker.query(end);
        blocker.release();
      },
    };
  }

  /** Until another transaction of this database waits for a lock (bounded: 10 s), so its probes are meaningful. */
  const settle = async () => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const rows = await server.query<{ n: number }>(
        currentDb,
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
      );
      if (rows[0]!.n > 0) return;
    }
    throw new Error('no transaction waited for a lock within 10 s');
  };

  it("claims runs of several jobs taking the jobs' rows first, ascending, whatever order the runs are given in", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const two = await job('two');
    const runOne = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 1);
    const runTwo = await store.runs.queue({ jobId: two, trigger: 'api', by: 'ada' }, 'n', 1);
    const held = await holdJob(store, two);
    const claiming = store.runs.claim([runTwo.id, runOne.id], 'n', 2);
    await settle();
    // The claim holds job one's row while it waits for job two's, and has written no run yet.
    expect(await held.free('jobs', one)).toBe(false);
    expect([await held.free('runs', runOne.id), await held.free('runs', runTwo.id)]).toEqual([true, true]);
    await held.release();
    expect((await claiming).map((r) => [r.runId, r.outcome])).toEqual([
      [runTwo.id, 'started'],
      [runOne.id, 'started'],
    ]);
  });

  it("a claim of one run, the interruption of a process's runs and a cancel of a queued run each wait for the job's row before writing a run", async () => {
    const { store, job } = await open();
    const one = await job('one');
    /** Starts `intent` while job one's row is held, and answers whether `runId`'s row was still free while it waited. */
    const whileHeld = async <T>(runId: number, intent: () => Promise<T>) => {
      const held = await holdJob(store, one);
      const pending = intent();
      await settle();
      const free = await held.free('runs', runId);
      await held.release();
      return { free, result: await pending };
    };
    const run = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 1);
    const claim = await whileHeld(run.id, () => store.runs.claim([run.id], 'n', 2));
    expect([claim.free, claim.result[0]!.outcome]).toEqual([true, 'started']);
    const interrupt = await whileHeld(run.id, () => store.runs.interruptOwner('n', 3, null));
    expect([interrupt.free, interrupt.result.interrupted.map((r) => r.id)]).toEqual([true, [run.id]]);
    expect((await store.runs.get(run.id))!.status).toBe('FAILED');
    const queued = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 4);
    const cancel = await whileHeld(queued.id, () => store.runs.cancelQueued(queued.id, 'ada', 5));
    expect([cancel.free, cancel.result]).toEqual([true, true]);
    expect((await store.runs.get(queued.id))!.status).toBe('CANCELLED');
  });

  it("a writer's batch that writes a run twice does not wait for a transaction holding the run's job as intents hold jobs", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const run = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 1);
    await store.runs.claim([run.id], 'n', 2);
    const blocker = await store.steps.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query(`SELECT id FROM jobs WHERE id = $1 ${JOB_ROW_LOCK}`, [one]);
    // The second write of the run has its foreign key checked (KEY SHARE on the job's row); an intent holding the
    // job while it waits for a job this batch holds would otherwise make a circle (seen in the cluster bench).
    const batch = store.runs.commitBatch([], [
      { kind: 'running', runId: run.id, pid: 42, at: 3 },
      { kind: 'progress', runId: run.id, percent: 50, message: 'half', lastSeq: 0 },
    ]);
    const outcome = await Promise.race([batch.then(() => 'written'), new Promise((r) => setTimeout(() => r('waiting'), 2000))]);
    await blocker.query('ROLLBACK');
    blocker.release();
    await batch;
    expect(outcome).toBe('written');
    expect(await store.runs.get(run.id)).toMatchObject({ phase: 'RUNNING', pid: 42, progress_pct: 50 });
  });

  it("a writer's batch ending one run, and a claim asked to cancel while it waited, take the job's row first", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const ending = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 1);
    await store.runs.claim([ending.id], 'n', 2);
    let held = await holdJob(store, one);
    const batch = store.runs.commitBatch([], [{ kind: 'end', record: end(ending.id, one) }]);
    await settle();
    expect(await held.free('runs', ending.id)).toBe(true);
    await held.release();
    await batch;
    expect((await store.runs.get(ending.id))!.status).toBe('SUCCEEDED');

    // A cancel asked for while the claim waits for the job's row (it read the run before): the run is not started.
    const queued = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'n', 3);
    held = await holdJob(store, one);
    const claiming = store.runs.claim([queued.id], 'n', 4);
    await settle();
    await store.runs.requestCancel(queued, 'ada', 5);
    await held.release();
    expect((await claiming).map((c) => c.outcome)).toEqual(['cancelled']);
    expect(await store.runs.get(queued.id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled by ada' });
  });

  it("a fire a node refused while another node's recording of it waited for the job's row is refused there too", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const held = await holdJob(store, one);
    const recording = store.runs.recordFires([{ jobId: one, dueAt: 60_000, trigger: 'schedule' }], [], 'backup', 61_000, [], { shared: true });
    await settle();
    await held.client.query('INSERT INTO fire_refusals (due_at, job_id) VALUES ($1, $2)', [60_000, one]);
    await held.release('COMMIT');
    expect(await recording).toMatchObject({ created: [], refused: 1 });
  });

  it("fires recorded with other jobs' next fires (a start-up), and next fires alone, lock every job they write first, ascending", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const two = await job('two');
    let held = await holdJob(store, two);
    // Job two fires; job one only gets its next fire, given first.
    const recording = store.runs.recordFires([{ jobId: two, dueAt: 60_000, trigger: 'catch-up' }], [[one, 120_000], [two, 120_000]], 'n', 61_000, [], { shared: true });
    await settle();
    expect(await held.free('jobs', one)).toBe(false);
    await held.release();
    expect((await recording).created.map((r) => r.job_id)).toEqual([two]);

    held = await holdJob(store, two);
    const setting = store.jobs.setNextFires([[two, 180_000], [one, 180_000]]);
    await settle();
    expect(await held.free('jobs', one)).toBe(false);
    await held.release();
    await setting;
    expect(await store.jobs.nextFiresFrom(0)).toEqual([[one, 180_000], [two, 180_000]]);
  });

  it('a heartbeat forgets at most 5,000 old refusals, skipping rows another node is forgetting rather than waiting for them', async () => {
    const { store } = await open();
    const now = await store.nodes.now();
    const count = async () => (await server.query<{ n: number }>(currentDb, 'SELECT count(*)::int AS n FROM jobdeck.fire_refusals'))[0]!.n;
    await server.query(currentDb, 'INSERT INTO jobdeck.fire_refusals (due_at, job_id) SELECT g, 1 FROM generate_series(1, 5003) g');
    await server.query(currentDb, 'INSERT INTO jobdeck.fire_refusals (due_at, job_id) VALUES ($1, 1)', [now]);
    await store.nodes.register({ id: 'n1', address: 'http://127.0.0.1:1', version: '0.1.0', host: 'here', pid: 1, leaseMs: 30_000 });
    const blocker = await store.steps.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT due_at FROM fire_refusals WHERE due_at = 1 FOR UPDATE');
    const beat = store.nodes.heartbeat('n1');
    const outcome = await Promise.race([beat.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 2000))]);
    await blocker.query('ROLLBACK');
    blocker.release();
    await beat;
    expect(outcome).toBe('done');
    // Left: the row held elsewhere, the two beyond the 5,000, and the young one.
    expect(await count()).toBe(4);
    await store.nodes.heartbeat('n1');
    expect(await count()).toBe(1);
  });

  it("a node declared lost has its runs' jobs' rows locked before its runs are ended or handed over", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const two = await job('two');
    await store.nodes.register({ id: 'gone', address: 'http://127.0.0.1:1', version: '0.1.0', host: 'here', pid: 1, leaseMs: 1000 });
    const running = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'gone', 1);
    await store.runs.claim([running.id], 'gone', 2);
    const waiting = await store.runs.queue({ jobId: two, trigger: 'api', by: 'ada' }, 'gone', 3);
    await new Promise((r) => setTimeout(r, 1100));
    const held = await holdJob(store, two);
    const reaping = store.nodes.reapLost('finder');
    await settle();
    // Job one's row is taken (ascending), job two's awaited; neither run written yet.
    expect(await held.free('jobs', one)).toBe(false);
    expect([await held.free('runs', running.id), await held.free('runs', waiting.id)]).toEqual([true, true]);
    await held.release();
    const [lost] = await reaping;
    expect(lost!.interrupted.map((r) => r.id)).toEqual([running.id]);
    expect(lost!.handedOver.map((r) => [r.id, r.owner])).toEqual([[waiting.id, 'finder']]);
  });

  it("nodes declared lost together have all their runs' jobs' rows locked in one ascending order, not node by node", async () => {
    const { store, job } = await open();
    const one = await job('one');
    const two = await job('two');
    // Reaped in node id order: the first node's run is of the higher job.
    for (const id of ['gone-a', 'gone-b']) await store.nodes.register({ id, address: 'http://127.0.0.1:1', version: '0.1.0', host: 'here', pid: 1, leaseMs: 1000 });
    const ofA = await store.runs.queue({ jobId: two, trigger: 'api', by: 'ada' }, 'gone-a', 1);
    await store.runs.claim([ofA.id], 'gone-a', 2);
    const ofB = await store.runs.queue({ jobId: one, trigger: 'api', by: 'ada' }, 'gone-b', 3);
    await store.runs.claim([ofB.id], 'gone-b', 4);
    await new Promise((r) => setTimeout(r, 1100));
    const held = await holdJob(store, two);
    const reaping = store.nodes.reapLost('finder');
    await settle();
    // Job one's row (gone-b's run) is taken before job two's is awaited (gone-a's): node by node, one would still be free.
    expect(await held.free('jobs', one)).toBe(false);
    expect([await held.free('runs', ofA.id), await held.free('runs', ofB.id)]).toEqual([true, true]);
    await held.release();
    const lost = await reaping;
    expect(lost.map((l) => [l.node.id, l.interrupted.map((r) => r.id)])).toEqual([
      ['gone-a', [ofA.id]],
      ['gone-b', [ofB.id]],
    ]);
  });
});
