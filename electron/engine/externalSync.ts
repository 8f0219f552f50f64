/**
 * Acting on what other processes sharing the data folder wrote: cancel
 * requests for runs executing here, job edits (reload the schedule), runs
 * they finished (a run waiting for its job or lock may start now), and runs
 * of processes that died (recovery). Polled: SQLite's data_version tells
 * cheaply whether another connection committed anything.
 */
import type { EngineStore as Store } from './store/engineStore';

export interface ExternalSyncDeps {
  store: Store;
  owner: string;
  pollMs: number;
  recoveryEveryMs: number;
  /** A cancel was requested (by another process) for a run of this engine. */
  cancel(runId: number, by: string): Promise<void>;
  /** Job definitions changed elsewhere. */
  jobsChanged(): Promise<void>;
  /** Something changed elsewhere: queued runs may be able to start. */
  pump(): Promise<void>;
  recover(): Promise<void>;
  onError(err: unknown): void;
}

export class ExternalSync {
  private timer: NodeJS.Timeout | null = null;
  private lastVersion: number | null = null;
  private lastJobsVersion: number | null = null;
  private lastRecovery = Date.now();
  private checking: Promise<void> | null = null;

  constructor(private readonly deps: ExternalSyncDeps) {}

  /** Takes the store's versions as they are now, then looks for changes every pollMs. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.lastVersion = this.deps.store.externalVersion();
    this.lastJobsVersion = await this.deps.store.jobs.version();
    this.timer = setInterval(() => {
      // One check at a time: a slow store must not pile them up.
      this.checking ??= this.check().finally(() => {
        this.checking = null;
      });
    }, this.deps.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Looks for what other processes changed (on PostgreSQL, where no commit counter tells, every time). */
  async check(): Promise<void> {
    const { deps } = this;
    try {
      if (Date.now() - this.lastRecovery > deps.recoveryEveryMs) {
        this.lastRecovery = Date.now();
        await deps.recover();
      }
      const version = deps.store.externalVersion();
      if (version !== null && version === this.lastVersion) return;
      this.lastVersion = version;
      for (const { id, cancel_by } of await deps.store.runs.cancelRequested(deps.owner)) await deps.cancel(id, cancel_by);
      const jobsVersion = await deps.store.jobs.version();
      if (jobsVersion !== this.lastJobsVersion) {
        this.lastJobsVersion = jobsVersion;
        await deps.jobsChanged();
      }
      await deps.pump();
    } catch (err) {
      if (deps.store.isOpen) deps.onError(err);
    }
  }
}
