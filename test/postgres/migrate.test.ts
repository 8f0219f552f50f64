/**
 * `jobdeck migrate`'s engine side (storeMigration.ts, store/postgres/) against
 * a real PostgreSQL server: a data folder filled by a real engine (scripts,
 * a workflow, result files, users, tokens, a session, notifications, a
 * deleted job) is copied table for table, identities continue above the ids
 * SQLite gave out, the database's own rules hold, and every refusal leaves
 * the target database as it was.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { streamLogger } from '../../electron/engine/logger';
import { dbFile } from '../../electron/engine/paths';
import { copyStore, COPY_ORDER, NOT_COPIED } from '../../electron/engine/store/postgres/copyTables';
import { connectPostgres, migratePostgres } from '../../electron/engine/store/postgres/pgDatabase';
import { Store } from '../../electron/engine/store/store';
import { migrateToPostgres } from '../../electron/engine/storeMigration';
import { openEngine, recordEngineError, rejection } from '../helpers/engine';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { createWorkflow } from '../helpers/workflow';

const missing = postgresMissing();
const logger = streamLogger('warn', process.stderr, 'migrate');

/** A data folder with a bit of everything the store holds; the engine is closed after. */
async function filledFolder(): Promise<string> {
  const { engine, client, dataDir } = openEngine({ scheduler: false });
  await client.call('recipients.set', { name: 'Developers', members: ['ada@example.test'] });
  await client.call('webhooks.add', { name: 'chat', url: 'http://127.0.0.1:9/hook', style: 'slack' });
  const probe = await client.call('jobs.create', {
    name: 'Probe',
    // A NUL in the output: SQLite keeps it, PostgreSQL's text cannot.
    script: 'echo checking; printf "a\\000b\\n"; echo "::progress 40 looking"; echo down >&2; exit 3',
    runtime: 'sh',
    schedule: { kind: 'cron', expression: '0 30 2 * * *', timezone: 'Europe/Oslo' },
    notify: { rules: [{ event: 'failure', to: ['developers'] }], afterFailures: 1, followUpHours: 1 },
    warm: false,
  });
  const report = await client.call('jobs.create', {
    name: 'report',
    script: 'echo "id,n" > "$JOBDECK_OUTPUT_DIR/out.csv"; echo "1,2" >> "$JOBDECK_OUTPUT_DIR/out.csv"; echo done',
    runtime: 'sh',
    schedule: { kind: 'interval', seconds: 60 },
    params: [{ name: 'region', type: 'string', required: false, default: 'north' }],
    lock: 'media',
  });
  const etl = await createWorkflow(client, 'etl', { tasks: [{ name: 'extract', script: 'echo e' }, { name: 'load', script: 'echo l' }] });
  const doomed = await client.call('jobs.create', { name: 'doomed', script: 'echo bye', runtime: 'sh', schedule: { kind: 'manual' } });
  for (const job of [probe, report, etl, doomed]) await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
  // The newest job and its run go: their ids must never be given out again.
  await client.call('jobs.delete', { id: doomed.id });
  await client.call('users.add', { name: 'Ada', role: 'viewer' });
  // The token names its user in another case (SQLite matched it without case).
  const token = await client.call('tokens.create', { name: 'ada' });
  engine.store.users.startSession(token.id, Date.now(), Date.now() + 3_600_000);
  await engine.close(0);
  return dataDir;
}

type Row = Record<string, unknown>;
const canon = (rows: Row[]) => rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, r[k]]))).sort();

describe.skipIf(missing)(`jobdeck migrate into PostgreSQL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  it('copies every table row for row, continues every identity above the ids SQLite gave out, and keeps the database rules', async () => {
    const dataDir = await filledFolder();
    const url = await server.createDatabase();
    const progress: string[] = [];
    const report = await migrateToPostgres({ dataDir, url, logger, onProgress: (p) => progress.push(`${p.table} ${p.copied}/${p.total}`) });
    expect(report.to).not.toContain('test-secret');
    expect(report.nulsReplaced).toBe(1);
    expect(progress.find((p) => p.startsWith('task_runs '))).toMatch(/^task_runs ([1-9]\d*)\/\1$/);

    const store = Store.open(dbFile(dataDir));
    const pg = await connectPostgres(url);
    try {
      for (const table of COPY_ORDER) {
        const source = store.db.prepare(`SELECT * FROM ${table}`).all() as Row[];
        if (table === 'tokens') for (const r of source) r.user_name = 'Ada';
        if (table === 'log_lines') for (const r of source) r.text = String(r.text).replace(/\u0000/g, '\uFFFD');
        let target = (await pg.query(`SELECT * FROM ${table}`)).rows as Row[];
        if (table === 'settings') {
          // One row more: the database's own id, which the folder is now marked with (its run folders are the database's runs').
          const id = target.find((r) => r.key === 'store.id');
          expect(readFileSync(join(dataDir, 'runs', '.store-id'), 'utf8')).toBe(`${JSON.parse(String(id!.value)) as string}\n`);
          target = target.filter((r) => r.key !== 'store.id');
        }
        expect(canon(target), table).toEqual(canon(source));
        expect(report.tables.find((t) => t.table === table)?.rows, table).toBe(source.length);
      }
      // Something of each kind really was there.
      for (const table of ['sessions', 'task_runs', 'run_plans', 'result_files', 'incidents', 'outbox', 'webhooks', 'script_versions']) {
        expect((await pg.query(`SELECT COUNT(*)::int AS n FROM ${table}`)).rows[0].n, table).toBeGreaterThan(0);
      }
      const deletedJob = Number(store.settings.get('ids.floor.jobs', '0'));
      const deletedRun = Number(store.settings.get('ids.floor.runs', '0'));
      expect(store.db.prepare('SELECT MAX(id) FROM jobs').pluck().get()).toBeLessThan(deletedJob);

      // A new job and run get ids above the deleted ones.
      const job = (await pg.query(`INSERT INTO jobs (name, script, script_md5, runtime, schedule_kind, created_at, created_by, updated_at, updated_by)
        VALUES ('new', 'echo', 'x', 'sh', 'manual', 0, 't', 0, 't') RETURNING id`)).rows[0].id as number;
      expect(job).toBe(deletedJob + 1);
      const run = (await pg.query(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, owner) VALUES ($1, 'IN_PROGRESS', 'manual', 't', 0, 'n1') RETURNING id`, [job])).rows[0].id as number;
      expect(run).toBe(deletedRun + 1);
      // The database's own rules: one IN_PROGRESS run per job, one run per fire, names unique without case.
      await expect(pg.query(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, owner) VALUES ($1, 'IN_PROGRESS', 'manual', 't', 0, 'n2')`, [job])).rejects.toThrow(/runs_one_in_progress/);
      await pg.query(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, owner, due_at) VALUES ($1, 'QUEUED', 'schedule', 't', 0, 'n1', 1000)`, [job]);
      await expect(pg.query(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, owner, due_at) VALUES ($1, 'QUEUED', 'catch-up', 't', 0, 'n2', 1000)`, [job])).rejects.toThrow(/runs_one_per_fire/);
      await expect(pg.query(`INSERT INTO jobs (name, script, script_md5, runtime, schedule_kind, created_at, created_by, updated_at, updated_by)
        VALUES ('PROBE', 'echo', 'x', 'sh', 'manual', 0, 't', 0, 't')`)).rejects.toThrow(/jobs_name/);
      // NOCASE folds ASCII letters only, and so does the index: these two names are different.
      await pg.query(`INSERT INTO jobs (name, script, script_md5, runtime, schedule_kind, created_at, created_by, updated_at, updated_by)
        VALUES ('ÉTÉ', 'echo', 'x', 'sh', 'manual', 0, 't', 0, 't'), ('été', 'echo', 'x', 'sh', 'manual', 0, 't', 0, 't')`);
    } finally {
      store.close();
      await pg.end();
    }
  });

  it('refuses a database that already holds Jobdeck data, and a folder that a serve or another process is using', async () => {
    const dataDir = await filledFolder();
    const url = await server.createDatabase();
    await migrateToPostgres({ dataDir, url, logger });
    const again = await rejection(migrateToPostgres({ dataDir, url, logger }));
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toMatch(/already holds Jobdeck data \(4 settings, 1 users, 2 tokens, 1 sessions, …\): migrate only into an empty database/);

    const empty = await server.createDatabase();
    const serving = Engine.open({ dataDir, onError: recordEngineError(dataDir) });
    try {
      const busy = await rejection(migrateToPostgres({ dataDir, url: empty, logger }));
      expect(busy.code).toBe('SCHEDULER_LOCKED');
      expect(busy.message).toMatch(/is in use by jobdeck .*pid \d+.*: stop it before moving its store/);
    } finally {
      await serving.close(0);
    }
    const cli = Engine.open({ dataDir, scheduler: false, onError: recordEngineError(dataDir) });
    try {
      const busy = await rejection(migrateToPostgres({ dataDir, url: empty, logger }));
      expect(busy.code).toBe('CONFLICT');
      expect(busy.message).toMatch(/another Jobdeck process is using .* \(instance .*\): let it finish/);
    } finally {
      await cli.close(0);
    }
    expect(await server.query(empty.split('/').pop()!, `SELECT to_regclass('jobdeck.jobs')::text AS t`)).toEqual([{ t: null }]);
  });

  it('rolls everything back when a row cannot be copied: the database is left empty, the error names the table', async () => {
    const dataDir = await filledFolder();
    // A value the PostgreSQL column refuses, in the last table copied.
    const store = Store.open(dbFile(dataDir));
    store.db.prepare(`UPDATE outbox SET attempts = 'many'`).run();
    store.close();
    const url = await server.createDatabase();
    await expect(migrateToPostgres({ dataDir, url, logger })).rejects.toThrow(/copying table outbox: invalid input syntax for type integer: "many"/);
    expect(await server.query(url.split('/').pop()!, `SELECT to_regclass('jobdeck.jobs')::text AS t, to_regnamespace('jobdeck')::text AS s`)).toEqual([{ t: null, s: null }]);
  });

  /** A filled folder's store, and a PostgreSQL connection inside a transaction that has just created the schema (rolled back after). */
  async function withSchemaReady(fn: (pg: Awaited<ReturnType<typeof connectPostgres>>, store: Store) => Promise<void>): Promise<void> {
    const dataDir = await filledFolder();
    const pg = await connectPostgres(await server.createDatabase());
    const store = Store.open(dbFile(dataDir));
    try {
      await pg.query('BEGIN');
      await migratePostgres(pg, Date.now());
      await fn(pg, store);
      await pg.query('ROLLBACK');
    } finally {
      store.close();
      await pg.end();
    }
  }

  it('the verification catches a target that stores something else than it was given', async () => {
    await withSchemaReady(async (pg, store) => {
      // A trigger that changes each log line on its way in: same count, other contents.
      await pg.query(`CREATE FUNCTION jobdeck.shout() RETURNS trigger AS $$ BEGIN NEW.text := upper(NEW.text); RETURN NEW; END $$ LANGUAGE plpgsql`);
      await pg.query(`CREATE TRIGGER shout BEFORE INSERT ON log_lines FOR EACH ROW EXECUTE FUNCTION jobdeck.shout()`);
      await expect(copyStore(store.db, pg)).rejects.toThrow(/verification failed for table log_lines: \d+ rows read from SQLite, \d+ in PostgreSQL \(the same count, but different contents\)/);
    });
  });

  it('refuses a schema whose columns differ from the SQLite store', async () => {
    await withSchemaReady(async (pg, store) => {
      await pg.query('ALTER TABLE webhooks DROP COLUMN style');
      await expect(copyStore(store.db, pg)).rejects.toThrow(/table webhooks differs between the SQLite store \(.*style.*\) and the PostgreSQL schema/);
    });
  });

  it('every SQLite table is copied, in an order that respects the foreign keys', () => {
    const store = Store.open(`${openEngine({ scheduler: false }).dataDir}/jobdeck.db`);
    try {
      const tables = store.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'schema_migrations'`).pluck().all() as string[];
      expect([...COPY_ORDER, ...NOT_COPIED].sort()).toEqual(tables.sort());
      for (const table of COPY_ORDER) {
        for (const fk of store.db.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).pluck().all(table) as string[]) {
          expect(COPY_ORDER.indexOf(fk as (typeof COPY_ORDER)[number]), `${table} -> ${fk}`).toBeLessThan(COPY_ORDER.indexOf(table));
        }
      }
    } finally {
      store.close();
    }
  });
});
