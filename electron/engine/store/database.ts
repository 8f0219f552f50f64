/**
 * Opens the SQLite store: WAL, foreign keys, versioned migrations. Each
 * applied migration's SHA-256 is recorded; a released migration that was
 * edited afterwards, or a store written by a newer Jobdeck, is refused.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import * as m0001 from './migrations/0001-init';
import * as m0002 from './migrations/0002-job-list-order';
import * as m0003 from './migrations/0003-run-states';
import * as m0004 from './migrations/0004-sessions';

export type Db = Database.Database;

interface Migration {
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface OpenOptions {
  readonly?: boolean;
  /** Native binding path (the Electron build of better-sqlite3). */
  nativeBinding?: string;
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const db = new Database(file, {
    timeout: 10_000,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    migrate(db, MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw err;
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
