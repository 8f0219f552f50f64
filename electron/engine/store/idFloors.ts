/**
 * Ids of deleted jobs and runs are never handed out again. SQLite gives a new
 * row the highest id plus one, so deleting the newest job (or its runs) would
 * let the next one take its id, and the audit log, the delivery log and old
 * links would then name the wrong job or run. Deleting records the highest id
 * seen as a floor in settings; inserts take the larger of the two plus one.
 */
import { run, sql, type Work } from './work';

export type IdTable = 'jobs' | 'runs';

const floorKey = (table: IdTable) => `ids.floor.${table}`;

/** SQL for the id of a new row of `table`: above every id it has had. */
export function nextIdSql(table: IdTable): string {
  return `(SELECT MAX(COALESCE((SELECT MAX(id) FROM ${table}), 0),
    COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = '${floorKey(table)}'), 0)) + 1)`;
}

/**
 * The statements raising each floor to the highest id in use. PostgreSQL's
 * identities never go back, so its floors only record what was given out
 * (a store moved back and forth keeps them).
 */
const RAISE_FLOORS = (['jobs', 'runs'] as const).map((table) =>
  sql(
    `INSERT INTO settings (key, value) VALUES ('${floorKey(table)}', (SELECT COALESCE(MAX(id), 0) FROM ${table}))
      ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`,
    `INSERT INTO settings (key, value) VALUES ('${floorKey(table)}', (SELECT COALESCE(MAX(id), 0) FROM ${table})::text)
      ON CONFLICT(key) DO UPDATE SET value = GREATEST(CAST(settings.value AS bigint), CAST(excluded.value AS bigint))::text`,
  ),
);

/** Raises the floors to the highest ids in use; called in the transaction that deletes rows. */
export function* raiseIdFloors(): Work<void> {
  for (const statement of RAISE_FLOORS) yield* run(statement);
}
