/**
 * Connections to a PostgreSQL store and its schema. Jobdeck's tables live in
 * a schema of their own (`jobdeck`), so a database shared with other
 * programs keeps their tables apart. Migrations are versioned and each
 * applied one's SHA-256 recorded, as in the SQLite store; they run under a
 * transaction-scoped advisory lock, so nodes starting together apply them
 * once. BIGINT columns (ids, millisecond times) are read as numbers, as
 * better-sqlite3 gives them.
 *
 * `pg` is loaded the first time a PostgreSQL store is opened: the CLI's
 * other commands never pay for it.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ServerUnreachable } from '../../../../shared/client/httpClient';
import { JobdeckError } from '../../../../shared/errors';
import { lazyPackage } from '../../lazyPackage';
import * as m0001 from './migrations/0001-init';
import * as m0002 from './migrations/0002-nodes';
import * as m0003 from './migrations/0003-node-certificates';
import * as m0004 from './migrations/0004-fire-refusals';

const pgModule = lazyPackage<typeof pg>('pg');

export const PG_SCHEMA = 'jobdeck';

export interface PgMigration {
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [m0001, m0002, m0003, m0004];

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The URL with its password hidden, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unreadable URL)';
  }
}

/** Refuses what is not a postgres:// or postgresql:// URL, naming the option it came from. */
export function parseDatabaseUrl(url: string, option: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new JobdeckError('VALIDATION_FAILED', `${option}: "${redactUrl(url)}" is not a URL such as postgres://user:password@host:5432/jobdeck`, option);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new JobdeckError('VALIDATION_FAILED', `${option}: ${redactUrl(url)} is not a postgres:// URL`, option);
  }
  if (!u.hostname && !u.searchParams.get('host')) throw new JobdeckError('VALIDATION_FAILED', `${option}: ${redactUrl(url)} names no host`, option);
  if (u.pathname.replace(/^\//, '') === '') throw new JobdeckError('VALIDATION_FAILED', `${option}: ${redactUrl(url)} names no database (postgres://host/DATABASE)`, option);
  return url;
}

/** Where a URL points, in words (user@host:port/database), for errors. */
function placeOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.hostname || u.searchParams.get('host')}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the database';
  }
}

const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);

/** A PostgreSQL or network failure as callers should see it: what failed, where, and what to do. */
export function describePgError(url: string, err: unknown): unknown {
  const e = err as { code?: string; message?: string };
  const place = placeOf(url);
  if (e?.code && NETWORK.has(e.code)) return new ServerUnreachable(`the database at ${place}`, err);
  if (/timeout expired|Connection terminated/i.test(e?.message ?? '')) return new ServerUnreachable(`the database at ${place}`, err);
  switch (e?.code) {
    case '28P01':
    case '28000':
      return new JobdeckError('UNAUTHORIZED', `the database at ${place} refused the sign-in: ${e.message} (check the user and password in the URL, or PGPASSWORD)`);
    case '3D000':
      return new JobdeckError('NOT_FOUND', `${e.message} at ${place}: create it first (createdb NAME, or CREATE DATABASE)`, 'database');
    case '42501':
      return new JobdeckError('FORBIDDEN', `the database at ${place} does not allow this user to ${(e.message ?? '').replace(/^permission denied (for|to) /, '')}: grant it CREATE on the database`);
    case '57P03':
    case '53300':
      return new JobdeckError('UNAVAILABLE', `the database at ${place} cannot take connections now: ${e.message}`);
  }
  return err;
}

/** Reads BIGINT as a JavaScript number (ids and millisecond times fit in 2^53), NUMERIC too. */
function typeParsers(pgLib: typeof pg): pg.CustomTypesConfig {
  const toNumber = (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new Error(`a stored integer (${text}) is beyond 2^53`);
    return n;
  };
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === 20) return toNumber;
      return pgLib.types.getTypeParser(oid, format);
    }) as pg.CustomTypesConfig['getTypeParser'],
  };
}

export interface PgConnectOptions {
  /** Gives up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
  applicationName?: string;
}

/** One connection with Jobdeck's schema first on its search path; errors said in words. */
export async function connectPostgres(url: string, options: PgConnectOptions = {}): Promise<pg.Client> {
  const pgLib = pgModule();
  const client = new pgLib.Client({
    connectionString: url,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'jobdeck',
    options: `-c search_path=${PG_SCHEMA}`,
    types: typeParsers(pgLib),
  });
  // An error after connecting (the server went away) must not crash the process: the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw describePgError(url, err);
  }
  return client;
}

/** A pool of connections configured as connectPostgres's; errors of idle connections are absorbed (the next use reports them). */
export function createPool(url: string, options: { max?: number; connectTimeoutMs?: number; applicationName?: string } = {}): pg.Pool {
  const pgLib = pgModule();
  const pool = new pgLib.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'jobdeck',
    // No statement of the store's runs for a minute, and no transaction waits idle for one: a stuck one ends, with an error.
    // READ COMMITTED whatever the database's default: reads run without a transaction (pgSteps.ts), and intents are
    // written for it (their row locks, not snapshots, order them; their retries assume its errors).
    options: `-c search_path=${PG_SCHEMA} -c statement_timeout=60000 -c idle_in_transaction_session_timeout=60000 -c default_transaction_isolation=read\\ committed`,
    // A connection whose peer vanished (a half-open TCP connection) is noticed.
    keepAlive: true,
    types: typeParsers(pgLib),
  });
  pool.on('error', () => {});
  return pool;
}

/** Jobdeck's migrations applied so far (none: an empty database), checked against the ones this version knows. */
export async function appliedMigrations(client: pg.Client): Promise<number> {
  const exists = await client.query<{ n: number }>(
    `SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'schema_migrations'`,
    [PG_SCHEMA],
  );
  if (exists.rows[0]!.n === 0) return 0;
  const applied = (await client.query<{ version: number; name: string; sha256: string }>('SELECT version, name, sha256 FROM schema_migrations ORDER BY version')).rows;
  if (applied.length > PG_MIGRATIONS.length) {
    throw new JobdeckError(
      'UNAVAILABLE',
      `this database was written by a newer Jobdeck (schema ${applied[applied.length - 1]!.name}); this version knows up to ${PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.name}`,
    );
  }
  for (const row of applied) {
    const known = PG_MIGRATIONS[row.version - 1]!;
    if (known.name !== row.name || sha256(known.sql) !== row.sha256) {
      throw new JobdeckError('UNAVAILABLE', `migration ${row.name} differs from the one applied to this database; released migrations must not be edited`);
    }
  }
  return applied.length;
}

/**
 * Brings the schema up to date inside the caller's transaction (so a failure
 * leaves nothing behind), holding an advisory lock until it ends.
 */
export async function migratePostgres(client: pg.Client, now: number): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('jobdeck.schema'))`);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${PG_SCHEMA}`);
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const applied = await appliedMigrations(client);
  for (let i = applied; i < PG_MIGRATIONS.length; i++) {
    const mig = PG_MIGRATIONS[i]!;
    await client.query(mig.sql);
    await client.query('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES ($1, $2, $3, $4)', [i + 1, mig.name, sha256(mig.sql), now]);
  }
}
