/**
 * Copies every table of a SQLite store into a PostgreSQL store of the same
 * schema, inside the caller's transaction, and proves the copy: each table's
 * row count and an order-independent digest of its rows' SHA-256 hashes (see
 * Digest) of what was read from SQLite must equal the same figures read back
 * from PostgreSQL.
 *
 * The columns come from the PostgreSQL schema (a column SQLite lacks, or the
 * reverse, is a bug this refuses to copy past). Rows go in batches of at most
 * 5,000 rows or about 4 MB, one array parameter per column (unnest), so a
 * batch is one statement whatever its size.
 *
 * PostgreSQL's text cannot hold the NUL character, which SQLite's can (a
 * script may print one): it is replaced by U+FFFD on the way, counted, and
 * the digest of the source is taken after that replacement.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Db } from '../database';

/** Parents before children (foreign keys), every table of the schema once. */
export const COPY_ORDER = [
  'settings',
  'users',
  'tokens',
  'sessions',
  'jobs',
  'script_versions',
  'runs',
  'log_lines',
  'result_files',
  'run_plans',
  'task_runs',
  'locks',
  'audit',
  'recipient_groups',
  'webhooks',
  'incidents',
  'outbox',
] as const;

export type TableName = (typeof COPY_ORDER)[number];

/**
 * Tables a move leaves behind: who served the old store, its chores' leases,
 * and the fires its nodes refused (asked about only by nodes checking the
 * fires of the last hour) mean nothing to the new one.
 */
export const NOT_COPIED = ['nodes', 'chores', 'fire_refusals'] as const;

type Kind = 'int' | 'real' | 'text';

interface Column {
  name: string;
  kind: Kind;
  pgType: string;
}

export interface TableFigures {
  table: TableName;
  rows: number;
  digest: string;
}

export interface CopyProgress {
  table: TableName;
  copied: number;
  total: number;
}

export interface CopyReport {
  tables: TableFigures[];
  /** Text values whose NUL characters became U+FFFD. */
  nulsReplaced: number;
}

const BATCH_ROWS = 5000;
const BATCH_BYTES = 4 * 1024 * 1024;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The columns of a PostgreSQL table of Jobdeck's schema, in table order, with their kinds. */
async function pgColumns(client: pg.Client, table: string): Promise<Column[]> {
  const rows = (
    await client.query<{ column_name: string; data_type: string }>(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    )
  ).rows;
  return rows.map((r) => {
    const kind: Kind = r.data_type === 'bigint' || r.data_type === 'integer' ? 'int' : r.data_type === 'double precision' ? 'real' : 'text';
    const pgType = kind === 'int' ? (r.data_type === 'bigint' ? 'bigint' : 'integer') : kind === 'real' ? 'double precision' : 'text';
    return { name: r.column_name, kind, pgType };
  });
}

/** Refuses to copy between schemas that differ: every column on both sides, no more. */
function checkSameColumns(db: Db, table: string, columns: Column[]): void {
  const sqlite = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(table) as string[]).sort();
  const pgNames = columns.map((c) => c.name).sort();
  if (sqlite.join(',') !== pgNames.join(',')) {
    throw new Error(`table ${table} differs between the SQLite store (${sqlite.join(', ')}) and the PostgreSQL schema (${pgNames.join(', ')})`);
  }
}

/**
 * The SQLite query that reads a table as it is copied. A token names its user
 * as the users table spells the name (SQLite matched it without case).
 */
function sourceSelect(table: TableName, columns: Column[]): string {
  const cols = columns.map((c) =>
    table === 'tokens' && c.name === 'user_name' ? `COALESCE((SELECT u.name FROM users u WHERE u.name = t.user_name), t.user_name) AS user_name` : `t.${quote(c.name)}`,
  );
  return `SELECT ${cols.join(', ')} FROM ${table} t`;
}

/**
 * An order-independent digest of a table's rows: each row's SHA-256 split in
 * eight 32-bit words, each word position summed over the rows modulo 2^52
 * (exact in a double: a sum below 2^52 plus a word below 2^32 stays below
 * 2^53), and the eight sums hashed at the end. Numbers, not BigInts: a row
 * costs a hash and eight additions.
 */
class Digest {
  private readonly lanes = new Float64Array(8);
  rows = 0;

  add(values: unknown[]): void {
    const h = createHash('sha256').update(JSON.stringify(values)).digest();
    for (let i = 0; i < 8; i++) this.lanes[i] = (this.lanes[i]! + h.readUInt32BE(i * 4)) % 2 ** 52;
    this.rows++;
  }

  hex(): string {
    return createHash('sha256').update(Array.from(this.lanes, (n) => n.toString(16)).join(':')).digest('hex');
  }
}

/** A SQLite value as PostgreSQL will hold it (and as the digest sees it). */
function normalize(value: unknown, column: Column, counter: { nuls: number }): unknown {
  if (value === null || value === undefined) return null;
  if (column.kind === 'text') {
    const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    if (text.includes('\u0000')) {
      counter.nuls++;
      return text.replace(/\u0000/g, '\uFFFD');
    }
    return text;
  }
  return typeof value === 'bigint' ? Number(value) : value;
}

async function insertBatch(client: pg.Client, table: string, columns: Column[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const arrays = columns.map((_, i) => rows.map((r) => r[i]));
  const names = columns.map((c) => quote(c.name)).join(', ');
  const params = columns.map((c, i) => `$${i + 1}::${c.pgType}[]`).join(', ');
  try {
    await client.query(`INSERT INTO ${table} (${names}) SELECT * FROM unnest(${params})`, arrays);
  } catch (err) {
    const e = err as Error & { detail?: string };
    throw new Error(`copying table ${table}: ${e.message}${e.detail ? ` (${e.detail})` : ''}`);
  }
}

/** Copies one table; returns the figures of what was read. */
async function copyTable(
  db: Db,
  client: pg.Client,
  table: TableName,
  counter: { nuls: number },
  onProgress: (p: CopyProgress) => void,
): Promise<TableFigures> {
  const columns = await pgColumns(client, table);
  if (columns.length === 0) throw new Error(`the PostgreSQL schema has no table ${table}`);
  checkSameColumns(db, table, columns);
  const total = db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  const digest = new Digest();
  let batch: unknown[][] = [];
  let bytes = 0;
  // safeIntegers: an integer beyond 2^53 is caught here rather than rounded.
  const stmt = db.prepare(sourceSelect(table, columns)).raw(true).safeIntegers(true);
  for (const raw of stmt.iterate() as IterableIterator<unknown[]>) {
    const row = raw.map((v, i) => {
      if (typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))) {
        throw new Error(`${table}.${columns[i]!.name} holds ${v}, beyond what Jobdeck stores`);
      }
      return normalize(v, columns[i]!, counter);
    });
    digest.add(row);
    batch.push(row);
    for (const v of row) bytes += typeof v === 'string' ? v.length : 8;
    if (batch.length >= BATCH_ROWS || bytes >= BATCH_BYTES) {
      await insertBatch(client, table, columns, batch);
      batch = [];
      bytes = 0;
      onProgress({ table, copied: digest.rows, total });
    }
  }
  await insertBatch(client, table, columns, batch);
  onProgress({ table, copied: digest.rows, total });
  return { table, rows: digest.rows, digest: digest.hex() };
}

/** Reads a table back from PostgreSQL, in pages of the primary key's order, and takes its figures. */
export async function pgTableFigures(client: pg.Client, table: TableName): Promise<TableFigures> {
  const columns = await pgColumns(client, table);
  const names = columns.map((c) => quote(c.name)).join(', ');
  const digest = new Digest();
  // A cursor inside the copy's transaction: pages of 5,000 rows, so a table of any size is read in bounded memory.
  const cursorName = `jobdeck_verify_${table}`;
  await client.query(`DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${names} FROM ${table}`);
  try {
    for (;;) {
      const page = await client.query({ text: `FETCH ${BATCH_ROWS} FROM ${cursorName}`, rowMode: 'array' });
      for (const row of page.rows as unknown[][]) digest.add(row);
      if (page.rows.length < BATCH_ROWS) break;
    }
  } finally {
    await client.query(`CLOSE ${cursorName}`);
  }
  return { table, rows: digest.rows, digest: digest.hex() };
}

/** After the rows: every identity continues above the highest id in use and above the id floors. */
async function advanceIdentities(db: Db, client: pg.Client): Promise<void> {
  for (const table of ['jobs', 'runs', 'audit', 'outbox']) {
    const floor = Number(db.prepare(`SELECT value FROM settings WHERE key = ?`).pluck().get(`ids.floor.${table}`) ?? 0) || 0;
    await client.query(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), $1::bigint, 1), (SELECT COUNT(*) > 0 FROM ${table}) OR $1::bigint > 0)`,
      [floor],
    );
  }
}

/**
 * Copies every table inside the caller's transaction and reads each back;
 * throws (the caller rolls back) when any figure differs.
 */
export async function copyStore(db: Db, client: pg.Client, onProgress: (p: CopyProgress) => void = () => {}): Promise<CopyReport> {
  const counter = { nuls: 0 };
  const tables: TableFigures[] = [];
  // One read transaction: the copy is one moment of the SQLite store.
  db.exec('BEGIN');
  try {
    for (const table of COPY_ORDER) tables.push(await copyTable(db, client, table, counter, onProgress));
    await advanceIdentities(db, client);
  } finally {
    db.exec('COMMIT');
  }
  for (const source of tables) {
    const target = await pgTableFigures(client, source.table);
    if (target.rows !== source.rows || target.digest !== source.digest) {
      throw new Error(
        `verification failed for table ${source.table}: ${source.rows} rows read from SQLite, ${target.rows} in PostgreSQL` +
          (target.rows === source.rows ? ' (the same count, but different contents)' : ''),
      );
    }
  }
  return { tables, nulsReplaced: counter.nuls };
}
