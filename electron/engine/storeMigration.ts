/**
 * Moves a data folder's store into an empty PostgreSQL database (`jobdeck
 * migrate`): all or nothing, verified, while nothing else uses the folder.
 *
 * 1. The folder's scheduler lock is taken for the whole move (a `serve` that
 *    holds it is named and the move refused; one that starts meanwhile is
 *    refused), and a folder where another Jobdeck process is recording runs
 *    (a CLI run) is refused too: what it wrote after the copy would be lost.
 * 2. Runs left unfinished by processes that died are interrupted first, as
 *    opening the folder always does, so none is copied as still running.
 * 3. In one PostgreSQL transaction: the schema is created, every table copied
 *    and read back (store/postgres/copyTables.ts). Any failure rolls it all
 *    back: the database is left as it was.
 *
 * Run folders and script files stay in the data folder: a node on the
 * database keeps serving them from there.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { markFolder, STORE_ID_SETTING } from './folderSweep';
import { JobdeckError } from '../../shared/errors';
import { Engine } from './engine';
import { describeOwner, InstanceLock, SchedulerLock } from './ownership';
import { dbFile } from './paths';
import { copyStore, COPY_ORDER, type CopyProgress, type CopyReport } from './store/postgres/copyTables';
import { appliedMigrations, connectPostgres, describePgError, migratePostgres, redactUrl } from './store/postgres/pgDatabase';
import { Store } from './store/store';
import type { Logger } from './logger';

export { parseDatabaseUrl } from './store/postgres/pgDatabase';

export interface MigrateOptions {
  dataDir: string;
  url: string;
  logger: Logger;
  onProgress?: (p: CopyProgress) => void;
  now?: () => number;
}

export interface MigrateReport extends CopyReport {
  from: string;
  to: string;
  ms: number;
}

/** Other Jobdeck processes holding the folder open (their instance locks are held). */
function liveInstances(dataDir: string): string[] {
  const dir = join(dataDir, 'instances');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.lock'))
    .map((n) => n.slice(0, -'.lock'.length))
    .filter((id) => InstanceLock.isAlive(dataDir, id));
}

export async function migrateToPostgres(o: MigrateOptions): Promise<MigrateReport> {
  const started = Date.now();
  const now = o.now ?? Date.now;
  if (!existsSync(dbFile(o.dataDir))) {
    throw new JobdeckError('NOT_FOUND', `no Jobdeck store in ${o.dataDir} (${dbFile(o.dataDir)} does not exist)`, 'from');
  }
  const lock = SchedulerLock.acquire(o.dataDir, { kind: 'jobdeck migrate', instance: 'migrate' });
  if (!(lock instanceof SchedulerLock)) {
    throw new JobdeckError('SCHEDULER_LOCKED', `the data folder ${o.dataDir} is in use by ${describeOwner(lock)}: stop it before moving its store`);
  }
  try {
    // Opening the folder interrupts the runs of processes that died; it is closed at once.
    const engine = Engine.open({ dataDir: o.dataDir, scheduler: false, logger: o.logger, onError: (err) => o.logger.error(String(err)) });
    await engine.close(0);
    const busy = liveInstances(o.dataDir);
    if (busy.length) {
      throw new JobdeckError('CONFLICT', `another Jobdeck process is using ${o.dataDir} (instance ${busy.join(', ')}): let it finish before moving the store`);
    }
    const client = await connectPostgres(o.url, { applicationName: 'jobdeck migrate' });
    const store = Store.open(dbFile(o.dataDir));
    try {
      if ((await appliedMigrations(client)) > 0) await refuseIfNotEmpty(client, o.url);
      await client.query('BEGIN');
      try {
        await migratePostgres(client, now());
        // Checked again under the schema's lock: another migrate may have filled it meanwhile.
        await refuseIfNotEmpty(client, o.url);
        const report = await copyStore(store.db, client, o.onProgress);
        // The folder's run folders are now the database's runs': a node served on this folder may sweep them.
        await client.query(`INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [STORE_ID_SETTING, JSON.stringify(randomUUID())]);
        const id = JSON.parse((await client.query<{ value: string }>(`SELECT value FROM settings WHERE key = $1`, [STORE_ID_SETTING])).rows[0]!.value) as string;
        await client.query('COMMIT');
        markFolder(o.dataDir, id);
        return { ...report, from: o.dataDir, to: redactUrl(o.url), ms: Date.now() - started };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      }
    } catch (err) {
      throw describePgError(o.url, err);
    } finally {
      store.close();
      await client.end().catch(() => {});
    }
  } finally {
    lock.release();
  }
}

async function refuseIfNotEmpty(client: Awaited<ReturnType<typeof connectPostgres>>, url: string): Promise<void> {
  const counts: string[] = [];
  for (const table of COPY_ORDER) {
    const exists = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [table]);
    if (!exists.rows[0]!.t) continue;
    const n = (await client.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${table}`)).rows[0]!.n;
    if (n > 0) counts.push(`${n} ${table}`);
  }
  if (counts.length) {
    throw new JobdeckError(
      'CONFLICT',
      `the database ${redactUrl(url)} already holds Jobdeck data (${counts.slice(0, 4).join(', ')}${counts.length > 4 ? ', …' : ''}): migrate only into an empty database`,
    );
  }
}
