/**
 * The store: one SQLite file in the data folder. Its public surface is
 * intent-level: reads, and intents such as "queue a run", "claim runs",
 * "commit a batch of log lines and run changes", each one transaction. The
 * SQL statements behind them (tables/) are not reached from outside. Shaped
 * so that an asynchronous implementation (PostgreSQL) changes signatures,
 * not the logic of its callers.
 */
import { jobDeletionPart, type JobDeletion } from './jobDeletion';
import { dashboardPart, type DashboardStore } from './dashboardStore';
import { notifyPart, type NotifyStore } from './notifyStore';
import { openDatabase, openMemoryDatabase, type Db, type OpenOptions } from './database';
import { jobsPart, type JobsStore } from './jobsStore';
import { runsPart, type RunsStore } from './runsStore';
import { tasksPart, type TasksStore } from './tasksStore';
import { usersPart, type UsersStore } from './usersStore';
import { auditPart, locksPart, settingsPart, type AuditStore, type LocksStore, type SettingsStore } from './controlStore';
import { logsPart, type LogsStore } from './logsStore';
import { nodesPart, type NodesStore } from './nodesStore';
import { SqliteSteps, sqlitePart, type Tx } from './work';

export class Store {
  readonly jobs: JobsStore;
  readonly runs: RunsStore;
  readonly tasks: TasksStore;
  readonly logs: LogsStore;
  readonly users: UsersStore;
  readonly locks: LocksStore;
  readonly audit: AuditStore;
  readonly settings: SettingsStore;
  readonly notify: NotifyStore;
  readonly dashboard: DashboardStore;
  readonly nodes: NodesStore;
  readonly jobDeletion: JobDeletion;
  private readonly dataVersion;

  /** `db` is exposed for tests and the bench only (they inspect and doctor rows). */
  constructor(readonly db: Db) {
    const steps = new SqliteSteps(db);
    const tx: Tx = (fn) => (db.inTransaction ? fn() : db.transaction(fn).immediate());
    this.jobs = sqlitePart(steps, tx, jobsPart);
    // Nothing to store opens no transaction (one would wait for another process's write lock).
    const setNextFires = this.jobs.setNextFires;
    this.jobs.setNextFires = (next) => {
      if (next.length > 0) setNextFires(next);
    };
    this.runs = sqlitePart(steps, tx, runsPart);
    this.tasks = sqlitePart(steps, tx, tasksPart);
    this.logs = sqlitePart(steps, tx, logsPart);
    this.users = sqlitePart(steps, tx, usersPart);
    this.locks = sqlitePart(steps, tx, locksPart);
    this.audit = sqlitePart(steps, tx, auditPart);
    this.settings = sqlitePart(steps, tx, settingsPart) as SettingsStore;
    this.notify = sqlitePart(steps, tx, notifyPart);
    this.nodes = sqlitePart(steps, tx, nodesPart);
    // A deferred transaction: one snapshot for every query, without taking the write lock.
    const readDashboard = db.transaction((now: number) => steps.perform(dashboardPart.reads.dashboard(now)));
    this.dashboard = { dashboard: (now) => readDashboard.deferred(now) };
    this.jobDeletion = sqlitePart(steps, tx, jobDeletionPart);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  static open(file: string, options?: OpenOptions): Store {
    return new Store(openDatabase(file, options));
  }

  /** A store in this process's memory (see openMemoryDatabase), gone when closed. */
  static openInMemory(template: Buffer | null, options?: OpenOptions): Store {
    return new Store(openMemoryDatabase(template, options));
  }

  /** Changes when another connection (another process) commits. */
  externalVersion(): number {
    return this.dataVersion.get() as number;
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
