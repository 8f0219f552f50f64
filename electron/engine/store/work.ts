/**
 * Store work written once for both backends. A statement function or an
 * intent is a generator that yields the database steps it needs (a query in
 * both dialects and its arguments) and gets each step's answer back:
 *
 *   function* addUser(name: string): Work<void> {
 *     if (yield* get(USER_BY_NAME, name)) throw …;
 *     yield* run(INSERT_USER, name);
 *   }
 *
 * A driver answers the steps. The SQLite driver (here) answers each one at
 * once with better-sqlite3, so an intent runs synchronously inside one
 * transaction, as the store always did; the PostgreSQL driver
 * (postgres/pgSteps.ts) awaits each one on a connection, an intent's inside
 * BEGIN and COMMIT. The logic between the steps (rules, checks, row shapes) exists
 * once. An error a step raises is thrown into the generator at that step, so
 * intents catch a unique violation where it happened, on either backend.
 */
import type Database from 'better-sqlite3';
import type { Db } from './database';

/** One statement in both dialects. PostgreSQL's text is given with `?` too (numbered `$1`, `$2`, … here), or is SQLite's. */
export interface Sql {
  readonly sqlite: string;
  readonly pg: string;
  /** Built for one call (from a filter or a list's length): PostgreSQL does not keep it prepared. */
  readonly dynamic?: boolean;
}

/**
 * A statement. Write it in the SQL both share where possible (quote "user",
 * use ON CONFLICT, RETURNING); give PostgreSQL's own text where they differ
 * (SQLite's NOCASE, MAX(a, b), json_each).
 */
export function sql(sqlite: string, pg?: string): Sql {
  return new Statement(sqlite, pg, false);
}

/** A statement built for one call (its text varies with a filter or a list's length), so never kept prepared. */
export function dynamicSql(sqlite: string, pg?: string): Sql {
  return new Statement(sqlite, pg, true);
}

/**
 * PostgreSQL's text is numbered when first asked for: the hundreds of
 * statements made as the store's modules load cost a SQLite process nothing
 * (numbering all of them took 5 ms of every `jobdeck` start).
 */
class Statement implements Sql {
  #pg: string | undefined;
  readonly dynamic?: boolean;

  constructor(
    readonly sqlite: string,
    private readonly pgText: string | undefined,
    dynamic: boolean,
  ) {
    if (dynamic) this.dynamic = true;
  }

  get pg(): string {
    return (this.#pg ??= numberPlaceholders(this.pgText ?? this.sqlite));
  }
}

/** `?` -> `$1`, `$2`, … outside quoted text. */
export function numberPlaceholders(text: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') out += `$${++n}`;
    else out += ch;
  }
  return out;
}

/**
 * One database step. `guarded`: the intent catches this step's constraint
 * errors and goes on (PostgreSQL runs it inside a savepoint, since an error
 * there would end the whole transaction; SQLite needs nothing).
 */
export type Step =
  /** The first row, or undefined. */
  | { op: 'get'; sql: Sql; args: readonly unknown[]; guarded?: boolean }
  /**
   * Every row (`raw`: each as an array of its columns, in their order).
   * `within`: rows only while the sizes `within.size` gives add up to at most
   * `within.maxBytes` (always the first row): a page of long rows stops early
   * instead of being read whole.
   */
  | { op: 'all'; sql: Sql; args: readonly unknown[]; raw?: boolean; within?: Budget; guarded?: boolean }
  /** A write; answers the number of rows it changed. */
  | { op: 'run'; sql: Sql; args: readonly unknown[]; guarded?: boolean }
  /**
   * One write for many rows; answers the number of rows changed. `sql.sqlite`
   * takes one row's values (run once per row); `sql.pg` takes one array per
   * column (`unnest(?::bigint[], …)`), so a batch costs PostgreSQL one
   * statement instead of one round trip per row.
   */
  | { op: 'runRows'; sql: Sql; rows: readonly (readonly unknown[])[]; guarded?: undefined };

export interface Budget {
  maxBytes: number;
  size(row: never): number;
}

/** Keeps rows while their sizes add up to at most the budget (always the first). */
export function* takeWithin<R>(rows: Iterable<R>, within: Budget): Generator<R> {
  let bytes = 0;
  let first = true;
  for (const row of rows) {
    bytes += within.size(row as never);
    if (bytes > within.maxBytes && !first) return;
    first = false;
    yield row;
  }
}

/** Work on the store that returns T. */
export type Work<T> = Generator<Step, T, unknown>;

export function* get<R>(statement: Sql, ...args: unknown[]): Work<R | undefined> {
  return (yield { op: 'get', sql: statement, args }) as R | undefined;
}

export function* all<R>(statement: Sql, ...args: unknown[]): Work<R[]> {
  return (yield { op: 'all', sql: statement, args }) as R[];
}

/** Rows while their sizes add up to at most `maxBytes` (always the first). */
export function* allWithin<R>(statement: Sql, maxBytes: number, size: (row: R) => number, ...args: unknown[]): Work<R[]> {
  return (yield { op: 'all', sql: statement, args, within: { maxBytes, size: size as Budget['size'] } }) as R[];
}

/** Every row as an array of its columns (cheap for long lists). */
export function* allRaw<R extends unknown[]>(statement: Sql, ...args: unknown[]): Work<R[]> {
  return (yield { op: 'all', sql: statement, args, raw: true }) as R[];
}

/** A write; returns how many rows it changed. */
export function* run(statement: Sql, ...args: unknown[]): Work<number> {
  return (yield { op: 'run', sql: statement, args }) as number;
}

/** One write of many rows (see Step's runRows); returns how many rows it changed. */
export function* runRows(statement: Sql, rows: readonly (readonly unknown[])[]): Work<number> {
  if (rows.length === 0) return 0;
  return (yield { op: 'runRows', sql: statement, rows }) as number;
}

/** A write whose constraint errors the intent catches (see Step). */
export function* guardedRun(statement: Sql, ...args: unknown[]): Work<number> {
  return (yield { op: 'run', sql: statement, args, guarded: true }) as number;
}

/** A write returning a row (RETURNING), whose constraint errors the intent catches (see Step). */
export function* guardedGet<R>(statement: Sql, ...args: unknown[]): Work<R | undefined> {
  return (yield { op: 'get', sql: statement, args, guarded: true }) as R | undefined;
}

/** A value a statement counted (COUNT(*) AS n) or one column of the first row. */
export function* value<R>(statement: Sql, column: string, ...args: unknown[]): Work<R | undefined> {
  const row = yield* get<Record<string, unknown>>(statement, ...args);
  return row?.[column] as R | undefined;
}

/** A unique or primary-key violation, from either backend. */
export const isUniqueViolation = (err: unknown): boolean => {
  const code = (err as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
};

/** Answers steps with better-sqlite3, synchronously, caching each statement by its text. */
export class SqliteSteps {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(readonly db: Db) {}

  private statement(text: string, raw: boolean): Database.Statement {
    // A statement answers in one mode: raw ones are cached apart.
    const key = raw ? `raw:${text}` : text;
    let stmt = this.cache.get(key);
    if (!stmt) {
      stmt = this.db.prepare(text);
      if (raw) stmt.raw(true);
      // Statements built from filters vary: keep the cache bounded.
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(key, stmt);
    }
    return stmt;
  }

  answer(step: Step): unknown {
    const stmt = this.statement(step.sql.sqlite, step.op === 'all' && step.raw === true);
    switch (step.op) {
      case 'runRows': {
        let changes = 0;
        for (const row of step.rows) changes += stmt.run(...row).changes;
        return changes;
      }
      case 'get':
        return stmt.get(...step.args);
      case 'all':
        // Iterated, so reading stops where the budget ends.
        return step.within ? [...takeWithin(stmt.iterate(...step.args), step.within)] : stmt.all(...step.args);
      case 'run':
        return stmt.run(...step.args).changes;
    }
  }

  /** Runs work to its end, synchronously (the caller holds the transaction, if any). */
  perform<T>(work: Work<T>): T {
    let next = work.next();
    while (!next.done) {
      let answer: unknown;
      try {
        answer = this.answer(next.value);
      } catch (err) {
        next = work.throw(err);
        continue;
      }
      next = work.next(answer);
    }
    return next.value;
  }
}

/** Runs fn in one SQLite write transaction; nested calls join the outer one. */
export type Tx = <T>(fn: () => T) => T;

/** The synchronous form of an object of work functions: each call performed at once on SQLite. */
export type Performed<F> = {
  [K in keyof F]: F[K] extends (...args: infer A) => Work<infer R> ? (...args: A) => R : never;
};

/** The asynchronous form: each call performed on a backend that answers later (PostgreSQL). */
export type Async<F> = {
  [K in keyof F]: F[K] extends (...args: infer A) => Work<infer R> ? (...args: A) => Promise<R> : never;
};

type WorkFunctions = Record<string, (...args: never[]) => Work<unknown>>;

/**
 * A part of the store as its callers see it: reads and intents. Each write
 * is one transaction; a read runs without one on both backends (each of its
 * statements sees the last commit; the dashboard, whose counts must agree,
 * reads one snapshot) and writes nothing.
 */
export interface StorePart<R extends WorkFunctions, W extends WorkFunctions> {
  reads: R;
  writes: W;
}

/** Binds work functions to SQLite (also for callers inside another intent's transaction). */
export function performedOn<F extends WorkFunctions>(steps: SqliteSteps, functions: F, inTransaction?: <T>(fn: () => T) => T): Performed<F> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(functions)) {
    out[name] = inTransaction ? (...args: never[]) => inTransaction(() => steps.perform(fn(...args))) : (...args: never[]) => steps.perform(fn(...args));
  }
  return out as Performed<F>;
}

/** A store part bound to SQLite: reads performed at once, writes each in a transaction. */
export function sqlitePart<R extends WorkFunctions, W extends WorkFunctions>(
  steps: SqliteSteps,
  tx: <T>(fn: () => T) => T,
  part: StorePart<R, W>,
): Performed<R> & Performed<W> {
  return { ...performedOn(steps, part.reads), ...performedOn(steps, part.writes, tx) };
}

/** The asynchronous view of synchronous functions (a SQLite part seen through the interface both backends share). */
export type Promised<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

export function promised<T extends object>(sync: T): Promised<T> {
  const out: Record<string, unknown> = {};
  const target = sync as Record<string, (...a: unknown[]) => unknown>;
  for (const [name, fn] of Object.entries(sync)) {
    // Looked up at each call: a function replaced on the synchronous part (a test's spy) is the one called.
    if (typeof fn === 'function') out[name] = async (...args: unknown[]) => target[name]!(...args);
  }
  return out as Promised<T>;
}
