/**
 * The store as the engine sees it: one asynchronous, intent-level interface
 * with two implementations. SQLite (store.ts) performs each call at once,
 * synchronously inside the method and never holding a transaction across an
 * await; PostgreSQL (postgres/pgStore.ts) performs it as one transaction on
 * a pooled connection. The engine, its services and its hosts are written
 * against this interface only, so there is one engine for both.
 */
import type { AsyncSettingsStore, AuditStore, LocksStore } from './controlStore';
import type { DashboardStore } from './dashboardStore';
import type { JobDeletion } from './jobDeletion';
import type { JobsStore } from './jobsStore';
import type { LogsStore } from './logsStore';
import type { NodesStore } from './nodesStore';
import type { NotifyStore } from './notifyStore';
import type { RunsStore } from './runsStore';
import type { Store } from './store';
import type { TasksStore } from './tasksStore';
import type { UsersStore } from './usersStore';
import { promised, type Promised } from './work';

export type StoreBackend = 'sqlite' | 'postgres';

export interface EngineStore {
  readonly backend: StoreBackend;
  readonly jobs: Promised<JobsStore>;
  readonly runs: Promised<RunsStore>;
  readonly tasks: Promised<TasksStore>;
  readonly logs: Promised<LogsStore>;
  readonly users: Promised<UsersStore>;
  readonly locks: Promised<LocksStore>;
  readonly audit: Promised<AuditStore>;
  readonly settings: AsyncSettingsStore;
  readonly notify: Promised<NotifyStore>;
  readonly dashboard: Promised<DashboardStore>;
  readonly nodes: Promised<NodesStore>;
  readonly jobDeletion: Promised<JobDeletion>;
  /**
   * A number that changes when another process commits (SQLite's
   * data_version), or null where that cannot be told cheaply (PostgreSQL:
   * nodes look for changes on every poll instead).
   */
  externalVersion(): number | null;
  readonly isOpen: boolean;
}

/** The SQLite store seen through the interface both backends share. */
export function sqliteEngineStore(store: Store): EngineStore {
  return {
    backend: 'sqlite',
    jobs: promised(store.jobs),
    runs: promised(store.runs),
    tasks: promised(store.tasks),
    logs: promised(store.logs),
    users: promised(store.users),
    locks: promised(store.locks),
    audit: promised(store.audit),
    settings: promised(store.settings) as AsyncSettingsStore,
    notify: promised(store.notify),
    dashboard: promised(store.dashboard),
    nodes: promised(store.nodes),
    jobDeletion: promised(store.jobDeletion),
    externalVersion: () => store.externalVersion(),
    get isOpen() {
      return store.isOpen;
    },
  };
}
