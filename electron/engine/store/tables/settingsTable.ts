/** Small persisted settings (scheduler paused, …), each a JSON value under a key. */
import { get, run, sql, type Work } from '../work';

const GET = sql('SELECT value FROM settings WHERE key = ?');
const SET = sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');

export const settingsTable = {
  *get<T>(key: string, fallback: T): Work<T> {
    const row = yield* get<{ value: string }>(GET, key);
    return row ? (JSON.parse(row.value) as T) : fallback;
  },

  *set(key: string, value: unknown): Work<void> {
    yield* run(SET, key, JSON.stringify(value));
  },
};
