/**
 * Answers store work (../work.ts) on PostgreSQL: each intent is one
 * transaction on a pooled connection, its steps awaited one after another; a
 * read runs its statements on a pooled connection without BEGIN and COMMIT
 * (see perform), and may not write.
 *
 * Every statement is a round trip, which costs the node and the server CPU
 * (a socket write and wake-up each, most of a node's CPU per run), so the
 * driver spends as few as the outcome allows:
 *
 * - A statement is prepared once per connection (named by a hash of its text).
 * - Many rows' write (runRows: a batch of log lines) is one statement per
 *   chunk of rows, its values passed as one array per column.
 * - A guarded step is one whose constraint error the intent catches and goes
 *   on from, as it does on SQLite (where a failed statement does not end the
 *   transaction). On PostgreSQL a failed statement ends the transaction, so
 *   such a step needs a savepoint around it: two more round trips, paid by
 *   every run twice (its fire's insert, its claim) though the step nearly
 *   always succeeds. So the work is first tried without savepoints; if a
 *   guarded step fails, the transaction is rolled back and the work made
 *   again and run with a savepoint around each guarded step, where the
 *   intent catches the error as written. The outcome is the same; only a
 *   failing guarded step costs a second try.
 * - Work that fails because another transaction got there first is run
 *   again from the start: a serialization failure or a deadlock up to 5 times
 *   (after a short random pause), a unique violation the intent did not catch
 *   once (its own checks then see the other transaction's row: a second
 *   `users.add` of one name gets NAME_TAKEN, not a raw constraint error).
 * - A connection whose prepared statements no longer match the tables (a
 *   migration ran meanwhile) or that broke is dropped, and the work is run
 *   again on another.
 * - PostgreSQL's text cannot hold the NUL character, which a script may
 *   print: it is written as U+FFFD (SQLite keeps it).
 * - Statements built for one call (a filter's text, a list's length) are not
 *   kept prepared, so the connections' statement caches stay bounded.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { takeWithin, type Async, type Step, type StorePart, type Work } from '../work';
import { createPool, describePgError } from './pgDatabase';

/** How many times work is tried, by the error that ended the last try. */
const TRIES: Record<string, number> = {
  // serialization_failure, deadlock_detected: another transaction won; try again after a pause.
  '40001': 5,
  '40P01': 5,
  // unique_violation: once more, so the intent's own check sees the other's row.
  '23505': 2,
  // cached plan must not change result type: the tables changed under the connection's prepared statements.
  '0A000': 2,
};
const BROKEN_CONNECTION = new Set(['0A000', '57P01', '57P02', '57P03', '08006', '08003', 'ECONNRESET', 'EPIPE']);

/** Rows of one statement: at most 1,000, and about 4 MB of text (a log line may be 64 KiB). */
const CHUNK_ROWS = 1000;
const CHUNK_BYTES = 4 * 1024 * 1024;

function* rowChunks(rows: readonly (readonly unknown[])[]): Generator<(readonly unknown[])[]> {
  let chunk: (readonly unknown[])[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.reduce<number>((sum, v) => sum + (typeof v === 'string' ? v.length * 3 : 8), 0);
    if (chunk.length > 0 && (chunk.length >= CHUNK_ROWS || bytes + size > CHUNK_BYTES)) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(row);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

/** A guarded step failed outside a savepoint: its transaction is over, so the work is run again with savepoints. */
class GuardedStepFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a guarded step failed outside a savepoint');
  }
}

const withoutNul = (v: unknown): unknown => (typeof v === 'string' && v.includes('\u0000') ? v.replace(/\u0000/g, '\uFFFD') : v);

export class PgSteps {
  private readonly names = new Map<string, string>();
  private savepoints = 0;

  private constructor(
    readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  static create(url: string, options: { max?: number } = {}): PgSteps {
    return new PgSteps(createPool(url, options), url);
  }

  private statementName(text: string): string {
    let name = this.names.get(text);
    if (!name) {
      name = `jd_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.names.set(text, name);
    }
    return name;
  }

  /** Many rows' write: one statement per chunk of rows, its values one array per column. */
  private async answerRows(client: pg.PoolClient, step: Extract<Step, { op: 'runRows' }>): Promise<number> {
    let changed = 0;
    for (const chunk of rowChunks(step.rows)) {
      const columns = step.rows[0]!.map((_, c) => chunk.map((row) => withoutNul(row[c])));
      const result = await client.query({ name: this.statementName(step.sql.pg), text: step.sql.pg, values: columns });
      changed += result.rowCount ?? 0;
    }
    return changed;
  }

  private async answer(client: pg.PoolClient, step: Step, savepoints: boolean): Promise<unknown> {
    if (step.op === 'runRows') return this.answerRows(client, step);
    const raw = step.op === 'all' && step.raw === true;
    const query = {
      ...(step.sql.dynamic ? {} : { name: this.statementName(step.sql.pg) }),
      text: step.sql.pg,
      values: step.args.map(withoutNul),
      ...(raw ? { rowMode: 'array' as const } : {}),
    };
    let result: pg.QueryResult;
    if (step.guarded && !savepoints) {
      try {
        result = await client.query(query);
      } catch (err) {
        // A constraint error (SQLSTATE class 23), the kind an intent catches; anything else (a timeout,
        // a deadlock, a broken connection) takes the usual way, so it is neither paid twice nor left uncounted.
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'string' && /^23[0-9A-Z]{3}$/.test(code)) throw new GuardedStepFailed(err);
        throw err;
      }
    } else if (step.guarded) {
      const savepoint = `jd_guard_${++this.savepoints}`;
      await client.query(`SAVEPOINT ${savepoint}`);
      try {
        result = await client.query(query);
        await client.query(`RELEASE SAVEPOINT ${savepoint}`);
      } catch (err) {
        await client.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
        throw err;
      }
    } else result = await client.query(query);
    switch (step.op) {
      case 'get':
        return result.rows[0];
      case 'all':
        // The LIMIT bounds what was read; the budget bounds what is answered.
        return step.within ? [...takeWithin(result.rows, step.within)] : result.rows;
      case 'run':
        return result.rowCount ?? 0;
    }
  }

  private async drive<T>(client: pg.PoolClient, work: Work<T>, savepoints: boolean): Promise<T> {
    let next = work.next();
    while (!next.done) {
      let answer: unknown;
      try {
        answer = await this.answer(client, next.value, savepoints);
      } catch (err) {
        if (err instanceof GuardedStepFailed) throw err;
        next = work.throw(err);
        continue;
      }
      next = work.next(answer);
    }
    return next.value;
  }

  /**
   * Performs the work `make` returns in one transaction (made again for each
   * try). A read (`transaction: false`) runs its statements without BEGIN and
   * COMMIT: at READ COMMITTED, the level the store uses, each statement sees
   * the latest commits whether or not a transaction holds it, so a read lost
   * nothing by going without, and saves two round trips (a third of a
   * one-statement read's cost). A read whose statements must agree with
   * each other (`'snapshot'`: the dashboard's counts) runs in a read-only
   * REPEATABLE READ transaction, one snapshot for all of them.
   */
  async perform<T>(make: () => Work<T>, { transaction = true }: { transaction?: boolean | 'snapshot' } = {}): Promise<T> {
    let savepoints = false;
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        throw describePgError(this.url, err);
      }
      // While checked out, the pool does not listen for the connection's errors: an unheard one would end the process.
      let broken: Error | undefined;
      const onError = (err: Error) => (broken = err);
      client.on('error', onError);
      try {
        if (!transaction) return await this.drive(client, readOnly(make()), false);
        await client.query(transaction === 'snapshot' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
        const value = await this.drive(client, transaction === 'snapshot' ? readOnly(make()) : make(), savepoints);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        if (!broken && transaction) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        if (err instanceof GuardedStepFailed && !savepoints) {
          // Not a try of its own: the same work again, now able to catch the step's error.
          savepoints = true;
          attempt--;
          continue;
        }
        const code = String((err as { code?: string }).code ?? '');
        if (BROKEN_CONNECTION.has(code)) broken ??= err as Error;
        if (attempt < (TRIES[code] ?? 1)) {
          if (code === '40001' || code === '40P01') await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
          continue;
        }
        throw describePgError(this.url, err);
      } finally {
        client.off('error', onError);
        // A broken connection, or one whose prepared statements went stale, is dropped, not reused.
        client.release(broken);
      }
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

/** Statements a read may run: a SELECT that takes no row locks. */
const READ_ONLY = /^\s*SELECT\b(?![\s\S]*\bFOR\s+(UPDATE|SHARE|NO\s+KEY\s+UPDATE|KEY\s+SHARE)\b)/i;
const readOnlyTexts = new Set<string>();

/** Work that may only read: a write, a lock or a guarded step, which need a transaction around them, is refused. */
function* readOnly<T>(work: Work<T>): Work<T> {
  let next = work.next();
  while (!next.done) {
    const step = next.value;
    const text = step.sql.pg;
    const reads = step.op !== 'runRows' && step.op !== 'run' && !step.guarded && (readOnlyTexts.has(text) || READ_ONLY.test(text));
    if (!reads) throw new Error(`a read tried to write or lock (${text.slice(0, 60)}): make it an intent`);
    if (!step.sql.dynamic && readOnlyTexts.size < 1000) readOnlyTexts.add(text);
    let answer: unknown;
    try {
      answer = yield step;
    } catch (err) {
      next = work.throw(err);
      continue;
    }
    next = work.next(answer);
  }
  return next.value;
}

/** A store part bound to PostgreSQL: every write one transaction, every read without one (see PgSteps.perform). */
export function pgPart<R extends Record<string, (...args: never[]) => Work<unknown>>, W extends Record<string, (...args: never[]) => Work<unknown>>>(
  steps: PgSteps,
  part: StorePart<R, W>,
): Async<R> & Async<W> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(part.reads)) out[name] = (...args: never[]) => steps.perform(() => fn(...args), { transaction: false });
  for (const [name, fn] of Object.entries(part.writes)) out[name] = (...args: never[]) => steps.perform(() => fn(...args));
  return out as Async<R> & Async<W>;
}
