/**
 * Builds the engine's parts and connects them, in one place: event bus,
 * writer, run state machine, dispatcher, process port, runner, scheduler,
 * janitor, services and contract handlers. Each part gets the narrow
 * callbacks it needs; none of them knows the Engine class.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Handlers } from '../../shared/contract';
import { toJobSummary } from './store/rows';
import { EventBus } from './eventBus';
import { coalesced } from './coalesce';
import { createHandlers } from './handlers';
import { Janitor } from './janitor';
import { FolderSweep } from './folderSweep';
import { NotificationSender } from './notify/sender';
import { JobSummaries } from './jobSummaries';
import type { EngineConfig } from './options';
import { toLogLine, toRun } from './store/rows';
import { Dispatcher } from './runs/dispatcher';
import { recoverDeadOwners } from './runs/recovery';
import { RunStateMachine } from './runs/stateMachine';
import { LauncherPool } from './runner/launcherPool';
import { GuardedInlinePort } from './runner/guardedPort';
import { InlinePort, type ProcessPort } from './runner/processPort';
import { Runner } from './runner/runner';
import { WorkflowRunner } from './workflows/workflowRunner';
import { Scheduler } from './scheduler/scheduler';
import { JobsService } from './services/jobsService';
import { RunsService } from './services/runsService';
import { PAUSED_SETTING, SchedulerService } from './services/schedulerService';
import { TaskRunsService } from './services/taskRunsService';
import { NotifyService } from './services/notifyService';
import { UsersService } from './services/usersService';
import type { EngineStore as Store } from './store/engineStore';
import { describeStoreFailure } from './store/database';
import { dbFile } from './paths';
import { Writer } from './writer';
import { ExternalSync } from './externalSync';
import { NodeKeeper } from './nodeKeeper';
import { NodesService } from './services/nodesService';
import { NodeFiles } from './nodeFiles';
import { ClusterRelay, type EventChannel } from './clusterRelay';
import { JobShares } from './scheduler/jobShares';
import { backupTiming } from './scheduler/backupFires';
import { LAUNCHER_DEFAULTS } from './runner/launcherStart';
import { VERSION } from './version';

/** Lines and bytes of one page of a log replayed to a subscriber. */
const REPLAY_LINES = 5000;
const REPLAY_BYTES = 1024 * 1024;
/** Scheduler status events at most this often (ms). */
const STATUS_EVERY_MS = 250;

export interface WiringContext {
  config: EngineConfig;
  store: Store;
  /** This engine instance's id (the owner of its runs). */
  owner: string;
  /** True when this engine holds the folder's scheduler lock. */
  schedules: boolean;
  startedAt: number;
  helperPath: string | undefined;
  isAlive(owner: string): boolean;
  forgetOwner(owner: string): void;
  ownerDescription(): string | null;
  isClosing(): boolean;
  /** The shared database's event channel (PostgreSQL): live events of every node's runs. */
  events?: EventChannel;
}

export interface Parts {
  bus: EventBus;
  writer: Writer;
  machine: RunStateMachine;
  dispatcher: Dispatcher;
  port: ProcessPort;
  runner: Runner;
  scheduler: Scheduler | null;
  janitor: Janitor;
  folderSweep: FolderSweep | null;
  sender: NotificationSender;
  summaries: JobSummaries;
  external: ExternalSync;
  services: { jobs: JobsService; runs: RunsService; tasks: TaskRunsService; notify: NotifyService; scheduler: SchedulerService; users: UsersService; nodes: NodesService };
  /** This engine as a node of its store (null: it does not schedule). */
  keeper: NodeKeeper | null;
  /** Live events across nodes (null: one process uses the store). */
  relay: ClusterRelay | null;
  handlers: Handlers;
  recover(): Promise<void>;
  /** Queues the jobs whose dependencies have all finished (also those finished while this engine was not running). */
  checkDependents(): Promise<void>;
  /** Scheduled fires refused because the job was still running or queued. */
  skippedFires(): number;
  stopStatusEvents(): void;
}

export function wire(ctx: WiringContext): Parts {
  const { config, store, owner } = ctx;
  const explain = (err: unknown) => describeStoreFailure(dbFile(config.dataDir), err);
  const onError = (err: unknown) => config.onError(explain(err));

  const bus = new EventBus({
    logs: async (runId, afterSeq) => {
      // A page that returned anything may have a next one; an empty page ends the replay.
      const rows = await store.logs.page(runId, afterSeq, REPLAY_LINES, REPLAY_BYTES);
      return { lines: rows.map(toLogLine), more: rows.length > 0 };
    },
    run: async (runId) => {
      const row = await store.runs.get(runId);
      return row ? toRun(row) : undefined;
    },
  });

  // Jobs waiting for others are queued by the engine that schedules the folder (not while paused).
  const checkDependents = coalesced(async (): Promise<void> => {
    try {
      if (!ctx.schedules || ctx.isClosing()) return;
      // Asked after every run end: most stores have no dependent job, so that is asked first (one statement, not two).
      if (!(await store.jobs.hasDependents()) || (await store.settings.get(PAUSED_SETTING, false))) return;
      await machine.queueDependents();
    } catch (err) {
      if (!ctx.isClosing()) onError(err);
    }
  });

  let statusTimer: NodeJS.Timeout | null = null;
  const statusChanged = (): void => {
    if (statusTimer || !bus.hasGeneralListeners) return;
    statusTimer = setTimeout(() => {
      statusTimer = null;
      if (!ctx.isClosing())
        services.scheduler.status().then(
          (status) => bus.publish({ type: 'scheduler', status }),
          (err: unknown) => {
            if (!ctx.isClosing()) onError(err);
          },
        );
    }, STATUS_EVERY_MS);
  };

  const relay = ctx.events ? new ClusterRelay({ channel: ctx.events, bus, store, owner, logger: config.logger, onError }) : null;
  const writer = new Writer(store, bus, {
    flushMs: config.flushMs,
    maxBatch: config.maxBatch,
    onError,
    together: (fn) => dispatcher.batch(fn),
    committedLines: relay ? (runIds) => {
      for (const id of runIds) relay.changed(id);
    } : undefined,
  });
  const janitor = new Janitor(store, config.dataDir, config.retentionRecheckMs, onError);
  // Only nodes of a shared database find folders of runs deleted elsewhere (on one folder, the janitor removes them all).
  const folderSweep =
    ctx.schedules && store.backend === 'postgres'
      ? new FolderSweep({ store, dataDir: config.dataDir, everyMs: config.folderSweepMs, firstMs: Math.min(config.folderSweepMs, 30_000), logger: config.logger, onError })
      : null;
  const sender = new NotificationSender({
    store,
    clock: config.clock,
    owner,
    dataDir: config.dataDir,
    retryMs: config.notifyRetryMs,
    pollMs: config.notifyPollMs,
    env: config.env,
    desktop: config.desktopNotifier,
    smtpTimeoutMs: config.notifySmtpTimeoutMs,
    onError,
  });
  const summaries = new JobSummaries(store);

  // The state machine, dispatcher and runner call each other; the closures below reach them once built.
  const machine = new RunStateMachine({
    store,
    writer,
    bus,
    clock: config.clock,
    owner,
    onQueued: (rows) => {
      dispatcher.enqueue(rows.map((row) => ({ runId: row.id, jobId: row.job_id, notBefore: row.not_before ?? 0 })));
      statusChanged();
    },
    onFreed: () => {
      dispatcher.pump();
      statusChanged();
    },
    onEnded: (run) => {
      janitor.check(run.jobId);
      void checkDependents();
      sender.wake();
    },
    announce: relay ? (runId) => relay.changed(runId) : undefined,
    onError,
  });
  const dispatcher: Dispatcher = new Dispatcher({
    machine,
    clock: config.clock,
    concurrency: config.concurrency,
    start: (run, job) => runner.start(run, job),
    onError,
  });
  const hostOptions = { closeGraceMs: config.closeGraceMs, leftoverGraceMs: config.leftoverGraceMs, warmMax: config.warmMax, warmWindowMs: config.warmWindowMs };
  const onProblem = (m: string) => config.logger.warn(m);
  const spawner = config.spawner === 'guarded' && process.platform === 'win32' ? 'launcher' : config.spawner;
  const port: ProcessPort =
    spawner === 'inline'
      ? new InlinePort(hostOptions)
      : spawner === 'guarded'
        ? new GuardedInlinePort({ ...hostOptions, onProblem })
        : // Launchers make run folders ahead of time between bursts (spareFolders.ts); a one-run CLI engine does not.
          new LauncherPool(config.launchers, { ...hostOptions, spareFolders: LAUNCHER_DEFAULTS.spareFolders, launcherPath: config.launcherPath, onProblem });
  const workflows = new WorkflowRunner({
    machine,
    writer,
    bus,
    port,
    store,
    clock: config.clock,
    config,
    owner,
    helperPath: ctx.helperPath,
    announce: relay ? (runId) => relay.changed(runId) : undefined,
  });
  const runner: Runner = new Runner({
    machine,
    writer,
    port,
    clock: config.clock,
    config,
    owner,
    helperPath: ctx.helperPath,
    batch: (fn) => dispatcher.batch(fn),
    workflows,
  });

  let skipped = 0;
  // On a shared database, each job's fires are first recorded by one node (its runs then stay there).
  const shares = ctx.schedules && store.backend === 'postgres' ? new JobShares(owner) : null;
  const { backupDelayMs, ownerReadsRefusalsAfterMs } = backupTiming(config.nodeLeaseMs);
  // An owner late enough to have been overtaken by another node's check reads the refusals too.
  const ownFires = { shared: shares !== null, checkedAfterMs: ownerReadsRefusalsAfterMs };
  const scheduler = ctx.schedules
    ? new Scheduler({
        clock: config.clock,
        load: async (from) => ({ upcoming: await store.jobs.nextFiresFrom(from), rows: await store.jobs.schedulableToCompute(from) }),
        loadOne: (id) => store.jobs.schedulableOne(id),
        fire: async (fires, next, missed = []) => {
          if (fires.length > 0 || missed.length > 0) skipped += (await machine.recordFires(fires, next, missed, ownFires)).refused;
          else if (next.length > 0) await store.jobs.setNextFires(next);
        },
        shared: shares
          ? {
              owns: (jobId) => shares.owns(jobId),
              // Another node's job: fired here only if still unrecorded a heartbeat after it was due (its owner died or lags).
              fireBackups: async (fires) => {
                const missing = await store.runs.unrecordedFires(fires);
                if (missing.length > 0) skipped += (await machine.recordFires(missing, [], [], { shared: true })).refused;
              },
              backupDelayMs,
            }
          : undefined,
        onError,
      })
    : null;

  const recover = async (): Promise<void> => {
    await recoverDeadOwners({ store, machine, me: owner, isAlive: ctx.isAlive, forget: ctx.forgetOwner, retry: ctx.schedules });
  };

  const nodeFiles = new NodeFiles({ store, clock: config.clock, owner, idleMs: config.peerIdleMs });
  const runs = new RunsService({
    store,
    clock: config.clock,
    config,
    machine,
    dispatcher,
    runner,
    owner,
    isAlive: ctx.isAlive,
    recover,
    isClosing: ctx.isClosing,
    nodeFiles,
  });
  const jobs = new JobsService({
    store,
    clock: config.clock,
    summaries,
    changed: async (jobId) => {
      await scheduler?.upsert(jobId);
      if (bus.hasGeneralListeners) {
        const row = await store.jobs.get(jobId);
        bus.publish({ type: 'job', jobId, job: row ? toJobSummary(row) : null });
      }
    },
    cancelQueued: (jobId, caller) => runs.cancelQueuedOf(jobId, caller),
    deleted: (jobId) => {
      summaries.forget(jobId);
      rm(join(config.dataDir, 'runs', String(jobId)), { recursive: true, force: true }).catch(config.onError);
    },
  });
  // A process that runs jobs on a shared database is a node too, scheduling or not (its runs must end if it dies).
  const keeper = ctx.schedules || (config.registerNode && store.backend === 'postgres')
    ? new NodeKeeper({ store, machine, dispatcher, id: owner, version: VERSION, leaseMs: config.nodeLeaseMs, dataDir: resolve(config.dataDir), logger: config.logger, onError, changed: () => statusChanged(), shares: shares ?? undefined, reaps: ctx.schedules })
    : null;
  const services = {
    jobs,
    runs,
    tasks: new TaskRunsService({ store, machine }),
    notify: new NotifyService({ store, clock: config.clock, env: config.env, wake: () => sender.wake() }),
    scheduler: new SchedulerService({
      store,
      clock: config.clock,
      scheduler,
      dispatcher,
      owner,
      startedAt: ctx.startedAt,
      isAlive: ctx.isAlive,
      ownerDescription: ctx.ownerDescription,
      changed: statusChanged,
      restartProcess: config.restartProcess,
    }),
    users: new UsersService(store, config.clock),
    nodes: new NodesService({ store, clock: config.clock, keeper, nodeFiles }),
  };

  const external = new ExternalSync({
    store,
    owner,
    pollMs: config.pollMs,
    recoveryEveryMs: config.recoveryEveryMs,
    cancel: (runId, by) => runs.cancelHere(runId, by),
    jobsChanged: async () => {
      await scheduler?.resync();
      statusChanged();
    },
    pump: async () => {
      await checkDependents();
      dispatcher.pump();
    },
    recover,
    onError,
  });

  return {
    bus,
    writer,
    machine,
    dispatcher,
    port,
    runner,
    scheduler,
    janitor,
    folderSweep,
    sender,
    summaries,
    external,
    services,
    keeper,
    relay,
    handlers: createHandlers({ ...services, store, now: () => config.clock.now() }, explain),
    recover,
    checkDependents,
    skippedFires: () => skipped,
    stopStatusEvents: () => {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = null;
    },
  };
}
