/**
 * Opens the SQLite store: WAL, foreign keys, versioned migrations. Each
 * applied migration's SHA-256 is recorded; a released migration that was
 * edited afterwards, or a store written by a newer Jobdeck, is refused.
 */
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { JobdeckError } from '../../../shared/errors';
import { openSqlite } from './sqliteDriver';
import * as m0001 from './migrations/0001-init';
import * as m0002 from './migrations/0002-job-list-order';
import * as m0003 from './migrations/0003-run-states';
import * as m0004 from './migrations/0004-sessions';
import * as m0005 from './migrations/0005-workflows';
import * as m0006 from './migrations/0006-notifications';
import * as m0007 from './migrations/0007-warm-runtimes';
import * as m0008 from './migrations/0008-nodes';
import * as m0009 from './migrations/0009-node-certificates';
import * as m0010 from './migrations/0010-fire-refusals';

export type Db = Database.Database;

interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface OpenOptions {
  readonly?: boolean;
  /** Native binding path (the Electron build of better-sqlite3). */
  nativeBinding?: string;
}

/** SQLite's ways of saying the file is not (or no longer) a sound database. */
const DAMAGE = /^SQLITE_(CORRUPT|NOTADB)/;
/** SQLite's and the OS's ways of saying the folder or file cannot be written. */
const UNWRITABLE = /^(SQLITE_READONLY|SQLITE_CANTOPEN|SQLITE_IOERR|EACCES|EPERM|EROFS)/;

export const isStoreDamage = (err: unknown): boolean => DAMAGE.test(String((err as { code?: string })?.code ?? ''));

/** The error a damaged store gives every caller: what happened and what to do, no stack. */
export function storeDamaged(file: string, err: unknown): JobdeckError {
  return new JobdeckError(
    'UNAVAILABLE',
    `the database ${file} is damaged (${(err as Error).message}). Stop Jobdeck and keep a copy of the data folder; ` +
      `then restore jobdeck.db from a backup, or keep what can still be read: sqlite3 jobdeck.db ".recover" | sqlite3 recovered.db, ` +
      `and put recovered.db in its place`,
  );
}

/** A store failure as callers should see it: damage and unwritable folders in words; anything else as it was. */
export function describeStoreFailure(file: string, err: unknown): unknown {
  if (isStoreDamage(err)) return storeDamaged(file, err);
  const code = String((err as { code?: string })?.code ?? '');
  if (UNWRITABLE.test(code)) {
    return new JobdeckError('UNAVAILABLE', `cannot write to the data folder ${dirname(file)} (${(err as Error).message}); check that it exists and that this user may write to it`);
  }
  return err;
}

/** Run folders a data folder already holds (a store reset beside them would reuse their ids). */
function runFolders(file: string): number {
  try {
    return readdirSync(join(dirname(file), 'runs')).filter((n) => /^\d+$/.test(n)).length;
  } catch {
    return 0;
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = openSqlite(file, {
      timeout: 10_000,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  } catch (err) {
    throw describeStoreFailure(file, err);
  }
  try {
    // Before anything is written to it: a new (or emptied) store beside old run folders is refused.
    const fresh = (db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'").pluck().get() as number) === 0;
    const folders = fresh ? runFolders(file) : 0;
    if (folders > 0) {
      throw new JobdeckError(
        'UNAVAILABLE',
        `the database ${file} is empty or missing, but the data folder holds run folders of ${folders} job(s): starting afresh here would hide them. ` +
          `Restore jobdeck.db from a backup, or move ${join(dirname(file), 'runs')} aside to start with an empty store`,
      );
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    migrate(db, MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw describeStoreFailure(file, err);
  }
}

/**
 * A store that lives in this process's memory and is gone when it closes (the
 * throwaway folder of `jobdeck run FILE`). Made from `template`, an empty
 * store the build serialized (storeTemplate()), so the migrations, a third of
 * the CLI's store start-up, are not run at each start; a template that is not
 * a store of these migrations is set aside for a fresh one.
 */
export function openMemoryDatabase(template: Buffer | null, options: OpenOptions = {}): Db {
  const binding = options.nativeBinding ? { nativeBinding: options.nativeBinding } : {};
  if (template) {
    let db: Db | null = null;
    try {
      db = openSqlite(template, binding);
      db.pragma('foreign_keys = ON');
      // Checks each applied migration's hash (and adds any the template lacks).
      migrate(db, MIGRATIONS);
      return db;
    } catch {
      db?.close();
    }
  }
  const db = openSqlite(':memory:', binding);
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS);
  return db;
}

/** An empty store of every migration, serialized: what the build writes beside the CLI bundle for openMemoryDatabase(). */
export function storeTemplate(options: OpenOptions = {}): Buffer {
  const db = openMemoryDatabase(null, options);
  try {
    return db.serialize();
  } finally {
    db.close();
  }
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = db.prepare('SELECT version, name, sha256 FROM schema_migrations ORDER BY version').all() as {
    version: number;
    name: string;
    sha256: string;
  }[];
  if (applied.length > migrations.length) {
    const newest = applied[applied.length - 1]!;
    throw new Error(
      `This data folder was written by a newer Jobdeck (schema ${newest.name}); this version knows up to ${migrations[migrations.length - 1]?.name}.`,
    );
  }
  for (const row of applied) {
    const known = migrations[row.version - 1]!;
    if (known.name !== row.name || sha256(known.sql) !== row.sha256) {
      throw new Error(`Migration ${row.name} differs from the one applied to this store; released migrations must not be edited.`);
    }
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)');
  for (let i = applied.length; i < migrations.length; i++) {
    const mig = migrations[i]!;
    db.transaction(() => {
      db.exec(mig.sql);
      insert.run(i + 1, mig.name, sha256(mig.sql), Date.now());
    }).immediate();
  }
}
