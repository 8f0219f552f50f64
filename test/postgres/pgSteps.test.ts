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
import { jobsTable } from '../../electron/engine/store/tables/jobsTable';
import { usersTable } from '../../electron/engine/store/tables/usersTable';
import { get, sql, type Work } from '../../electron/engine/store/work';
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
    const lines = Array.from({ length: 2500 }, (_, i) => ({ runId: run.id, seq: i + 1, ts: i, stream: 1 + (i % 2), text: i < 30 ? long : `line ${i}\u0000`, task: i % 3 ? null : 'a/b' }));
    // Counts the statements that write log lines.
    let inserts = 0;
    const counted = new WeakSet<object>();
    store.steps.pool.on('acquire', (client) => {
      if (counted.has(client)) return;
      counted.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
        if (/INSERT INTO log_lines/.test(typeof config === 'string' ? config : ((config as { text?: string }).text ?? ''))) inserts++;
        return query(config, ...rest);
      };
    });
    // A line sent twice (a retried batch) is kept once.
    await store.runs.commitBatch([...lines, lines[0]!], []);
    // 23 long lines fill the first statement's 4 MB, then 1,000 lines a statement.
    expect(inserts).toBe(4);
    const [count] = await server.query<{ n: string; bytes: string }>(db, 'SELECT COUNT(*) AS n, SUM(octet_length(text)) AS bytes FROM jobdeck.log_lines WHERE run_id = $1', [run.id]);
    expect(Number(count!.n)).toBe(2500);
    const page = await store.logs.page(run.id, 0, 10);
    expect(page.map((l) => [l.seq, l.stream, l.text.slice(0, 8), l.task])).toEqual(
      lines.slice(0, 10).map((l) => [l.seq, l.stream, l.text.replace('\u0000', '\uFFFD').slice(0, 8), l.task]),
    );
    expect((await store.logs.page(run.id, 28, 1))[0]!.text).toBe(long);
    expect((await store.logs.page(run.id, 30, 1))[0]!.text).toBe('line 30\uFFFD');
  });

  it('refuses a read that writes or locks rows (it would run outside a transaction), and runs the reads it has', async () => {
    const { store } = await open();
    const id = await jobOf(store);
    const asRead = <T,>(work: () => Work<T>) => store.steps.perform(work, { transaction: false });
    await expect(asRead(() => usersTable.markUsed('nope', 1))).rejects.toThrow(/a read tried to write or lock \(UPDATE tokens/);
    await expect(asRead(() => jobsTable.getForUpdate(id))).rejects.toThrow(/a read tried to write or lock \(SELECT \* FROM jobs WHERE id = \$1 FOR NO KEY UPDATE/);
    await expect(asRead(() => get(sql("SELECT 1 AS one FROM jobs FOR SHARE")))).rejects.toThrow(/write or lock/);
    expect((await asRead(() => jobsTable.get(id)))!.name).toBe('j');
    expect(await asRead(() => get(sql("SELECT 'UPDATE' AS word")))).toEqual({ word: 'UPDATE' });
  });

  it('reads and writes at READ COMMITTED whatever the database defaults to', async () => {
    const url = await server.createDatabase();
    const db = url.split('/').pop()!;
    await server.query('postgres', `ALTER DATABASE "${db}" SET default_transaction_isolation = 'serializable'`);
    const store = await PgStore.open(url, { max: 1 });
    opened.push(store);
    const asRead = <T,>(work: () => Work<T>) => store.steps.perform(work, { transaction: false });
    expect(await asRead(() => get(sql('SELECT current_setting(?) AS level'), 'transaction_isolation'))).toEqual({ level: 'read committed' });
    expect(await store.steps.perform(() => get(sql('SELECT current_setting(?) AS level'), 'transaction_isolation'))).toEqual({ level: 'read committed' });
    // A read whose statements must agree (the dashboard's counts) shares one snapshot, and still may not write.
    const snapshot = <T,>(work: () => Work<T>) => store.steps.perform(work, { transaction: 'snapshot' });
    expect(await snapshot(() => get(sql('SELECT current_setting(?) AS level'), 'transaction_isolation'))).toEqual({ level: 'repeatable read' });
    await expect(snapshot(() => usersTable.markUsed('nope', 1))).rejects.toThrow(/a read tried to write/);
    expect(await store.dashboard.dashboard(Date.now())).toMatchObject({ jobs: { total: 0, disabled: 0 } });
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
