/**
 * Pre-started interpreters (node, python3) waiting for a run. Starting Node
 * costs ~60 ms of CPU (PERFORMANCE.md); a warm process has paid it already
 * and becomes the run in a few milliseconds: it is told the run's
 * environment, folder and argv on fd 3 and runs the script as a fresh
 * process would (warmNode.ts, warmPython.ts). Each one runs exactly one run
 * and exits: nothing is shared between runs.
 *
 * It is spawned the way a cold run is (detached in a process group of its
 * own, stdin /dev/null, stdout and stderr piped and left unread until a run
 * takes it), so timeouts, cancels, signals and the line protocol see no
 * difference. The pool's size follows demand: per runtime, the number of
 * runs that could start warm within the last window, at most `max`; with
 * no such run in a window, it is empty. Variables an interpreter reads only
 * at start-up cannot be changed afterwards: a run whose environment differs
 * from the warm process's (JOBDECK_* aside) starts cold.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SpawnRequest } from './launcherProtocol';
import { signalGroup } from './processTree';
import { PYTHON_BOOTSTRAP } from './warmPython';

const isWindows = process.platform === 'win32';

const isRunVar = (name: string): boolean => name.startsWith('JOBDECK_');

/**
 * What a warm process is started with: the run's environment without
 * Jobdeck's own per-run variables (JOBDECK_*), given to it when a run takes it.
 */
export function startEnvOf(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !isRunVar(k)));
}

/**
 * Whether a process started with `started` can become a run with `wanted`:
 * every variable but JOBDECK_* the same. Variables an interpreter reads only
 * at start (NODE_OPTIONS, PYTHONPATH, PYTHONHASHSEED, locale, …) cannot
 * change afterwards, and a version manager's shim may have changed others
 * at the start by rules of its own: a run whose environment differs in any
 * of them starts cold.
 */
export function startEnvMatches(started: Record<string, string>, wanted: Record<string, string>): boolean {
  let n = 0;
  for (const [k, v] of Object.entries(wanted)) {
    if (isRunVar(k)) continue;
    if (started[k] !== v) return false;
    n++;
  }
  return n === Object.keys(started).length;
}

/** The built Node bootstrap beside this module (launcher bundle, desktop build, or out/node/ of a checkout); null when not built. */
export function defaultWarmNodePath(): string | null {
  for (const rel of ['./warmNode.mjs', './warmNode.js', '../warmNode.js', '../../../out/node/warmNode.mjs']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path) && !path.endsWith('.ts')) return path;
  }
  return null;
}

interface Idle {
  child: ChildProcess;
  key: string;
  /** The environment it was started with. */
  env: Record<string, string>;
  ready: boolean;
  onExit: () => void;
  /** Marks it ready at its bootstrap's first message on fd 3. */
  onReady: () => void;
}

export interface WarmPoolOptions {
  /** Most idle processes per runtime. Default 4; 0 turns the pool off. */
  max?: number;
  /** Demand window, and how long an unwanted idle process is kept (ms). Default 60 000. */
  windowMs?: number;
  /** The Node bootstrap; none: node runs start cold. */
  nodeBootstrap?: string | null;
}

/** Demand remembered per runtime: enough timestamps to reach the cap. */
const DEMAND_KEPT = 16;

export class WarmPool {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly nodeBootstrap: string | null;
  private readonly idle: Idle[] = [];
  private readonly demand = new Map<string, number[]>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: WarmPoolOptions = {}) {
    this.max = isWindows ? 0 : Math.max(0, Math.min(16, options.max ?? 4));
    this.windowMs = options.windowMs ?? 60_000;
    this.nodeBootstrap = options.nodeBootstrap ?? null;
  }

  /** Idle processes (ready or starting), for tests and diagnostics. */
  get size(): number {
    return this.idle.length;
  }

  /** Pids of the idle processes. */
  get pids(): number[] {
    return this.idle.map((i) => i.child.pid ?? -1);
  }

  /**
   * A warm process already running `req` (told its environment, folder and
   * argv), or null when it has to start cold. Either way the demand is
   * counted and the pool refilled after this turn.
   */
  take(req: SpawnRequest, env: Record<string, string>): ChildProcess | null {
    const kind = req.warm;
    if (!kind || this.max === 0 || this.closed || (kind === 'node' && !this.nodeBootstrap)) return null;
    const key = `${kind}\u0000${req.command}`;
    const now = Date.now();
    const times = (this.demand.get(key) ?? []).filter((t) => now - t < this.windowMs);
    times.push(now);
    this.demand.set(key, times.slice(-DEMAND_KEPT));
    const at = this.idle.findIndex((i) => i.key === key && i.ready && startEnvMatches(i.env, env));
    // The template for refills: the run's environment without what belongs to the run alone.
    const startEnv = startEnvOf(env);
    setImmediate(() => this.refill(key, kind, req.command, startEnv));
    if (at < 0) return null;
    const [entry] = this.idle.splice(at, 1);
    const child = entry!.child;
    child.off('exit', entry!.onExit);
    child.ref();
    for (const s of [child.stdout, child.stderr]) (s as { ref?: () => void } | null)?.ref?.();
    const channel = child.stdio[3] as Duplex;
    // Only the pool's own listener goes: removing every listener would take child_process's
    // 'close' bookkeeping with it, and the run would end only when the close grace ran out.
    channel.off('data', entry!.onReady);
    channel.end(`${JSON.stringify({ env, cwd: req.cwd, argv: req.args })}\n`);
    return child;
  }

  private wanted(key: string): number {
    const now = Date.now();
    const recent = (this.demand.get(key) ?? []).filter((t) => now - t < this.windowMs).length;
    return Math.min(this.max, recent);
  }

  private refill(key: string, kind: 'node' | 'python3', command: string, env: Record<string, string>): void {
    if (this.closed) return;
    const have = this.idle.filter((i) => i.key === key).length;
    for (let n = have; n < this.wanted(key); n++) this.start(key, kind, command, env);
    this.watch();
  }

  private start(key: string, kind: 'node' | 'python3', command: string, env: Record<string, string>): void {
    const args = kind === 'node' ? [this.nodeBootstrap!] : ['-c', PYTHON_BOOTSTRAP];
    let child: ChildProcess;
    try {
      child = spawn(command, args, { cwd: tmpdir(), env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    } catch {
      return; // its cold start will say why it cannot run
    }
    const entry: Idle = {
      child,
      key,
      env,
      ready: false,
      onExit: () => this.drop(entry),
      onReady: () => {
        entry.ready = true;
      },
    };
    this.idle.push(entry);
    // An idle process never keeps this process alive; a run that takes it refs it again.
    child.unref();
    for (const s of [child.stdout, child.stderr, child.stdio[3]]) (s as { unref?: () => void } | null)?.unref?.();
    const channel = child.stdio[3] as NodeJS.ReadableStream | null;
    channel?.on('data', entry.onReady);
    // Kept after a run takes it: fd 3 may break as the job's process ends, which is not the run's error.
    channel?.on('error', () => {});
    // Errors after a run took it are the run's (ProcessHost listens); before, the process is just dropped.
    child.on('error', () => this.drop(entry));
    child.once('exit', entry.onExit);
  }

  private drop(entry: Idle): void {
    const at = this.idle.indexOf(entry);
    if (at >= 0) this.idle.splice(at, 1);
  }

  private retire(entry: Idle): void {
    this.drop(entry);
    const pid = entry.child.pid;
    if (pid) signalGroup(pid, 'SIGKILL');
  }

  /** While anything is idle, a slow timer retires what demand no longer asks for. */
  private watch(): void {
    if (this.timer || this.idle.length === 0) return;
    this.timer = setInterval(() => this.prune(), Math.max(50, Math.min(5000, this.windowMs / 4)));
    this.timer.unref();
  }

  private prune(): void {
    const keys = new Set(this.idle.map((i) => i.key));
    for (const key of keys) {
      const mine = this.idle.filter((i) => i.key === key);
      // Oldest first: they were started first and have waited longest.
      for (const entry of mine.slice(0, Math.max(0, mine.length - this.wanted(key)))) this.retire(entry);
    }
    if (this.idle.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Stops every idle process and resolves once each has exited (at most ~2 s). */
  drain(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const entries = this.idle.splice(0);
    return Promise.all(
      entries.map(
        (entry) =>
          new Promise<void>((resolve) => {
            const child = entry.child;
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const done = setTimeout(resolve, 2000);
            child.once('exit', () => {
              clearTimeout(done);
              resolve();
            });
            if (child.pid) signalGroup(child.pid, 'SIGKILL');
          }),
      ),
    ).then(() => {});
  }
}
