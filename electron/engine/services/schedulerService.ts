/** The scheduler's state and controls, and the locks runs hold. */
import type { CallContext } from '../../../shared/contract';
import { iso } from '../../../shared/dates';
import { JobdeckError } from '../../../shared/errors';
import type { LockInfo, SchedulerStatus } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { Dispatcher } from '../runs/dispatcher';
import type { Scheduler } from '../scheduler/scheduler';
import type { EngineStore as Store } from '../store/engineStore';

export interface SchedulerServiceDeps {
  store: Store;
  clock: Clock;
  scheduler: Scheduler | null;
  dispatcher: Dispatcher;
  owner: string;
  startedAt: number;
  isAlive(owner: string): boolean;
  /** Who schedules the folder, when this engine does not. */
  ownerDescription(): string | null;
  /** Scheduler counts or state changed (listeners hear of it, at most a few times a second). */
  changed(): void;
  /** Stops this process so that its service manager starts it again (absent: not supervised). */
  restartProcess?: () => void;
}

export const PAUSED_SETTING = 'scheduler.paused';

export class SchedulerService {
  constructor(private readonly deps: SchedulerServiceDeps) {}

  /** Runs executing here now. */
  get running(): number {
    return this.deps.dispatcher.running;
  }

  async status(): Promise<SchedulerStatus> {
    const { scheduler, dispatcher } = this.deps;
    const upcoming = scheduler ? await scheduler.upcoming(10) : [];
    return {
      active: scheduler !== null,
      paused: scheduler?.paused ?? false,
      running: dispatcher.running,
      queued: dispatcher.queued,
      concurrency: dispatcher.concurrency,
      nextFires: upcoming.map((f) => ({ jobId: f.jobId, jobName: f.name, at: iso(f.at)! })),
      owner: scheduler ? null : this.deps.ownerDescription(),
      supervised: this.deps.restartProcess !== undefined,
      draining: dispatcher.draining,
      startedAt: iso(this.deps.startedAt)!,
    };
  }

  private requireScheduler(): Scheduler {
    if (!this.deps.scheduler) {
      const owner = this.deps.ownerDescription();
      throw new JobdeckError('INVALID_STATE', `this engine does not run the scheduler${owner ? `; it is run by ${owner}` : ''}`);
    }
    return this.deps.scheduler;
  }

  private audit(action: string, ctx: CallContext) {
    return { at: this.deps.clock.now(), actor: ctx.actor, action, targetType: 'scheduler' as const };
  }

  async pause(ctx: CallContext): Promise<SchedulerStatus> {
    const scheduler = this.requireScheduler();
    scheduler.pause();
    await this.deps.store.settings.set(PAUSED_SETTING, true, this.audit('scheduler.pause', ctx));
    this.deps.changed();
    return this.status();
  }

  async resume(ctx: CallContext): Promise<SchedulerStatus> {
    const scheduler = this.requireScheduler();
    await scheduler.resume();
    await this.deps.store.settings.set(PAUSED_SETTING, false, this.audit('scheduler.resume', ctx));
    this.deps.changed();
    return this.status();
  }

  /**
   * Reloads every job and rebuilds the schedule; runs in flight go on. With
   * `process`, the whole process drains and stops after answering, and its
   * service manager starts it again.
   */
  async restart(ctx: CallContext, process = false): Promise<SchedulerStatus> {
    if (process) {
      const restartProcess = this.deps.restartProcess;
      if (!restartProcess) {
        throw new JobdeckError(
          'INVALID_STATE',
          'this engine is not run by a service manager, so nothing would start it again; restart the scheduler alone, or install the service (jobdeck service install)',
          'process',
        );
      }
      await this.deps.store.audit.record(this.audit('scheduler.restart-process', ctx));
      // After the answer has gone out.
      setTimeout(restartProcess, 100);
      return this.status();
    }
    const scheduler = this.requireScheduler();
    await scheduler.restart();
    this.deps.dispatcher.pump();
    await this.deps.store.audit.record(this.audit('scheduler.restart', ctx));
    this.deps.changed();
    return this.status();
  }

  async locks(): Promise<LockInfo[]> {
    return (await this.deps.store.locks.list()).map((l) => ({
      name: l.name,
      runId: l.run_id,
      jobId: l.job_id,
      jobName: l.job_name,
      acquiredAt: new Date(l.acquired_at).toISOString(),
      holderAlive: this.holderAlive(l.run_status, l.owner),
    }));
  }

  private holderAlive(runStatus: string | null, owner: string): boolean {
    return (runStatus === 'IN_PROGRESS' || runStatus === 'QUEUED') && (owner === this.deps.owner || this.deps.isAlive(owner));
  }

  /**
   * Breaks a lock. One whose run is still executing is broken only with
   * `force` (two jobs meant never to overlap then may): the refusal names it.
   */
  async breakLock(name: string, force: boolean, ctx: CallContext): Promise<void> {
    const lock = await this.deps.store.locks.get(name);
    if (lock && !force && this.holderAlive(lock.run_status, lock.owner)) {
      throw new JobdeckError(
        'LOCK_HELD',
        `lock "${name}" is held by run ${lock.run_id} of job "${lock.job_name}", which is still running; breaking it lets another job that uses the lock start beside it. Pass force to break it anyway`,
        'force',
      );
    }
    await this.deps.store.locks.break(name, ctx.actor, this.deps.clock.now(), force ? { forced: true } : {});
    this.deps.dispatcher.pump();
  }
}
