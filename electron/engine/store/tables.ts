/** The statement layer every intent works on, and the transaction they run in. */
import type { Db } from './database';
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { locksTable } from './tables/locksTable';
import { LogsTable } from './tables/logsTable';
import { NotifyTable } from './tables/notifyTable';
import { RunsTable } from './tables/runsTable';
import { settingsTable } from './tables/settingsTable';
import { TasksTable } from './tables/tasksTable';
import { usersTable } from './tables/usersTable';
import { performedOn, type Performed, type SqliteSteps } from './work';

export interface Tables {
  runs: RunsTable;
  logs: LogsTable;
  tasks: TasksTable;
  notify: NotifyTable;
  // Written once for both backends (work.ts), performed here on SQLite.
  jobs: Performed<typeof jobsTable>;
  locks: Performed<typeof locksTable>;
  audit: Performed<typeof auditTable>;
  users: Performed<typeof usersTable>;
  settings: { get<T>(key: string, fallback: T): T; set(key: string, value: unknown): void };
}

/** Runs fn in one write transaction; nested calls join the outer one. */
export type Tx = <T>(fn: () => T) => T;

export function makeTables(db: Db, steps: SqliteSteps): Tables {
  return {
    runs: new RunsTable(db),
    logs: new LogsTable(db),
    tasks: new TasksTable(db),
    notify: new NotifyTable(db),
    jobs: performedOn(steps, jobsTable),
    locks: performedOn(steps, locksTable),
    audit: performedOn(steps, auditTable),
    users: performedOn(steps, usersTable),
    settings: performedOn(steps, settingsTable) as Tables['settings'],
  };
}
