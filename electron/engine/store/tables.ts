/** The statement layer every intent works on, and the transaction they run in. */
import type { Db } from './database';
import { AuditTable } from './tables/auditTable';
import { JobsTable } from './tables/jobsTable';
import { LocksTable } from './tables/locksTable';
import { LogsTable } from './tables/logsTable';
import { NotifyTable } from './tables/notifyTable';
import { RunsTable } from './tables/runsTable';
import { SettingsTable } from './tables/settingsTable';
import { TasksTable } from './tables/tasksTable';
import { UsersTable } from './tables/usersTable';

export interface Tables {
  jobs: JobsTable;
  runs: RunsTable;
  logs: LogsTable;
  locks: LocksTable;
  audit: AuditTable;
  users: UsersTable;
  settings: SettingsTable;
  tasks: TasksTable;
  notify: NotifyTable;
}

/** Runs fn in one write transaction; nested calls join the outer one. */
export type Tx = <T>(fn: () => T) => T;

export function makeTables(db: Db): Tables {
  return {
    jobs: new JobsTable(db),
    runs: new RunsTable(db),
    logs: new LogsTable(db),
    locks: new LocksTable(db),
    audit: new AuditTable(db),
    users: new UsersTable(db),
    settings: new SettingsTable(db),
    tasks: new TasksTable(db),
    notify: new NotifyTable(db),
  };
}
