/**
 * Every option of the engine, documented where it is declared, with its
 * default; resolveEngineOptions() checks them and fills the defaults in one
 * place, returning a frozen object the engine's parts read.
 */
import { cpus } from 'node:os';
import { systemClock, type Clock } from './clock';
import { streamLogger, type Logger } from './logger';
import { defaultLauncherCount } from './runner/launcherPool';
import { LAUNCHER_DEFAULTS } from './runner/launcherStart';
import type { LogStream, Progress } from '../../shared/model/run';

/** A run as the engine's hooks see it (the CLI prints what it does). */
export interface RunInfo {
  id: number;
  jobId: number;
  jobName: string;
  /** The workflow task whose process this is (its path), if any. */
  task?: string;
}

/** A notification for the desktop: clicking it opens the run (when there is one). */
export interface DesktopNotice {
  title: string;
  body: string;
  runId: number | null;
}

export interface EngineOptions {
  /** The data folder (created when missing): the store (unless `database`), run folders, result files and scripts. */
  dataDir: string;
  /**
   * A PostgreSQL URL: the store is that database, shared with the other
   * nodes of a cluster, instead of the folder's SQLite file. Open such an
   * engine with Engine.connect().
   */
  database?: string;
  /**
   * Keep the store in this process's memory instead of the folder's
   * jobdeck.db: none of it outlives the engine (the throwaway folder of
   * `jobdeck run FILE`; run folders and result files still go to dataDir).
   * `template`: the path of an empty store serialized by the build
   * (storeTemplate()) to start from; missing or unusable, the migrations run
   * instead. Not with `database`, nor with `scheduler`.
   */
  memoryStore?: { template?: string };
  /** Fire schedules. Needs the folder's scheduler lock (one owner per folder). Default true. */
  scheduler?: boolean;
  /**
   * Start firing as soon as the engine is open. `jobdeck serve` passes false
   * and calls startScheduling() once it listens, so a server that cannot bind
   * its port fires nothing. Default true.
   */
  startScheduler?: boolean;
  /** What hosts this engine, shown to a second process that finds the folder taken. Default 'jobdeck'. */
  hostKind?: string;
  /** Most runs executing at once; more wait in a FIFO queue. Default 2 x CPU count (at least 2). */
  concurrency?: number;
  /**
   * 'launcher' spawns job processes from a small helper process; 'inline'
   * from this one; 'guarded' from this one too, with a watchdog (a shell)
   * that stops the runs' process groups if this process dies, even by
   * kill -9 (a CLI running one job: no launcher to boot; 'launcher' where
   * there is no POSIX shell). Default 'launcher'.
   */
  spawner?: 'launcher' | 'inline' | 'guarded';
  /**
   * How many launcher processes spawn runs side by side (spawner 'launcher').
   * Default: the number of cores (at least 1); the CLI, which runs one job at
   * a time, uses 1.
   */
  launchers?: number;
  /**
   * Start the launcher processes as the engine opens, so they boot (a Node
   * start, ~0.1 s) while the host gets its first run ready, instead of at the
   * first run. `jobdeck run` sets it; a scheduling engine starts them when it
   * starts scheduling; other hosts leave them to the first run. Default false.
   */
  startLaunchers?: boolean;
  /**
   * An engine that schedules its folder checkpoints the store's write-ahead
   * log on a worker thread instead of inside the commit that fills it (an
   * fsync of the database: 10-60 ms on a virtual disk, during which no fire
   * is recorded and no run starts). Default true; false leaves it to SQLite.
   */
  backgroundCheckpoints?: boolean;
  /**
   * Most pre-started idle interpreters kept per runtime (node, python3) in
   * each launcher, for jobs with `warm` on; the pool follows demand and is
   * empty when idle. 0 turns warm starts off. Default 4.
   */
  warmMax?: number;
  /** Window of the warm pool's demand; idle interpreters no run asked for within it are stopped (ms). Default 60000. */
  warmWindowMs?: number;
  /** SIGTERM to SIGKILL delay when a run is cancelled or times out. Default 5000 ms. */
  killGraceMs?: number;
  /** How long output pipes may stay open after a run's main process exits. Default 1000 ms. */
  closeGraceMs?: number;
  /** SIGTERM to SIGKILL delay for processes a run left running when its main process exited. Default 2000 ms. */
  leftoverGraceMs?: number;
  /** Longest a log line waits before it is written (ms). Default 25. */
  flushMs?: number;
  /** A batch of this many lines is written at once. Default 4000. */
  maxBatch?: number;
  /** Largest log kept per run, in bytes of text; later output is dropped with a notice. Default 100 MiB. */
  logMaxBytes?: number;
  /** Largest page of log lines one read returns, in bytes. Default 4 MiB. */
  logPageBytes?: number;
  /** A job's retention is checked at most this often (ms). Default 2000. */
  retentionRecheckMs?: number;
  /**
   * On a shared database: a result file fetched from the node keeping it is cut when that node sends nothing for this
   * long while the reader waits (ms); one nobody reads for ten times as long is cut too. Default 30 s.
   */
  peerIdleMs?: number;
  /** On a shared database: how often this node removes its run folders whose run another node deleted (ms). Default 10 min. */
  folderSweepMs?: number;
  /** How often other processes' changes (cancels, job edits) are looked for (ms). Default 500. */
  pollMs?: number;
  /** How often runs of dead processes are looked for (ms). Default 30000. */
  recoveryEveryMs?: number;
  /** How often the outbox is looked at for messages to deliver and follow-ups to send (ms). Default 2000. */
  notifyPollMs?: number;
  /** First delay before a failed notification is tried again; each next one doubles, at most an hour (ms). Default 30000. */
  notifyRetryMs?: number;
  /** How long an SMTP server may keep a message waiting at each step (connect, greeting, each reply) (ms). Default 20000. */
  notifySmtpTimeoutMs?: number;
  /** How long closing waits for the messages that are due to be delivered (ms). Default 10000. */
  notifyDrainMs?: number;
  /** Environment the notification settings are read from (JOBDECK_SMTP_URL, JOBDECK_PUBLIC_URL). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Time source of the scheduler, dispatcher and run timeouts (tests inject a manual clock). */
  clock?: Clock;
  /** Node binary for the node runtime. Default: this process's. */
  nodePath?: string;
  /**
   * A service manager starts this process again when it exits (serve under
   * the units `jobdeck service` writes): stopping it restarts it. Offered to
   * superadmins as scheduler.restart with process: true.
   */
  restartProcess?: () => void;
  /**
   * Where this engine serves, as the node list shows it (`serve` gives its
   * URL when it starts scheduling). Default `local`.
   */
  nodeAddress?: string;
  /**
   * On a shared database (PostgreSQL): register as a node even without
   * scheduling, because this process executes runs (`jobdeck run NAME`):
   * if it dies, the other nodes end its runs when its lease runs out.
   * Default false.
   */
  registerNode?: boolean;
  /**
   * A node whose heartbeat is older than this is declared lost by the others
   * (its runs fail "node lost"); heartbeats go every third of it. Default
   * 30 s, at least 1 s.
   */
  nodeLeaseMs?: number;
  /**
   * better-sqlite3 native binding to load (the desktop app's Electron build).
   * Default: JOBDECK_NATIVE_BINDING, which the app sets for the CLI and the
   * service it runs with its own executable as Node.
   */
  nativeBinding?: string;
  /** Launcher script path (the desktop bundle passes its own). */
  launcherPath?: string;
  /** The Node helper for job scripts (JOBDECK_HELPER). Default: resources/helpers/jobdeck.cjs found above this module. */
  helperPath?: string;
  /** Where the engine logs. Default: warnings and errors to standard error. */
  logger?: Logger;
  /** Errors that have no caller to go to (a failed batch write, …). Default: logged as errors. */
  onError?: (err: unknown) => void;
  /** Shows a native notification (the desktop app): messages to the `desktop` target are delivered here; without it, they wait for a process that has one. */
  desktopNotifier?: (notice: DesktopNotice) => void;
  /** Sees every line a run prints, as it is read (the CLI prints them). */
  onLines?: (run: RunInfo, stream: LogStream, lines: readonly string[]) => void;
  /** Sees each progress report of a run (the CLI draws a bar). */
  onProgress?: (run: RunInfo, progress: Progress) => void;
}

export type EngineConfig = Readonly<
  Required<Omit<EngineOptions, 'database' | 'memoryStore' | 'nodePath' | 'nativeBinding' | 'launcherPath' | 'helperPath' | 'onLines' | 'onProgress' | 'desktopNotifier' | 'restartProcess'>> &
    Pick<EngineOptions, 'database' | 'memoryStore' | 'nodePath' | 'nativeBinding' | 'launcherPath' | 'helperPath' | 'onLines' | 'onProgress' | 'desktopNotifier' | 'restartProcess'>
>;

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min) throw new RangeError(`engine option ${name} must be a number of at least ${min}, not ${value}`);
  return value;
}

export function resolveEngineOptions(o: EngineOptions): EngineConfig {
  if (!o.dataDir) throw new RangeError('engine option dataDir is required');
  if (o.memoryStore && o.database) throw new RangeError('engine options memoryStore and database exclude each other');
  if (o.memoryStore && o.scheduler !== false) throw new RangeError('engine option memoryStore needs scheduler: false (nothing would be left of what it fires)');
  const logger = o.logger ?? streamLogger('warn');
  return Object.freeze({
    ...o,
    dataDir: o.dataDir,
    scheduler: o.scheduler ?? true,
    startScheduler: o.startScheduler ?? true,
    hostKind: o.hostKind ?? 'jobdeck',
    concurrency: Math.floor(positive('concurrency', o.concurrency, Math.max(2, cpus().length * 2))),
    spawner: o.spawner ?? 'launcher',
    launchers: Math.floor(positive('launchers', o.launchers, defaultLauncherCount())),
    startLaunchers: o.startLaunchers ?? false,
    backgroundCheckpoints: o.backgroundCheckpoints ?? true,
    nodeAddress: o.nodeAddress ?? 'local',
    registerNode: o.registerNode ?? false,
    nodeLeaseMs: positive('nodeLeaseMs', o.nodeLeaseMs, 30_000, 1000),
    warmMax: Math.min(16, Math.floor(positive('warmMax', o.warmMax, LAUNCHER_DEFAULTS.warmMax, 0))),
    warmWindowMs: positive('warmWindowMs', o.warmWindowMs, LAUNCHER_DEFAULTS.warmWindowMs, 100),
    killGraceMs: positive('killGraceMs', o.killGraceMs, 5000, 0),
    closeGraceMs: positive('closeGraceMs', o.closeGraceMs, LAUNCHER_DEFAULTS.closeGraceMs, 0),
    leftoverGraceMs: positive('leftoverGraceMs', o.leftoverGraceMs, LAUNCHER_DEFAULTS.leftoverGraceMs, 0),
    flushMs: positive('flushMs', o.flushMs, 25, 0),
    maxBatch: positive('maxBatch', o.maxBatch, 4000),
    logMaxBytes: positive('logMaxBytes', o.logMaxBytes, 100 * 1024 * 1024, 1024),
    logPageBytes: positive('logPageBytes', o.logPageBytes, 4 * 1024 * 1024, 1024),
    retentionRecheckMs: positive('retentionRecheckMs', o.retentionRecheckMs, 2000, 0),
    folderSweepMs: positive('folderSweepMs', o.folderSweepMs, 600_000, 1000),
    peerIdleMs: positive('peerIdleMs', o.peerIdleMs, 30_000, 100),
    pollMs: positive('pollMs', o.pollMs, 500, 10),
    recoveryEveryMs: positive('recoveryEveryMs', o.recoveryEveryMs, 30_000, 10),
    notifyPollMs: positive('notifyPollMs', o.notifyPollMs, 2000, 10),
    notifyRetryMs: positive('notifyRetryMs', o.notifyRetryMs, 30_000, 1),
    notifyDrainMs: positive('notifyDrainMs', o.notifyDrainMs, 10_000, 0),
    notifySmtpTimeoutMs: positive('notifySmtpTimeoutMs', o.notifySmtpTimeoutMs, 20_000, 100),
    env: o.env ?? process.env,
    nativeBinding: o.nativeBinding ?? (process.env.JOBDECK_NATIVE_BINDING || undefined),
    clock: o.clock ?? systemClock,
    logger,
    onError: o.onError ?? ((err: unknown) => logger.error('background error', err)),
  });
}
