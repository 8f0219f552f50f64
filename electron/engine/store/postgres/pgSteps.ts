/**
 * Answers store work (../work.ts) on PostgreSQL: each call is one
 * transaction on a pooled connection, its steps awaited one after another.
 *
 * - A statement is prepared once per connection (named by a hash of its text).
 * - A guarded step runs inside a savepoint, so the intent can catch its
 *   constraint error and go on, as it does on SQLite (where a failed
 *   statement does not end the transaction).
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

  private async answer(client: pg.PoolClient, step: Step): Promise<unknown> {
    const raw = step.op === 'all' && step.raw === true;
    const query = {
      ...(step.sql.dynamic ? {} : { name: this.statementName(step.sql.pg) }),
      text: step.sql.pg,
      values: step.args.map(withoutNul),
      ...(raw ? { rowMode: 'array' as const } : {}),
    };
    let result: pg.QueryResult;
    if (step.guarded) {
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

  private async drive<T>(client: pg.PoolClient, work: Work<T>): Promise<T> {
    let next = work.next();
    while (!next.done) {
      let answer: unknown;
      try {
        answer = await this.answer(client, next.value);
      } catch (err) {
        next = work.throw(err);
        continue;
      }
      next = work.next(answer);
    }
    return next.value;
  }

  /** Performs the work `make` returns in one transaction (made again for each try). */
  async perform<T>(make: () => Work<T>): Promise<T> {
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
        await client.query('BEGIN');
        const value = await this.drive(client, make());
        await client.query('COMMIT');
        return value;
      } catch (err) {
        if (!broken) await client.query('ROLLBACK').catch((e: Error) => (broken = e));
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

/** A store part bound to PostgreSQL: every read and write one transaction. */
export function pgPart<R extends Record<string, (...args: never[]) => Work<unknown>>, W extends Record<string, (...args: never[]) => Work<unknown>>>(
  steps: PgSteps,
  part: StorePart<R, W>,
): Async<R> & Async<W> {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of [...Object.entries(part.reads), ...Object.entries(part.writes)]) {
    out[name] = (...args: never[]) => steps.perform(() => fn(...args));
  }
  return out as Async<R> & Async<W>;
}
