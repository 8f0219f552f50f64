/**
 * The engine: store, scheduler, dispatcher and runner of one data folder,
 * hosted by the desktop app's main process, by `jobdeck serve`, or by the
 * CLI. Plain Node: it imports nothing from Electron.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Handlers } from '../../shared/contract';
import { JobdeckError, notFound } from '../../shared/errors';
import type { EngineEvent, Subscription } from '../../shared/events';
import { iso } from '../../shared/dates';
import type { SchedulerStatus } from '../../shared/model/misc';
import type { Run } from '../../shared/model/run';
import { systemClock, type Clock } from './clock';
import { Dispatcher } from './dispatcher';
import { EventBus, type Listener } from './eventBus';
import { Janitor } from './janitor';
import { JobSummaries } from './jobSummaries';
import { describeOwner, InstanceLock, SchedulerLock } from './ownership';
import { dbFile } from './paths';
import { recoverDeadOwners } from './recovery';
import { InlinePort, LauncherPort, type ProcessPort } from './runner/processPort';
import { Runner, type ActiveRun, type RunOutcome } from './runner/runner';
import type { LogStream } from '../../shared/model/run';
import { Scheduler, type Fire } from './scheduler/scheduler';
import { createHandlers } from './service';
import { toJobSummary, toLogLine, toRun, type RunRow } from './store/rows';
import { Store } from './store/store';
import { createRun, type TriggerRequest } from './triggers';
import { Writer, type WriterOptions } from './writer';

export interface EngineOptions {
  dataDir: string;
  /** Fire schedules. Needs the folder's scheduler lock (one owner per folder). Default true. */
  scheduler?: boolean;
  /** What hosts this engine, shown to a second process that finds the folder taken. */
  hostKind?: string;
  /** Most runs executing at once; more wait in a FIFO queue. Default 2 x CPU count. */
  concurrency?: number;
  /** 'launcher' spawns job processes from a small helper process; 'inline' from this one. Default 'launcher'. */
  spawner?: 'launcher' | 'inline';
  /** SIGTERM to SIGKILL delay when a run is cancelled or times out. Default 5000 ms. */
  killGraceMs?: number;
  /** How long output pipes may stay open after a run's main process exits. Default 1000 ms. */
  closeGraceMs?: number;
  /** Time source (tests inject a manual clock). */
  clock?: Clock;
  writer?: WriterOptions;
  /** Node binary for the node runtime. Default: this process's. */
  nodePath?: string;
  /** better-sqlite3 native binding to load (the desktop app's Electron build). */
  nativeBinding?: string;
  /** Launcher script path (the desktop bundle passes its own). */
  launcherPath?: string;
  /** The Node helper for job scripts (JOBDECK_HELPER). Default: resources/helpers/jobdeck.cjs found above this module. */
  helperPath?: string;
  /** Called with errors that have no caller to go to (a failed batch write, …). */
  onError?: (err: unknown) => void;
  /** Sees every line as it is read (the CLI prints them). */
  onLines?: (run: ActiveRun, stream: LogStream, lines: readonly string[]) => void;
  onProgress?: (run: ActiveRun) => void;
}

/** The Node helper job scripts can require (resources/helpers/jobdeck.cjs). */
function findHelper(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'resources', 'helpers', 'jobdeck.cjs');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return undefined;
}

const POLL_MS = 500;
const RECOVERY_EVERY_MS = 30_000;

export class Engine {
  readonly store: Store;
  readonly bus: EventBus;
  readonly writer: Writer;
  readonly runner: Runner;
  readonly dispatcher: Dispatcher;
  readonly scheduler: Scheduler | null;
  readonly handlers: Handlers;
  /** Job list summaries, built once per job revision. */
  readonly summaries: JobSummaries;
  readonly instance: InstanceLock;
  readonly clock: Clock;
  readonly dataDir: string;
  readonly startedAt = Date.now();
  readonly port: ProcessPort;
  private readonly schedulerLock: SchedulerLock | null;
  private readonly janitor: Janitor;
  private readonly finishWaiters = new Map<number, ((run: Run) => void)[]>();
  private poll: NodeJS.Timeout | null = null;
  private lastVersion = -1;
  private lastJobsVersion = 0;
  private lastRecovery = 0;
  private statusTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Scheduled fires refused because the job was still running or queued. */
  skippedFires = 0;
  readonly options: EngineOptions;

  private constructor(options: EngineOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.clock = options.clock ?? systemClock;
    const onError = options.onError ?? ((err: unknown) => console.error('[jobdeck engine]', err));
    mkdirSync(this.dataDir, { recursive: true });
    this.store = Store.open(dbFile(this.dataDir), { nativeBinding: options.nativeBinding });
    try {
      this.instance = new InstanceLock(this.dataDir, options.nativeBinding);
    } catch (err) {
      this.store.close();
      throw err;
    }
    let schedulerLock: SchedulerLock | null = null;
    if (options.scheduler ?? true) {
      const got = SchedulerLock.acquire(
        this.dataDir,
        { kind: options.hostKind ?? 'jobdeck', instance: this.instance.id },
        options.nativeBinding,
      );
      if (!(got instanceof SchedulerLock)) {
        this.instance.release();
        this.store.close();
        throw new JobdeckError(
          'SCHEDULER_LOCKED',
          `The data folder ${this.dataDir} is already scheduled by ${describeOwner(got)}. Stop it first, or use another --data-dir.`,
        );
      }
      schedulerLock = got;
    }
    this.schedulerLock = schedulerLock;

    this.bus = new EventBus({
      logs: (runId, afterSeq, limit) => this.logPage(runId, afterSeq, limit),
      jobIdOf: (runId) => this.store.runs.get(runId)?.job_id,
    });
    this.writer = new Writer(this.store, this.bus, onError, options.writer);
    this.port =
      options.spawner === 'inline'
        ? new InlinePort({ closeGraceMs: options.closeGraceMs })
        : new LauncherPort({ closeGraceMs: options.closeGraceMs, launcherPath: options.launcherPath });
    this.runner = new Runner({
      store: this.store,
      writer: this.writer,
      port: this.port,
      dataDir: this.dataDir,
      killGraceMs: options.killGraceMs ?? 5000,
      nodePath: options.nodePath,
      helperPath: options.helperPath ?? findHelper(),
      publishRun: (id) => this.publishRun(id),
      onExited: (a) => this.dispatcher.release(a.id),
      onFinished: (a, outcome) => this.onRunFinished(a, outcome),
      onLines: options.onLines,
      onProgress: options.onProgress,
      onError,
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      clock: this.clock,
      owner: this.instance.id,
      concurrency: options.concurrency ?? Math.max(2, cpus().length * 2),
      start: (run, job) => {
        this.runner.start(run, job);
        this.publishRun(run.id);
        this.statusChanged();
      },
      persistStart: (runId, jobId, at) =>
        this.writer.op(() => {
          this.store.runs.markStarted(runId);
          this.store.jobs.setLastRun(jobId, runId, 'IN_PROGRESS', at);
        }),
      cancelledBeforeStart: (run) => this.finishQueued(run, run.cancel_by ?? 'unknown'),
      onError,
    });
    this.janitor = new Janitor(this.store, this.dataDir, onError);
    this.scheduler = schedulerLock
      ? new Scheduler({
          clock: this.clock,
          load: () => this.store.jobs.schedulable(),
          loadOne: (id) => this.store.jobs.schedulableOne(id),
          fire: (fires, next) => this.fire(fires, next),
          onError,
        })
      : null;
    this.summaries = new JobSummaries(this.store);
    this.handlers = createHandlers(this);
  }

  /** Opens a data folder: recovers runs of dead processes, then starts scheduling. */
  static open(options: EngineOptions): Engine {
    const engine = new Engine(options);
    try {
      engine.recover();
      engine.lastVersion = engine.store.externalVersion();
      engine.lastJobsVersion = engine.jobsVersion();
      if (engine.scheduler) {
        if (engine.port instanceof LauncherPort) engine.port.warmUp();
        engine.scheduler.start(engine.store.settings.get('scheduler.paused', false));
      }
      engine.poll = setInterval(() => engine.checkExternal(), POLL_MS);
      engine.poll.unref();
      engine.summaries.warm(() => engine.closed);
    } catch (err) {
      void engine.close(0);
      throw err;
    }
    return engine;
  }

  get instanceId(): string {
    return this.instance.id;
  }

  // ----- events -----

  subscribe(sub: Subscription, listener: Listener): () => void {
    return this.bus.subscribe(sub, listener);
  }

  publish(event: EngineEvent): void {
    this.bus.publish(event);
  }

  /** The current state of a run, with what is not yet written merged in. */
  runState(row: RunRow): Run {
    const run = toRun(row);
    const a = this.runner.active.get(row.id);
    if (a) {
      // Started here; the store hears of it with the next batch.
      if (run.status === 'QUEUED') run.status = 'IN_PROGRESS';
      run.lastSeq = Math.max(run.lastSeq, this.writer.lastSeq(row.id) ?? 0);
      if (a.progress) run.progress = { ...a.progress };
      if (a.spawnedAt && !run.startedAt) run.startedAt = iso(a.spawnedAt);
    }
    return run;
  }

  publishRun(runId: number): void {
    const waiting = this.finishWaiters.has(runId);
    if (!waiting && !this.bus.wantsRun(runId)) return;
    const row = this.store.runs.get(runId);
    if (!row) return;
    const run = this.runState(row);
    this.bus.publish({ type: 'run', run });
    if (waiting && (run.status === 'SUCCEEDED' || run.status === 'FAILED' || run.status === 'CANCELLED')) {
      const list = this.finishWaiters.get(runId) ?? [];
      this.finishWaiters.delete(runId);
      for (const fn of list) fn(run);
    }
  }

  /** Resolves when the run has finished (its outcome committed). */
  waitForRun(runId: number): Promise<Run> {
    const row = this.store.runs.get(runId);
    if (!row) return Promise.reject(notFound('run', runId));
    if (row.status === 'SUCCEEDED' || row.status === 'FAILED' || row.status === 'CANCELLED') return Promise.resolve(toRun(row));
    return new Promise((resolve) => {
      const list = this.finishWaiters.get(runId) ?? [];
      list.push(resolve);
      this.finishWaiters.set(runId, list);
    });
  }

  publishJob(jobId: number): void {
    if (!this.bus.hasGeneralListeners) return;
    const row = this.store.jobs.get(jobId);
    this.bus.publish({ type: 'job', jobId, job: row ? toJobSummary(row) : null });
  }

  /** Publishes scheduler counts, at most four times a second. */
  statusChanged(): void {
    if (this.statusTimer || !this.bus.hasGeneralListeners) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      if (!this.closed) this.bus.publish({ type: 'scheduler', status: this.schedulerStatus() });
    }, 250);
  }

  schedulerStatus(): SchedulerStatus {
    const ownerInfo = this.scheduler ? null : SchedulerLock.owner(this.dataDir);
    return {
      active: this.scheduler !== null,
      paused: this.scheduler?.paused ?? false,
      running: this.dispatcher.running,
      queued: this.dispatcher.queued,
      concurrency: this.dispatcher.concurrency,
      nextFires: (this.scheduler?.upcoming(10) ?? []).map((f) => ({ jobId: f.jobId, jobName: f.name, at: iso(f.at)! })),
      owner: ownerInfo ? describeOwner(ownerInfo) : null,
      startedAt: iso(this.startedAt)!,
    };
  }

  // ----- logs -----

  /** Stored lines after a sequence number, then those not yet written. */
  logPage(runId: number, afterSeq: number, limit: number) {
    const lines = this.store.logs.page(runId, afterSeq, limit).map(toLogLine);
    if (lines.length < limit) {
      const from = lines.length ? lines[lines.length - 1]!.seq : afterSeq;
      for (const l of this.writer.pending(runId, from)) {
        if (lines.length >= limit) break;
        lines.push(l);
      }
    }
    return lines;
  }

  // ----- runs -----

  /** Creates a run (checks overlap, parameters) and queues it. */
  trigger(req: TriggerRequest): Run {
    if (this.closed) throw new JobdeckError('UNAVAILABLE', 'the engine is shutting down');
    const now = this.clock.now();
    // Overlap checks read run states from the store: write pending starts first.
    this.writer.flush();
    const row = this.store.tx(() => createRun(this.store, req, this.instance.id, now));
    this.afterQueued([row]);
    // runState adds what happened since (it may have started already).
    return this.runState(row);
  }

  private afterQueued(rows: RunRow[]): void {
    for (const row of rows) this.publishRun(row.id);
    this.dispatcher.enqueue(rows.map((row) => ({ runId: row.id, jobId: row.job_id, notBefore: row.not_before ?? 0 })));
    this.statusChanged();
  }

  /** Scheduler callback: creates the runs of due fires and stores next fire times, in one transaction. */
  private fire(fires: Fire[], next: [number, number | null][]): void {
    const now = this.clock.now();
    if (fires.length) this.writer.flush();
    const created: RunRow[] = [];
    this.store.tx(() => {
      for (const [jobId, at] of next) this.store.jobs.setNextFire(jobId, at);
      for (const f of fires) {
        try {
          created.push(
            createRun(this.store, { jobId: f.jobId, trigger: f.trigger, by: 'scheduler', dueAt: f.dueAt }, this.instance.id, now),
          );
        } catch (err) {
          if (err instanceof JobdeckError && (err.code === 'JOB_ALREADY_RUNNING' || err.code === 'JOB_ALREADY_QUEUED')) {
            this.skippedFires += 1;
          } else throw err;
        }
      }
    });
    if (created.length) this.afterQueued(created);
  }

  /** Cancels a queued or running run of any process sharing this folder. */
  cancel(runId: number, by: string): Run {
    const row = this.store.runs.get(runId);
    if (!row) throw notFound('run', runId);
    if (row.status !== 'QUEUED' && row.status !== 'IN_PROGRESS') {
      throw new JobdeckError('INVALID_STATE', `run ${runId} has already finished (${row.status})`, 'id');
    }
    if (row.owner === this.instance.id) {
      this.store.tx(() => this.store.runs.requestCancel(runId, by));
      if (this.runner.active.has(runId)) this.runner.cancel(runId, by);
      else if (this.dispatcher.remove(runId)) this.finishQueued(row, by);
    } else if (InstanceLock.isAlive(this.dataDir, row.owner, this.options.nativeBinding)) {
      // Another live process runs it; it picks the request up within a second.
      this.store.tx(() => this.store.runs.requestCancel(runId, by));
    } else {
      this.recover();
    }
    this.store.audit.add({ actor: by, action: 'run.cancel', targetType: 'run', targetId: runId, targetName: row.job_name, jobId: row.job_id });
    return this.runState(this.store.runs.get(runId)!);
  }

  /** Records a queued run as cancelled (it never started). */
  private finishQueued(row: RunRow, by: string): void {
    const now = this.clock.now();
    this.store.tx(() => {
      const seq = this.store.logs.maxSeq(row.id) + 1;
      this.store.logs.insertMany([{ runId: row.id, seq, ts: now, stream: 0, text: `Cancelled by ${by} before it started` }]);
      this.store.runs.finish(row.id, {
        status: 'CANCELLED',
        finishedAt: now,
        exitCode: null,
        signal: null,
        error: `cancelled by ${by}`,
        lastSeq: seq,
        resultFile: null,
      });
    });
    this.publishRun(row.id);
    this.statusChanged();
  }

  private onRunFinished(a: ActiveRun, outcome: RunOutcome): void {
    this.dispatcher.finished(a.jobId, a.id);
    this.statusChanged();
    this.janitor.check(a.jobId);
    if (outcome.status === 'FAILED' && !this.closed) this.maybeRetry(a.id);
  }

  /** Queues the next attempt of a failed run if its job allows more. */
  maybeRetry(runId: number): void {
    const row = this.store.runs.get(runId);
    const job = row && this.store.jobs.get(row.job_id);
    if (!row || !job || job.archived || row.attempt > job.retry_count) return;
    try {
      this.trigger({
        jobId: job.id,
        trigger: 'retry',
        by: row.triggered_by,
        args: row.args,
        params: JSON.parse(row.params),
        attempt: row.attempt + 1,
        retryOf: row.id,
        notBefore: this.clock.now() + job.retry_delay_s * 1000,
        useGivenParams: true,
      });
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  // ----- other processes -----

  /** Marks runs of dead processes FAILED/interrupted, releases their locks, retries them. */
  recover(): void {
    const interrupted = recoverDeadOwners(this.store, this.dataDir, this.instance.id, this.clock.now(), this.options.nativeBinding);
    this.lastRecovery = Date.now();
    for (const row of interrupted) this.publishRun(row.id);
    if (this.scheduler) for (const row of interrupted) this.maybeRetry(row.id);
  }

  private jobsVersion(): number {
    return this.store.settings.get('jobs.version', 0);
  }

  /** Notes a change to job definitions so other processes reload their schedules. */
  bumpJobsVersion(): void {
    this.lastJobsVersion = this.jobsVersion() + 1;
    this.store.settings.set('jobs.version', this.lastJobsVersion);
  }

  /** Acts on what other processes wrote: cancel requests, job edits, finished CLI runs. */
  checkExternal(): void {
    if (this.closed) return;
    try {
      if (Date.now() - this.lastRecovery > RECOVERY_EVERY_MS) this.recover();
      const version = this.store.externalVersion();
      if (version === this.lastVersion) return;
      this.lastVersion = version;
      for (const { id, cancel_by } of this.store.runs.cancelRequested(this.instance.id)) {
        if (this.runner.active.has(id)) this.runner.cancel(id, cancel_by);
        else if (this.dispatcher.remove(id)) this.finishQueued(this.store.runs.get(id)!, cancel_by);
      }
      const jobsVersion = this.jobsVersion();
      if (jobsVersion !== this.lastJobsVersion) {
        this.lastJobsVersion = jobsVersion;
        this.scheduler?.resync();
        if (this.bus.hasGeneralListeners) this.bus.publish({ type: 'scheduler', status: this.schedulerStatus() });
      }
      this.dispatcher.pump();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  // ----- lifecycle -----

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops firing, lets running runs finish for up to graceMs, then cancels
   * the rest (recorded as cancelled by the shutdown); queued runs are
   * recorded as cancelled too. Nothing is left IN_PROGRESS.
   */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.scheduler?.stop();
    if (this.poll) clearInterval(this.poll);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    this.dispatcher.close();
    try {
      for (const row of this.store.runs.unfinished(this.instance.id)) {
        if (row.status === 'QUEUED' && this.dispatcher.remove(row.id)) this.finishQueued(row, 'engine shutdown');
      }
      const deadline = Date.now() + graceMs;
      while (this.runner.active.size > 0 && Date.now() < deadline) await sleep(25);
      for (const id of [...this.runner.active.keys()]) this.runner.cancel(id, 'engine shutdown');
      await this.port.shutdown(this.options.killGraceMs ?? 5000);
      const finishDeadline = Date.now() + 10_000;
      while (this.runner.active.size > 0 && Date.now() < finishDeadline) {
        this.writer.flush();
        await sleep(10);
      }
      this.janitor.stop();
      this.writer.close();
    } finally {
      this.schedulerLock?.release();
      this.instance.release();
      this.store.close();
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
