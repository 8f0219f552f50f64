/** Small persisted settings (scheduler paused, …), each a JSON value under a key. */
import { get, run, sql, type Work } from '../work';

const GET = sql('SELECT value FROM settings WHERE key = ?');
const SET = sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
// One statement, so two writers never lose an increment (a read, then a write, would under PostgreSQL's read committed).
const INCREMENT = sql(
  "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)",
  "INSERT INTO settings (key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(settings.value AS bigint) + 1 AS text)",
);

const INSERT_ABSENT = sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING');
const REPLACE_IF = sql('UPDATE settings SET value = ? WHERE key = ? AND value = ?');

export const settingsTable = {
  *get<T>(key: string, fallback: T): Work<T> {
    const row = yield* get<{ value: string }>(GET, key);
    return row ? (JSON.parse(row.value) as T) : fallback;
  },

  *set(key: string, value: unknown): Work<void> {
    yield* run(SET, key, JSON.stringify(value));
  },

  /** Replaces a setting only if it still holds `expected` (one statement: of two callers, one wins); true if it did. */
  *replaceIf(key: string, expected: unknown, value: unknown): Work<boolean> {
    return (yield* run(REPLACE_IF, JSON.stringify(value), key, JSON.stringify(expected))) === 1;
  },

  /** The setting's value, set to `value` first if it has none (of two callers, both get the first one's). */
  *claim<T>(key: string, value: T): Work<T> {
    yield* run(INSERT_ABSENT, key, JSON.stringify(value));
    return yield* settingsTable.get(key, value);
  },

  /** Adds one to a counter setting (a missing one becomes 1). */
  *increment(key: string): Work<void> {
    yield* run(INCREMENT, key);
  },
};
