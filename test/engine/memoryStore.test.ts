/**
 * A store in memory (`jobdeck run FILE`'s throwaway folder): no database
 * file, started from a template the build serializes, and a template that is
 * not a store of these migrations set aside for a fresh one, never an error.
 */
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { MIGRATIONS } from '../../electron/engine/store/database';
import { STORE_TEMPLATE_FILE, writeStoreTemplate } from '../../electron/cli/storeTemplate';
import { openEngine } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

/** A template holding one job, so a test can tell whether an engine started from it. */
async function templateWithJob(name: string): Promise<string> {
  const { engine, client, dataDir } = openEngine({ scheduler: false });
  await client.call('jobs.create', { name, script: 'true', schedule: { kind: 'manual' } });
  await engine.close(0);
  const file = join(tempDir(), 'template.db');
  writeFileSync(file, readFileSync(join(dataDir, 'jobdeck.db')));
  // As the build's template is: not in WAL mode (a WAL database cannot be opened from memory).
  const db = new Database(file);
  db.pragma('journal_mode = DELETE');
  db.close();
  return file;
}

const jobNames = async (client: ReturnType<typeof openEngine>['client']) => (await client.call('jobs.list', {})).items.map((j) => j.name);

describe('a store in memory', () => {
  it('runs jobs with no database file in the data folder; run folders and result files still go there', async () => {
    const { engine, client, dataDir } = openEngine({ scheduler: false, memoryStore: {} });
    const job = await client.call('jobs.create', {
      name: 'writes a file',
      script: 'echo hi; echo done > "$JOBDECK_OUTPUT_DIR/result.txt"',
      schedule: { kind: 'manual' },
    });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    expect((await client.call('runs.logs', { id: run.id })).lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['hi']);
    expect((await client.call('runs.files', { id: run.id })).map((f) => f.name)).toEqual(['result.txt']);
    // Nothing of the store, nor an instance lock (nobody else can see this store to ask whether it is alive).
    expect(readdirSync(dataDir).filter((n) => n.startsWith('jobdeck.db') || n === 'instances')).toEqual([]);
    expect(existsSync(join(dataDir, 'runs'))).toBe(true);
  });

  it('starts from the template it is given', async () => {
    const template = await templateWithJob('from the template');
    const { client } = openEngine({ scheduler: false, memoryStore: { template } });
    expect(await jobNames(client)).toEqual(['from the template']);
  });

  it('sets aside a template that is missing, damaged, or of other migrations, and starts empty', async () => {
    const damaged = join(tempDir(), 'damaged.db');
    writeFileSync(damaged, Buffer.alloc(8192, 7));
    const edited = await templateWithJob('edited');
    const db = new Database(edited);
    db.prepare("UPDATE schema_migrations SET sha256 = 'f00d' WHERE version = 1").run();
    db.close();
    for (const template of [join(tempDir(), 'none.db'), damaged, edited]) {
      const { client } = openEngine({ scheduler: false, memoryStore: { template } });
      expect(await jobNames(client), template).toEqual([]);
      await client.call('jobs.create', { name: 'works', script: 'true', schedule: { kind: 'manual' } });
      expect(await jobNames(client)).toEqual(['works']);
    }
  });

  it('is refused beside a scheduler or a PostgreSQL store, saying why', async () => {
    const dataDir = tempDir();
    expect(() => Engine.open({ dataDir, memoryStore: {} })).toThrow(/memoryStore needs scheduler: false/);
    await expect(Engine.connect({ dataDir, scheduler: false, memoryStore: {}, database: 'postgres://x@127.0.0.1:1/db' })).rejects.toThrow(/memoryStore and database/);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe('the store template', () => {
  it('is an empty store of every migration, written whole', () => {
    const dir = tempDir();
    const file = writeStoreTemplate(dir);
    expect(file).toBe(join(dir, STORE_TEMPLATE_FILE));
    expect(readdirSync(dir)).toEqual([STORE_TEMPLATE_FILE]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT name FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.name));
    expect(db.prepare('SELECT COUNT(*) FROM jobs').pluck().get()).toBe(0);
    db.close();
  });

  it('is written by the build beside the CLI bundle, of the current migrations', () => {
    const built = join(import.meta.dirname, '..', '..', 'out', 'node', STORE_TEMPLATE_FILE);
    const db = new Database(built, { readonly: true });
    expect(db.prepare('SELECT name FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.name));
    db.close();
  });
});
