/**
 * The engine of one data folder: opening it (store, ownership, recovery),
 * starting the schedule, and closing it without leaving a run IN_PROGRESS.
 * Hosted by the desktop app's main process, by `jobdeck serve`, or by the
 * CLI; hosts talk to it through `handlers` (the contract) and `subscribe`.
 * Plain Node: it imports nothing from Electron. Its parts are built in
 * wiring.ts.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Handlers } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { EngineEvent, Subscription } from '../../shared/events';
import type { Run } from '../../shared/model/run';
import type { Listener } from './eventBus';
import { resolveEngineOptions, type EngineConfig, type EngineOptions } from './options';
import { describeOwner, InstanceLock, SchedulerLock, unsharedInstance, type Instance } from './ownership';
import { dbFile } from './paths';
import { LauncherPool } from './runner/launcherPool';
import { PAUSED_SETTING } from './services/schedulerService';
import { Checkpointer } from './store/checkpointer';
import { Store } from './store/store';
import { sqliteEngineStore, type EngineStore } from './store/engineStore';
import { PgStore } from './store/postgres/pgStore';
import { FollowingClock, systemClock } from './clock';
import { wire, type Parts } from './wiring';

export type { EngineOptions } from './options';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A memory store's template, or null when there is none to read (the store is then migrated afresh). */
function readTemplate(path: string | undefined): Buffer | null {
  if (!path) return null;
  try {
    return readFileSync(path);
  } catch {
    return null;
  }
}

export class Engine {
  readonly config: EngineConfig;
  /** The data store, SQLite or PostgreSQL, as every part of the engine uses it. */
  readonly data: EngineStore;
  readonly handlers: Handlers;
  readonly services: Parts['services'];
  readonly startedAt = Date.now();
  /** Resolves once start-up (recovery, dependents, the first schedule load) is done. */
  readonly ready: Promise<void>;
  private readonly parts: Parts;
  private readonly instance: Instance;
  private readonly schedulerLock: SchedulerLock | null;
  private readonly sqlite: Store | null;
  private readonly pg: PgStore | null;
  /** Runs the store's WAL checkpoints off the engine's thread (null: SQLite runs them in commits). */
  readonly checkpointer: Checkpointer | null;
  private closing: Promise<void> | null = null;
  private hurry: (() => void) | null = null;
  private scheduling: Promise<void> | null = null;
  /** Start-up is done: calls go straight through. */
  private started = false;

  private constructor(config: EngineConfig, store: { sqlite: Store } | { pg: PgStore }) {
    this.config = config;
    const { dataDir, nativeBinding } = config;
    this.sqlite = 'sqlite' in store ? store.sqlite : null;
    this.pg = 'pg' in store ? store.pg : null;
    this.data = this.sqlite ? sqliteEngineStore(this.sqlite) : this.pg!;
    const closeStore = () => {
      this.sqlite?.close();
      void this.pg?.close();
    };
    try {
      this.instance = config.memoryStore ? unsharedInstance() : new InstanceLock(dataDir, nativeBinding);
    } catch (err) {
      closeStore();
      throw err;
    }
    let schedulerLock: SchedulerLock | null = null;
    if (config.scheduler) {
      const got = SchedulerLock.acquire(dataDir, { kind: config.hostKind, instance: this.instance.id }, nativeBinding);
      if (!(got instanceof SchedulerLock)) {
        this.instance.release();
        closeStore();
        throw new JobdeckError(
          'SCHEDULER_LOCKED',
          `The data folder ${dataDir} is already scheduled by ${describeOwner(got)}. Stop it first, or use another --data-dir.`,
        );
      }
      schedulerLock = got;
    }
    this.schedulerLock = schedulerLock;
    this.parts = wire({
      config,
      store: this.data,
      owner: this.instance.id,
      schedules: schedulerLock !== null,
      startedAt: this.startedAt,
      helperPath: config.helperPath ?? findHelper(),
      // On PostgreSQL the runs of other nodes are theirs until their lease runs out (the node keeper reaps
      // them then); the folder's instance locks say only who uses this folder.
      isAlive: (owner) => (this.pg ? true : config.memoryStore ? owner === this.instance.id : InstanceLock.isAlive(dataDir, owner, nativeBinding)),
      forgetOwner: (owner) => {
        if (!this.pg) InstanceLock.forget(dataDir, owner);
      },
      ownerDescription: () => {
        const info = SchedulerLock.owner(dataDir);
        return info ? describeOwner(info) : null;
      },
      isClosing: () => this.closing !== null,
      events: this.pg?.events,
    });
    // Calls wait for start-up (recovery, the first schedule load): every answer sees the engine as opened.
    const handlers: Record<string, (input: never, ctx: never) => Promise<unknown>> = {};
    for (const [name, handler] of Object.entries(this.parts.handlers) as [string, (input: never, ctx: never) => Promise<unknown>][]) {
      handlers[name] = async (input, ctx) => {
        if (!this.started) await this.ready;
        return handler(input, ctx);
      };
    }
    this.handlers = handlers as unknown as Handlers;
    this.services = this.parts.services;
    // The engine that schedules the folder lives long and commits often: its checkpoints go to a worker thread.
    this.checkpointer =
      this.sqlite && schedulerLock && config.backgroundCheckpoints
        ? new Checkpointer({ file: dbFile(dataDir), db: this.sqlite.db, nativeBinding, onProblem: (m) => config.logger.warn(m) })
        : null;
    this.ready = this.start().then(() => {
      this.started = true;
    });
    // Reported as a background error; Engine.connect() also rejects with it.
    this.ready.catch((err: unknown) => config.onError(err));
  }

  /**
   * Opens a data folder's SQLite store: interrupts runs of dead processes,
   * then (unless told to wait) starts scheduling. Start-up goes on after it
   * returns (`ready`); calls made meanwhile are answered in order.
   */
  static open(options: EngineOptions): Engine {
    if (options.database) throw new JobdeckError('VALIDATION_FAILED', 'an engine on PostgreSQL is opened with Engine.connect()', 'database');
    const config = resolveEngineOptions(options);
    mkdirSync(config.dataDir, { recursive: true });
    const store = config.memoryStore
      ? Store.openInMemory(readTemplate(config.memoryStore.template), { nativeBinding: config.nativeBinding })
      : Store.open(dbFile(config.dataDir), { nativeBinding: config.nativeBinding });
    return new Engine(config, { sqlite: store });
  }

  /** Opens an engine on either store (PostgreSQL when `database` is given) and waits for its start-up. */
  static async connect(options: EngineOptions): Promise<Engine> {
    if (!options.database) {
      const engine = Engine.open(options);
      await engine.ready;
      return engine;
    }
    const config = resolveEngineOptions({ ...options, clock: new FollowingClock(options.clock ?? systemClock) });
    mkdirSync(config.dataDir, { recursive: true });
    const store = await PgStore.open(options.database);
    const engine = new Engine(config, { pg: store });
    await engine.ready;
    return engine;
  }

  private async start(): Promise<void> {
    const { parts, config } = this;
    try {
      if (config.startLaunchers && parts.port instanceof LauncherPool) parts.port.warmUp();
      if (config.clock instanceof FollowingClock) await this.followDatabaseClock(config.clock);
      await parts.relay?.start();
      // A store in memory is this process's alone and starts empty: no one's runs to recover, and no
      // other process writing to it to watch for.
      if (!config.memoryStore) {
        await parts.recover();
        await parts.checkDependents();
        await parts.external.start();
      }
      parts.sender.start();
      if (config.startScheduler) await this.startScheduling();
      if (!parts.scheduler) await parts.keeper?.start(config.nodeAddress);
      await parts.folderSweep?.start();
      parts.summaries.warm(() => this.closing !== null, config.onError);
    } catch (err) {
      if (this.closing) return;
      void this.close(0);
      throw err;
    }
  }

  /** Sets this node's clock to the database's (due times and leases then agree across nodes). */
  private async followDatabaseClock(clock: FollowingClock): Promise<void> {
    const sent = clock.baseNow();
    const theirs = await this.data.nodes.now();
    clock.follow(theirs, sent, clock.baseNow());
    if (Math.abs(clock.offsetMs) > 1000) {
      this.config.logger.warn(`this machine's clock is ${Math.round(clock.offsetMs / 1000)} s ${clock.offsetMs > 0 ? 'behind' : 'ahead of'} the database's: schedules follow the database's`);
    }
  }

  /**
   * Starts firing schedules (serve calls it once it listens, with the URL
   * other nodes reach it at as this node's address, and its certificate's
   * fingerprint when it serves HTTPS). Idempotent.
   */
  startScheduling(address?: string, certSha256?: string | null): Promise<void> {
    const { scheduler, port } = this.parts;
    if (!scheduler || this.closing) return Promise.resolve();
    this.scheduling ??= (async () => {
      await this.parts.keeper?.start(address ?? this.config.nodeAddress, certSha256 ?? null);
      if (port instanceof LauncherPool) port.warmUp();
      await scheduler.start(await this.data.settings.get(PAUSED_SETTING, false));
    })();
    return this.scheduling;
  }

  /** The SQLite store (tests and the bench inspect its rows); an engine on PostgreSQL has none. */
  get store(): Store {
    if (!this.sqlite) throw new JobdeckError('INVALID_STATE', 'this engine keeps its data in PostgreSQL, not a SQLite file');
    return this.sqlite;
  }

  get dataDir(): string {
    return this.config.dataDir;
  }

  get instanceId(): string {
    return this.instance.id;
  }

  get isClosed(): boolean {
    return this.closing !== null;
  }

  /** Scheduled fires refused because the job was still running or queued. */
  get skippedFires(): number {
    return this.parts.skippedFires();
  }

  /** How many listeners are subscribed to events (tests check subscriptions are released). */
  get listenerCount(): number {
    return this.parts.bus.size;
  }

  /**
   * On a shared database: removes this node's run folders whose run is gone
   * now, besides its timer (tests); resolves to how many. 0 elsewhere.
   */
  sweepRunFolders(): Promise<number> {
    return this.parts.folderSweep?.sweep() ?? Promise.resolve(0);
  }

  /** The process port (the bench reads the launcher's pid). */
  get port() {
    return this.parts.port;
  }

  subscribe(sub: Subscription, listener: Listener): () => void {
    return this.parts.bus.subscribe(sub, listener);
  }

  publish(event: EngineEvent): void {
    this.parts.bus.publish(event);
  }

  /** Resolves when the run has finished (its outcome committed), however long that takes. */
  waitForRun(runId: number): Promise<Run> {
    return this.services.runs.wait(runId, null);
  }

  /**
   * Stops firing, lets running runs finish for up to graceMs, then cancels
   * the rest (recorded as cancelled by the shutdown); queued runs are
   * recorded as cancelled too. Nothing is left IN_PROGRESS. A second call
   * while closing cancels the running runs at once (a second Ctrl+C).
   */
  close(graceMs = 10_000): Promise<void> {
    if (this.closing) {
      this.hurry?.();
      return this.closing;
    }
    this.closing = this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const p = this.parts;
    const by = 'engine shutdown';
    try {
      p.scheduler?.stop();
      p.external.stop();
      p.stopStatusEvents();
      p.dispatcher.close();
      await p.scheduler?.settled();
      await p.dispatcher.whenIdle();
      for (const e of p.dispatcher.drain()) await p.machine.cancelQueued(e.runId, by);
      let hurried = false;
      this.hurry = () => {
        hurried = true;
        p.runner.cancelAll(by);
      };
      const deadline = Date.now() + graceMs;
      while (p.machine.size > 0 && Date.now() < deadline && !hurried) await sleep(25);
      p.runner.cancelAll(by);
      await p.port.shutdown(this.config.killGraceMs);
      const settle = Date.now() + 10_000;
      while (p.machine.size > 0 && Date.now() < settle) await sleep(10);
      await p.writer.close();
      // The messages the last runs caused (a CLI run with --email) go out before the folder closes.
      await p.sender.drain(this.config.notifyDrainMs);
      p.sender.close();
      // Runs whose end could not be recorded (a launcher that never answered): say so now, not at the next start.
      if (p.machine.size > 0) await p.machine.interrupt(this.instance.id, false);
      await p.janitor.close();
      await p.folderSweep?.close();
      await p.machine.delivered();
    } catch (err) {
      this.config.onError(err);
    } finally {
      p.sender.close();
      // Listed as stopped (not lost): its runs have ended.
      await p.relay?.close();
      await p.keeper?.stop().catch((err: unknown) => this.config.onError(err));
      // Its connection closes first, so the engine's close is the last one and removes the log.
      await this.checkpointer?.stop();
      this.schedulerLock?.release();
      this.instance.release();
      this.sqlite?.close();
      await this.pg?.close().catch((err: unknown) => this.config.onError(err));
    }
  }
}
