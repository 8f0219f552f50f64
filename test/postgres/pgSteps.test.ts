/**
 * The PostgreSQL driver of the store (store/postgres/pgSteps.ts) when things
 * go wrong: a NUL in a script's output, a connection killed in the middle of
 * a transaction, tables changed under prepared statements, an unreachable
 * server. Each must end in a clear error or a written row, never a crash or
 * a stuck store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_DEFAULTS } from '../../shared/model/job';
import { PgStore } from '../../electron/engine/store/postgres/pgStore';
import { usersTable } from '../../electron/engine/store/tables/usersTable';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';

const missing = postgresMissing();

describe.skipIf(missing)(`the PostgreSQL store's driver${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  const opened: PgStore[] = [];
  const open = async () => {
    const url = await server.createDatabase();
    const store = await PgStore.open(url, { max: 2 });
    opened.push(store);
    return { store, db: url.split('/').pop()! };
  };
  afterAll(async () => {
    for (const s of opened) await s.close();
  });
  const jobOf = (store: PgStore, name = 'j') =>
    store.jobs.create({ spec: { ...JOB_DEFAULTS, name, script: 'echo', schedule: { kind: 'manual' } }, md5: 'x', archived: false, nextFireAt: null, by: 'ada', at: 1, audit: null });

  it('writes a log line holding NUL (a script may print one) with U+FFFD in its place, and the batch goes on', async () => {
    const { store } = await open();
    const job = await jobOf(store);
    const run = await store.runs.queue({ jobId: job, trigger: 'api', by: 'ada' }, 'n', 1);
    await store.runs.commitBatch(
      [
        { runId: run.id, seq: 1, ts: 1, stream: 1, text: 'a\u0000b', task: null },
        { runId: run.id, seq: 2, ts: 1, stream: 2, text: 'after', task: null },
      ],
      [{ kind: 'progress', runId: run.id, percent: 5, message: 'nul\u0000here', lastSeq: 2 }],
    );
    expect((await store.logs.page(run.id, 0, 10)).map((l) => l.text)).toEqual(['a\uFFFDb', 'after']);
    expect((await store.runs.get(run.id))!.progress_msg).toBe('nul\uFFFDhere');
  });

  it('survives a connection killed mid-transaction (the work fails, saying so), and the next call works on a new connection', async () => {
    const { store, db } = await open();
    await jobOf(store, 'first');
    // A transaction that waits on a lock held here, so it is in flight when its connection is killed.
    const blocker = await store.steps.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query("SELECT * FROM jobs WHERE name = 'first' FOR UPDATE");
    const waiting = store.jobs.replace(1, 1, { spec: { ...JOB_DEFAULTS, name: 'first', script: 'echo 2', schedule: { kind: 'manual' } }, md5: 'y', archived: false, nextFireAt: null, by: 'ada', at: 2, audit: null, scriptChanged: true });
    const outcome = waiting.then(
      () => 'written',
      (err: Error) => err.message,
    );
    await new Promise((r) => setTimeout(r, 200));
    await server.query(db, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'UPDATE jobs%'`, [db]);
    expect(await outcome).toMatch(/terminat|connection/i);
    await blocker.query('ROLLBACK');
    blocker.release();
    expect(await jobOf(store, 'second')).toBeGreaterThan(1);
    expect((await store.jobs.get(1))!.script).toBe('echo');
  });

  it('goes on after the tables change under its prepared statements (a migration by another node)', async () => {
    const { store, db } = await open();
    const id = await jobOf(store);
    expect((await store.jobs.get(id))!.name).toBe('j');
    await server.query(db, 'ALTER TABLE jobdeck.jobs ADD COLUMN added_later TEXT');
    const again = await store.jobs.get(id);
    expect(again).toMatchObject({ id, name: 'j', added_later: null });
  });

  it('writes a batch of many log lines as few statements (long lines split them by size), every line kept once', async () => {
    const { store, db } = await open();
    const job = await jobOf(store);
    const run = await store.runs.queue({ jobId: job, trigger: 'api', by: 'ada' }, 'n', 1);
    const long = 'x'.repeat(60_000);
    const lines = Array.from({ length: 2500 }, (_, i) => ({ runId: run.id, seq: i + 1, ts: i, stream: 1 + (i % 2), text: i % 100 === 7 ? long : `line ${i}\u0000`, task: i % 3 ? null : 'a/b' }));
    // A line sent twice (a retried batch) is kept once.
    await store.runs.commitBatch([...lines, lines[0]!], []);
    const [count] = await server.query<{ n: string; bytes: string }>(db, 'SELECT COUNT(*) AS n, SUM(octet_length(text)) AS bytes FROM jobdeck.log_lines WHERE run_id = $1', [run.id]);
    expect(Number(count!.n)).toBe(2500);
    const page = await store.logs.page(run.id, 0, 10);
    expect(page.map((l) => [l.seq, l.stream, l.text.slice(0, 8), l.task])).toEqual(
      lines.slice(0, 10).map((l) => [l.seq, l.stream, l.text.replace('\u0000', '\uFFFD').slice(0, 8), l.task]),
    );
    expect((await store.logs.page(run.id, 7, 1))[0]!.text).toBe(long);
  });

  it('refuses a read that writes (it would run outside a transaction)', async () => {
    const { store } = await open();
    const id = await jobOf(store);
    await expect(store.steps.perform(() => usersTable.markUsed('nope', 1), { transaction: false })).rejects.toThrow(/a read tried to write \(UPDATE tokens/);
    expect((await store.jobs.get(id))!.name).toBe('j');
  });

  it('says the database cannot be reached when it goes away, and works again when it is back', async () => {
    const url = await server.createDatabase();
    const gone = url.replace(/:\d+\//, ':1/');
    await expect(PgStore.open(gone)).rejects.toThrow(/cannot reach the database at postgres@127\.0\.0\.1:1\/\w+: connect ECONNREFUSED/);
    const store = await PgStore.open(url, { max: 1 });
    opened.push(store);
    expect(await store.users.count()).toBe(0);
  });
});
