/**
 * The store: one SQLite file in the data folder, reached through small
 * repositories. Multi-row changes go through `tx` (one transaction).
 */
import { openDatabase, type Db, type OpenOptions } from './database';
import { AuditRepo } from './auditRepo';
import { JobsRepo } from './jobsRepo';
import { LocksRepo } from './locksRepo';
import { LogsRepo } from './logsRepo';
import { RunsRepo } from './runsRepo';
import { SettingsRepo } from './settingsRepo';
import { UsersRepo } from './usersRepo';

export class Store {
  readonly jobs: JobsRepo;
  readonly runs: RunsRepo;
  readonly logs: LogsRepo;
  readonly audit: AuditRepo;
  readonly locks: LocksRepo;
  readonly settings: SettingsRepo;
  readonly users: UsersRepo;
  private readonly dataVersion;

  constructor(readonly db: Db) {
    this.jobs = new JobsRepo(db);
    this.runs = new RunsRepo(db);
    this.logs = new LogsRepo(db);
    this.audit = new AuditRepo(db);
    this.locks = new LocksRepo(db);
    this.settings = new SettingsRepo(db);
    this.users = new UsersRepo(db);
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  static open(file: string, options?: OpenOptions): Store {
    return new Store(openDatabase(file, options));
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE: checks and writes see the same state). */
  tx<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    return this.db.transaction(fn).immediate();
  }

  /** Changes when another connection (another process) commits. */
  externalVersion(): number {
    return this.dataVersion.get() as number;
  }

  integrityCheck(): string {
    return this.db.pragma('integrity_check', { simple: true }) as string;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
