/**
 * Acting on what other processes sharing the data folder wrote: cancel
 * requests for runs executing here, job edits (reload the schedule), runs
 * they finished (a run waiting for its job or lock may start now), and runs
 * of processes that died (recovery). Polled: SQLite's data_version tells
 * cheaply whether another connection committed anything.
 */
import type { Store } from './store/store';

export interface ExternalSyncDeps {
  store: Store;
  owner: string;
  pollMs: number;
  recoveryEveryMs: number;
  /** A cancel was requested (by another process) for a run of this engine. */
  cancel(runId: number, by: string): void;
  /** Job definitions changed elsewhere. */
  jobsChanged(): void;
  /** Something changed elsewhere: queued runs may be able to start. */
  pump(): void;
  recover(): void;
  onError(err: unknown): void;
}

export class ExternalSync {
  private timer: NodeJS.Timeout | null = null;
  private lastVersion: number;
  private lastJobsVersion: number;
  private lastRecovery = Date.now();

  constructor(private readonly deps: ExternalSyncDeps) {
    this.lastVersion = deps.store.externalVersion();
    this.lastJobsVersion = deps.store.jobs.version();
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), this.deps.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  check(): void {
    const { deps } = this;
    try {
      if (Date.now() - this.lastRecovery > deps.recoveryEveryMs) {
        this.lastRecovery = Date.now();
        deps.recover();
      }
      const version = deps.store.externalVersion();
      if (version === this.lastVersion) return;
      this.lastVersion = version;
      for (const { id, cancel_by } of deps.store.runs.cancelRequested(deps.owner)) deps.cancel(id, cancel_by);
      const jobsVersion = deps.store.jobs.version();
      if (jobsVersion !== this.lastJobsVersion) {
        this.lastJobsVersion = jobsVersion;
        deps.jobsChanged();
      }
      deps.pump();
    } catch (err) {
      deps.onError(err);
    }
  }
}
