/**
 * The statement layer every intent works on, and the transaction they run
 * in. Each table is written once for both backends (work.ts); `Tables` is
 * the same functions performed synchronously on SQLite, for intents that
 * run inside a SQLite transaction.
 */
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { locksTable } from './tables/locksTable';
import { logsTable } from './tables/logsTable';
import { notifyTable } from './tables/notifyTable';
import { runsTable } from './tables/runsTable';
import { settingsTable } from './tables/settingsTable';
import { tasksTable } from './tables/tasksTable';
import { usersTable } from './tables/usersTable';
import { performedOn, type Performed, type SqliteSteps } from './work';

export interface Tables {
  jobs: Performed<typeof jobsTable>;
  runs: Performed<typeof runsTable>;
  logs: Performed<typeof logsTable>;
  tasks: Performed<typeof tasksTable>;
  notify: Performed<typeof notifyTable>;
  locks: Performed<typeof locksTable>;
  audit: Performed<typeof auditTable>;
  users: Performed<typeof usersTable>;
  settings: { get<T>(key: string, fallback: T): T; set(key: string, value: unknown): void; increment(key: string): void };
}

/** Runs fn in one write transaction; nested calls join the outer one. */
export type Tx = <T>(fn: () => T) => T;

export function makeTables(steps: SqliteSteps): Tables {
  return {
    jobs: performedOn(steps, jobsTable),
    runs: performedOn(steps, runsTable),
    logs: performedOn(steps, logsTable),
    tasks: performedOn(steps, tasksTable),
    notify: performedOn(steps, notifyTable),
    locks: performedOn(steps, locksTable),
    audit: performedOn(steps, auditTable),
    users: performedOn(steps, usersTable),
    settings: performedOn(steps, settingsTable) as Tables['settings'],
  };
}
