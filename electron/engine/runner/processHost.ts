/**
 * Starts job processes and reports what they do, as the messages of
 * launcherProtocol.ts. It runs either inside the small launcher process
 * (serve, desktop, CLI) or inside the engine (the inline port), so the same
 * code and the same messages serve both.
 *
 * Each run is spawned in a process group of its own (POSIX), so a timeout or
 * a cancel stops the whole tree: SIGTERM to the group, SIGKILL after a grace
 * period. When the main process exits, whatever it left in its group is
 * stopped the same way, and processes that left the group but carry the
 * run's key are found and stopped too; the exit report says what was found
 * and what could not be stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter } from './lineSplitter';
import type { HostMessage, HostOptions, Leftovers, SpawnRequest } from './launcherProtocol';
import { countEntries, prepareRun } from './runFolders';
import { canSearchProcesses, groupRunning, KeySearch, RUN_KEY_VAR, signalGroup, stopProcesses } from './processTree';
import { defaultWarmNodePath, WarmPool } from './warmPool';
import { SpareFolders } from './spareFolders';

const isWindows = process.platform === 'win32';

interface Proc {
  child: ChildProcess;
  pid: number;
  runKey: string;
  spawned: boolean;
  startAt: number;
  out: LineSplitter;
  err: LineSplitter;
  code: number | null;
  signal: string | null;
  exitAt: number;
  inGroup: boolean;
  done: boolean;
  closeTimer: NodeJS.Timeout | null;
  outputDir: string | undefined;
  /** The output pipes have closed. */
  closed: boolean;
  /** No process of the run's group is left. */
  groupGone: boolean;
  /** A terminate that came before the process was reported spawned (its grace), carried out once it is. */
  pendingTerminate: number | null;
}

/** A timer that does not keep the process alive on its own. */
function later(fn: () => void, ms: number): void {
  setTimeout(fn, ms).unref();
}

/** This process's environment minus the unset names, made once per set of names (it does not change). */
let baseEnv: { key: string; env: Record<string, string> } | null = null;

/** This process's environment, minus `unsetEnv`, plus `env` and the run's key. Requests carry only the difference. */
function childEnv(req: SpawnRequest): Record<string, string> {
  const key = req.unsetEnv.join('\u0000');
  if (baseEnv?.key !== key) {
    const env: Record<string, string> = {};
    const exact = new Set(req.unsetEnv.filter((u) => !u.endsWith('*')));
    const prefixes = req.unsetEnv.filter((u) => u.endsWith('*')).map((u) => u.slice(0, -1));
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined || exact.has(k) || prefixes.some((p) => k.startsWith(p))) continue;
      env[k] = v;
    }
    baseEnv = { key, env };
  }
  return { ...baseEnv.env, ...req.env, [RUN_KEY_VAR]: req.runKey };
}

export class ProcessHost {
  private readonly closeGraceMs: number;
  private readonly leftoverGraceMs: number;
  private readonly maxLineBytes: number | undefined;
  private readonly procs = new Map<number, Proc>();
  /** Runs whose exit is being settled (leftovers being stopped). */
  private readonly settling = new Set<number>();
  private readonly search = new KeySearch();
  /** Pre-started interpreters runs marked `warm` may start in. */
  readonly warm: WarmPool;
  /** Run folders made ahead of time (none unless the options ask). */
  readonly spares: SpareFolders;
  private paused = false;

  constructor(
    private readonly emit: (msg: HostMessage) => void,
    options: HostOptions = {},
  ) {
    this.closeGraceMs = options.closeGraceMs ?? 1000;
    this.leftoverGraceMs = options.leftoverGraceMs ?? 2000;
    this.maxLineBytes = options.maxLineBytes;
    this.spares = new SpareFolders(options.spareFolders ?? 0);
    this.warm = new WarmPool({ max: options.warmMax, windowMs: options.warmWindowMs, nodeBootstrap: options.warmNodePath ?? defaultWarmNodePath() });
  }

  get size(): number {
    return this.procs.size + this.settling.size;
  }

  /**
   * The pid of a run's main process, known as soon as spawn() returned
   * (before the 'spawned' message, which waits for Node's spawn event);
   * undefined when it did not start or has been reported.
   */
  pidOf(id: number): number | undefined {
    const pid = this.procs.get(id)?.pid;
    return pid !== undefined && pid > 0 ? pid : undefined;
  }

  /** Makes the run's folder (when asked), then starts it: in the order asked, nothing queued. */
  spawn(req: SpawnRequest): void {
    if (req.prepare) {
      try {
        prepareRun(req.prepare, this.spares);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        this.emit({ t: 'failed', id: req.id, reason: 'PREPARE', message: `could not prepare the run folder: ${e.message}`, errno: e.code ?? null });
        return;
      }
    }
    this.start(req);
  }

  private start(req: SpawnRequest): void {
    const env = childEnv(req);
    // A pre-started interpreter, already told to become this run (null: start it cold).
    const warm = req.warm ? this.warm.take(req, env) : null;
    let child: ChildProcess;
    try {
      child =
        warm ??
        spawn(req.command, req.args, {
          cwd: req.cwd,
          env,
          detached: !isWindows,
          stdio: ['ignore', 'pipe', 'pipe'],
          windowsHide: true,
        });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.emit({ t: 'failed', id: req.id, reason: 'SPAWN', message: e.message, errno: e.code ?? null });
      return;
    }
    const proc: Proc = {
      child,
      pid: child.pid ?? -1,
      runKey: req.runKey,
      spawned: false,
      startAt: Date.now(),
      out: new LineSplitter(this.maxLineBytes),
      err: new LineSplitter(this.maxLineBytes),
      code: null,
      signal: null,
      exitAt: 0,
      inGroup: false,
      done: false,
      closeTimer: null,
      outputDir: req.outputDir,
      closed: false,
      groupGone: true,
      pendingTerminate: null,
    };
    this.procs.set(req.id, proc);

    if (warm) {
      proc.spawned = true;
      this.emit({ t: 'spawned', id: req.id, pid: proc.pid, at: proc.startAt, warm: true });
    } else {
      child.once('spawn', () => {
        proc.spawned = true;
        this.emit({ t: 'spawned', id: req.id, pid: proc.pid, at: proc.startAt });
        if (proc.pendingTerminate !== null) this.terminate(req.id, proc.pendingTerminate);
      });
    }
    child.once('error', (err) => {
      if (proc.spawned) return;
      const e = err as NodeJS.ErrnoException;
      proc.done = true;
      this.procs.delete(req.id);
      this.emit({ t: 'failed', id: req.id, reason: 'SPAWN', message: e.message, errno: e.code ?? null });
    });
    child.stdout?.on('data', (chunk: Buffer) => this.lines(req.id, 'stdout', proc.out.push(chunk)));
    child.stderr?.on('data', (chunk: Buffer) => this.lines(req.id, 'stderr', proc.err.push(chunk)));
    if (this.paused) {
      child.stdout?.pause();
      child.stderr?.pause();
    }
    child.once('exit', (code, signal) => {
      if (!proc.spawned) return;
      proc.code = code;
      proc.signal = signal;
      proc.exitAt = Date.now();
      let wait = this.closeGraceMs;
      if (!isWindows && groupRunning(proc.pid)) {
        // Something the run started is still alive in its group: stop it, and
        // report the run ended only once the group is gone.
        proc.inGroup = true;
        proc.groupGone = false;
        signalGroup(proc.pid, 'SIGTERM');
        later(() => signalGroup(proc.pid, 'SIGKILL'), this.leftoverGraceMs);
        const deadline = Date.now() + this.leftoverGraceMs + 500;
        // Looked at often at first (most leftovers die at the SIGTERM), then less (each look may read /proc).
        let every = 10;
        const watch = () => {
          if (!groupRunning(proc.pid) || Date.now() > deadline) {
            proc.groupGone = true;
            if (proc.closed) this.finish(req.id, proc);
          } else setTimeout(watch, (every = Math.min(100, every * 2)));
        };
        setTimeout(watch, 5);
        wait += this.leftoverGraceMs;
      }
      proc.closeTimer = setTimeout(() => {
        // Pipes still held open (by a process outside the group): stop reading.
        child.stdout?.destroy();
        child.stderr?.destroy();
        proc.closed = true;
        proc.groupGone = true;
        this.finish(req.id, proc);
      }, wait);
    });
    child.once('close', () => {
      proc.closed = true;
      if (proc.groupGone) this.finish(req.id, proc);
    });
  }

  private lines(id: number, stream: 'stdout' | 'stderr', lines: string[]): void {
    if (lines.length > 0) this.emit({ t: 'lines', id, stream, at: Date.now(), lines });
  }

  /**
   * The main process and its group are gone: report the exit at once (the
   * run's slot is free), then look for processes that left the group and
   * report that too (`settled`, the run's last message).
   */
  private finish(id: number, proc: Proc): void {
    if (proc.done || !proc.spawned) return;
    proc.done = true;
    if (proc.closeTimer) clearTimeout(proc.closeTimer);
    this.lines(id, 'stdout', proc.out.end());
    this.lines(id, 'stderr', proc.err.end());
    this.procs.delete(id);
    this.settling.add(id);
    this.emit({ t: 'exit', id, code: proc.code, signal: proc.signal, at: proc.exitAt || Date.now(), outputFiles: countEntries(proc.outputDir) });
    void this.stopEscaped(proc).then((leftovers) => {
      this.settling.delete(id);
      this.emit({ t: 'settled', id, leftovers });
    });
  }

  private async stopEscaped(proc: Proc): Promise<Leftovers | null> {
    const escaped = await this.search.find(proc.runKey, proc.pid);
    const survivors = escaped.length ? await stopProcesses(escaped, this.leftoverGraceMs) : [];
    if (!proc.inGroup && escaped.length === 0) return null;
    return { inGroup: proc.inGroup, escaped: escaped.length, survivors, searched: canSearchProcesses };
  }

  /** Stops a run's whole process tree: SIGTERM now, SIGKILL after graceMs. */
  terminate(id: number, graceMs: number): void {
    const proc = this.procs.get(id);
    if (!proc) return;
    if (!proc.spawned) {
      // Asked in the same turn as the spawn (a cancel as the run starts): stopped as soon as it exists.
      proc.pendingTerminate = graceMs;
      return;
    }
    if (isWindows) {
      signalGroup(proc.pid, 'SIGKILL');
      return;
    }
    signalGroup(proc.pid, 'SIGTERM');
    later(() => signalGroup(proc.pid, 'SIGKILL'), graceMs);
  }

  /** SIGKILL to every group still running (last resort, synchronous). */
  killAll(): void {
    for (const proc of this.procs.values()) if (proc.spawned) signalGroup(proc.pid, 'SIGKILL');
  }

  /** Terminates everything and resolves when every process has been reported. */
  shutdown(graceMs: number): Promise<void> {
    for (const id of [...this.procs.keys()]) this.terminate(id, graceMs);
    this.spares.close();
    const drained = this.warm.drain();
    const runs = new Promise<void>((resolve) => {
      // After the grace period everything still running is killed; then
      // wait (a little) for those exits to be reported too.
      const killAt = Date.now() + graceMs + this.closeGraceMs + 500;
      const giveUpAt = killAt + 2 * this.leftoverGraceMs + 1500;
      let killed = false;
      const check = () => {
        if (this.size === 0) return resolve();
        const now = Date.now();
        if (!killed && now > killAt) {
          killed = true;
          this.killAll();
        }
        if (now > giveUpAt) return resolve();
        setTimeout(check, 20);
      };
      check();
    });
    return Promise.all([runs, drained]).then(() => {});
  }

  /** Stops reading every process's output (flow control when the reader falls behind). */
  pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    for (const proc of this.procs.values()) {
      proc.child.stdout?.pause();
      proc.child.stderr?.pause();
    }
  }

  resumeAll(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const proc of this.procs.values()) {
      proc.child.stdout?.resume();
      proc.child.stderr?.resume();
    }
  }
}
