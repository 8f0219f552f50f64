/**
 * The engine of one data folder: opening it (store, ownership, recovery),
 * starting the schedule, and closing it without leaving a run IN_PROGRESS.
 * Hosted by the desktop app's main process, by `jobdeck serve`, or by the
 * CLI; hosts talk to it through `handlers` (the contract) and `subscribe`.
 * Plain Node: it imports nothing from Electron. Its parts are built in
 * wiring.ts.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Handlers } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { EngineEvent, Subscription } from '../../shared/events';
import type { Run } from '../../shared/model/run';
import type { Listener } from './eventBus';
import { resolveEngineOptions, type EngineConfig, type EngineOptions } from './options';
import { describeOwner, InstanceLock, SchedulerLock } from './ownership';
import { dbFile } from './paths';
import { LauncherPool } from './runner/launcherPool';
import { PAUSED_SETTING } from './services/schedulerService';
import { Checkpointer } from './store/checkpointer';
import { Store } from './store/store';
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

export class Engine {
  readonly config: EngineConfig;
  readonly store: Store;
  readonly handlers: Handlers;
  readonly services: Parts['services'];
  readonly startedAt = Date.now();
  private readonly parts: Parts;
  private readonly instance: InstanceLock;
  private readonly schedulerLock: SchedulerLock | null;
  /** Runs the store's WAL checkpoints off the engine's thread (null: SQLite runs them in commits). */
  readonly checkpointer: Checkpointer | null;
  private closing: Promise<void> | null = null;
  private hurry: (() => void) | null = null;
  private scheduling = false;

  private constructor(options: EngineOptions) {
    this.config = resolveEngineOptions(options);
    const { dataDir, nativeBinding } = this.config;
    mkdirSync(dataDir, { recursive: true });
    this.store = Store.open(dbFile(dataDir), { nativeBinding });
    try {
      this.instance = new InstanceLock(dataDir, nativeBinding);
    } catch (err) {
      this.store.close();
      throw err;
    }
    let schedulerLock: SchedulerLock | null = null;
    if (this.config.scheduler) {
      const got = SchedulerLock.acquire(dataDir, { kind: this.config.hostKind, instance: this.instance.id }, nativeBinding);
      if (!(got instanceof SchedulerLock)) {
        this.instance.release();
        this.store.close();
        throw new JobdeckError(
          'SCHEDULER_LOCKED',
          `The data folder ${dataDir} is already scheduled by ${describeOwner(got)}. Stop it first, or use another --data-dir.`,
        );
      }
      schedulerLock = got;
    }
    this.schedulerLock = schedulerLock;
    this.parts = wire({
      config: this.config,
      store: this.store,
      owner: this.instance.id,
      schedules: schedulerLock !== null,
      startedAt: this.startedAt,
      helperPath: this.config.helperPath ?? findHelper(),
      isAlive: (owner) => InstanceLock.isAlive(dataDir, owner, nativeBinding),
      forgetOwner: (owner) => InstanceLock.forget(dataDir, owner),
      ownerDescription: () => {
        const info = SchedulerLock.owner(dataDir);
        return info ? describeOwner(info) : null;
      },
      isClosing: () => this.closing !== null,
    });
    this.handlers = this.parts.handlers;
    this.services = this.parts.services;
    // The engine that schedules the folder lives long and commits often: its checkpoints go to a worker thread.
    this.checkpointer =
      schedulerLock && this.config.backgroundCheckpoints
        ? new Checkpointer({ file: dbFile(dataDir), db: this.store.db, nativeBinding, onProblem: (m) => this.config.logger.warn(m) })
        : null;
  }

  /** Opens a data folder: interrupts runs of dead processes, then (unless told to wait) starts scheduling. */
  static open(options: EngineOptions): Engine {
    const engine = new Engine(options);
    try {
      if (engine.config.startLaunchers && engine.parts.port instanceof LauncherPool) engine.parts.port.warmUp();
      engine.parts.recover();
      engine.parts.checkDependents();
      engine.parts.external.start();
      engine.parts.sender.start();
      if (engine.config.startScheduler) engine.startScheduling();
      engine.parts.summaries.warm(() => engine.closing !== null, engine.config.onError);
    } catch (err) {
      void engine.close(0);
      throw err;
    }
    return engine;
  }

  /**
   * Starts firing schedules (serve calls it once it listens, with its URL as
   * this node's address). Idempotent.
   */
  startScheduling(address?: string): void {
    const { scheduler, port } = this.parts;
    if (!scheduler || this.scheduling || this.closing) return;
    this.scheduling = true;
    this.parts.keeper?.start(address ?? this.config.nodeAddress);
    if (port instanceof LauncherPool) port.warmUp();
    scheduler.start(this.store.settings.get(PAUSED_SETTING, false));
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
      for (const e of p.dispatcher.drain()) p.machine.cancelQueued(e.runId, by);
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
      if (p.machine.size > 0) p.machine.interrupt(this.instance.id, false);
      await p.janitor.close();
    } catch (err) {
      this.config.onError(err);
    } finally {
      p.sender.close();
      // Listed as stopped (not lost): its runs have ended.
      p.keeper?.stop();
      // Its connection closes first, so the engine's close is the last one and removes the log.
      await this.checkpointer?.stop();
      this.schedulerLock?.release();
      this.instance.release();
      this.store.close();
    }
  }
}
