// @ts-check
/**
 * Starts job processes and reports what they do, as plain messages. It runs
 * either inside the engine (the CLI) or inside the small launcher process
 * (serve and desktop), so the same code and the same messages serve both.
 *
 * Each run is spawned in a process group of its own (POSIX), so a timeout or
 * a cancel stops the whole tree: SIGTERM to the group, SIGKILL after a grace
 * period. When the main process exits, any process it left behind in its
 * group is stopped the same way: a run leaves no orphans.
 *
 * Messages:
 *   {t:'spawned', id, pid, at}
 *   {t:'lines', id, stream:'stdout'|'stderr', at, lines:string[]}
 *   {t:'exit', id, code, signal, at, leftovers, outputFiles}
 *   {t:'error', id, message, errno}      (the run folder could not be prepared, or the process not started)
 */
import { execFile, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { LineSplitter } from './lineSplitter.mjs';

const isWindows = process.platform === 'win32';

/**
 * @typedef {{ id: number, command: string, args: string[], cwd: string, env: Record<string, string>, unsetEnv?: string[],
 *   prepare?: Prepare, outputDir?: string }} SpawnRequest
 *   env: variables set for the child on top of this process's environment;
 *   unsetEnv: names (or name prefixes ending in '*') removed from it;
 *   prepare: the run's folder to make before spawning (see Prepare), done here so the engine's
 *     thread never waits on the disk;
 *   outputDir: looked at when the process ends, to report whether it holds any file.
 * @typedef {{ parents: string[], dirs: string[], files: { path: string, content: string }[], spare?: string }} Prepare
 *   parents: folders above the run's (made once, then remembered); dirs: the run's folder and
 *   its subfolders, outermost first; files: written inside; spare: a folder made the same way
 *   ahead of time (for the job's next run), renamed into place when present.
 * @typedef {{ t: 'spawned', id: number, pid: number, at: number }
 *   | { t: 'lines', id: number, stream: 'stdout' | 'stderr', at: number, lines: string[] }
 *   | { t: 'exit', id: number, code: number | null, signal: string | null, at: number, leftovers: boolean, outputFiles: number }
 *   | { t: 'error', id: number, message: string, errno: string | null }} HostMessage
 * @typedef {{ closeGraceMs?: number, leftoverGraceMs?: number, maxLineBytes?: number }} HostOptions
 */

/**
 * @typedef {object} Proc
 * @property {import('node:child_process').ChildProcess} child
 * @property {number} pid
 * @property {boolean} spawned
 * @property {number} startAt
 * @property {LineSplitter} out
 * @property {LineSplitter} err
 * @property {number | null} code
 * @property {string | null} signal
 * @property {number} exitAt
 * @property {boolean} leftovers
 * @property {boolean} done
 * @property {NodeJS.Timeout | null} closeTimer
 * @property {string | undefined} outputDir
 * @property {boolean} closed       the output pipes have closed
 * @property {boolean} groupGone    no process of the run's group is left
 */

/** Folders known to exist (job folders are made once). */
const madeDirs = new Set();

/**
 * Makes a run's folder: its parents (once), then the folder with its files,
 * on libuv's thread pool so that preparing one run overlaps with spawning
 * others. Creating folders and files is slow on some disks (over a
 * millisecond each); a rename is not, so when a spare folder was made ahead
 * of time for this job and script, it is renamed into place instead.
 * @param {Prepare} prepare
 */
async function prepareRun(prepare) {
  for (const dir of prepare.parents) {
    if (madeDirs.has(dir)) continue;
    await mkdirOnce(dir);
    madeDirs.add(dir);
  }
  if (prepare.spare) {
    try {
      await rename(prepare.spare, /** @type {string} */ (prepare.dirs[0]));
      return;
    } catch {
      // No spare (first run, script changed, taken by another process): make it now.
    }
  }
  await makeFolder(prepare.dirs, prepare.files);
}

/** @param {string} dir */
async function mkdirOnce(dir) {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = /** @type {NodeJS.ErrnoException} */ (err).code;
    if (code === 'ENOENT') await mkdir(dir, { recursive: true });
    else if (code !== 'EEXIST') throw err;
  }
}

/**
 * @param {string[]} dirs
 * @param {{ path: string, content: string }[]} files
 */
async function makeFolder(dirs, files) {
  for (const dir of dirs) await mkdir(dir);
  await Promise.all(files.map((file) => writeFile(file.path, file.content, { mode: 0o700 })));
}

/**
 * Makes the spare for a job's next run: the same folder and script under a
 * temporary name, renamed to the spare's name only once complete (a run must
 * never take a half-made spare). Best effort, off the critical path; a
 * failure only means the next run makes its folder itself.
 * @param {Prepare} prepare
 */
function makeSpare(prepare) {
  const spare = prepare.spare;
  const runDir = prepare.dirs[0];
  if (!spare || !runDir) return;
  const temp = `${spare}.making-${process.pid}-${++spareSeq}`;
  const move = (/** @type {string} */ p) => temp + p.slice(runDir.length);
  void makeFolder(
    prepare.dirs.map(move),
    prepare.files.map((f) => ({ path: move(f.path), content: f.content })),
  )
    .then(() => rename(temp, spare))
    .catch(() => rm(temp, { recursive: true, force: true }))
    .catch(() => undefined);
}
let spareSeq = 0;

/** How many entries a folder holds (0 when it is missing). */
function countEntries(/** @type {string | undefined} */ dir) {
  if (!dir) return 0;
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}


/** Sends a signal to a whole process group; false when the group is gone. */
export function signalGroup(/** @type {number} */ pid, /** @type {NodeJS.Signals | 0} */ signal) {
  if (isWindows) {
    if (signal === 0) return false;
    execFile('taskkill', ['/pid', String(pid), '/T', '/F'], () => {});
    return true;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** A timer that does not keep the process alive on its own. */
function later(/** @type {() => void} */ fn, /** @type {number} */ ms) {
  setTimeout(fn, ms).unref();
}

/**
 * This process's environment, minus `unsetEnv`, plus `env`. Requests carry
 * only the difference, so a spawn message stays small.
 * @param {SpawnRequest} req
 */
function childEnv(req) {
  const unset = req.unsetEnv ?? [];
  const key = unset.join('\u0000');
  if (baseEnv?.key !== key) {
    /** @type {Record<string, string>} */
    const env = {};
    const exact = new Set(unset.filter((u) => !u.endsWith('*')));
    const prefixes = unset.filter((u) => u.endsWith('*')).map((u) => u.slice(0, -1));
    for (const [k, v] of Object.entries(process.env)) {
      if (v === undefined || exact.has(k) || prefixes.some((p) => k.startsWith(p))) continue;
      env[k] = v;
    }
    baseEnv = { key, env };
  }
  return { ...baseEnv.env, ...req.env };
}

/** This process's environment minus the unset names, made once (it does not change). @type {{ key: string, env: Record<string, string> } | null} */
let baseEnv = null;

export class ProcessHost {
  /**
   * @param {(msg: HostMessage) => void} emit
   * @param {HostOptions} [options]
   */
  constructor(emit, options = {}) {
    this.emit = emit;
    /** How long to wait for output pipes to close after the main process exits. */
    this.closeGraceMs = options.closeGraceMs ?? 1000;
    /** SIGTERM to SIGKILL delay for processes left behind by an exited run. */
    this.leftoverGraceMs = options.leftoverGraceMs ?? 2000;
    this.maxLineBytes = options.maxLineBytes;
    /** @type {Map<number, Proc>} */
    this.procs = new Map();
    /** Runs whose folder is being prepared. @type {Set<number>} */
    this.preparing = new Set();
    /** Runs waiting to start, in the order asked. @type {{ req: SpawnRequest, ready: boolean }[]} */
    this.startQueue = [];
    this.paused = false;
  }

  get size() {
    return this.procs.size + this.preparing.size;
  }

  /** @param {SpawnRequest} req */
  spawn(req) {
    const prepare = req.prepare;
    if (!prepare) {
      this.startQueue.push({ req, ready: true });
      return this.startReady();
    }
    const entry = { req, ready: false };
    this.startQueue.push(entry);
    this.preparing.add(req.id);
    prepareRun(prepare).then(
      () => {
        entry.ready = true;
        this.startReady();
        makeSpare(prepare);
      },
      (err) => {
        entry.ready = true;
        if (this.preparing.delete(req.id)) {
          this.emit({ t: 'error', id: req.id, message: `could not prepare the run folder: ${err.message}`, errno: 'EPREPARE' });
        }
        this.startReady();
      },
    );
  }

  /**
   * Starts prepared runs in the order they were asked for (folders are made
   * concurrently and may finish out of order; runs start first in, first out).
   */
  startReady() {
    while (this.startQueue.length && this.startQueue[0]?.ready) {
      const { req } = /** @type {{ req: SpawnRequest }} */ (this.startQueue.shift());
      // Terminated while its folder was being made (or the folder failed): never started.
      if (!req.prepare || this.preparing.delete(req.id)) this.start(req);
    }
  }

  /** @param {SpawnRequest} req */
  start(req) {
    /** @type {import('node:child_process').ChildProcess} */
    let child;
    try {
      child = spawn(req.command, req.args, {
        cwd: req.cwd,
        env: childEnv(req),
        detached: !isWindows,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      this.emit({ t: 'error', id: req.id, message: e.message, errno: e.code ?? null });
      return;
    }
    const startAt = Date.now();
    /** @type {Proc} */
    const proc = {
      child,
      pid: child.pid ?? -1,
      spawned: false,
      startAt,
      out: new LineSplitter(this.maxLineBytes),
      err: new LineSplitter(this.maxLineBytes),
      code: null,
      signal: null,
      exitAt: 0,
      leftovers: false,
      done: false,
      closeTimer: null,
      outputDir: req.outputDir,
      closed: false,
      groupGone: true,
    };
    this.procs.set(req.id, proc);

    child.once('spawn', () => {
      proc.spawned = true;
      this.emit({ t: 'spawned', id: req.id, pid: proc.pid, at: startAt });
    });
    child.once('error', (err) => {
      if (proc.spawned) return;
      const e = /** @type {NodeJS.ErrnoException} */ (err);
      proc.done = true;
      this.procs.delete(req.id);
      this.emit({ t: 'error', id: req.id, message: e.message, errno: e.code ?? null });
    });
    child.stdout?.on('data', (/** @type {Buffer} */ chunk) => this.lines(req.id, 'stdout', proc.out.push(chunk)));
    child.stderr?.on('data', (/** @type {Buffer} */ chunk) => this.lines(req.id, 'stderr', proc.err.push(chunk)));
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
      if (!isWindows && signalGroup(proc.pid, 0)) {
        // Something the run started is still alive in its group: stop it, and
        // report the run ended only once the group is gone.
        proc.leftovers = true;
        proc.groupGone = false;
        signalGroup(proc.pid, 'SIGTERM');
        later(() => signalGroup(proc.pid, 'SIGKILL'), this.leftoverGraceMs);
        const deadline = Date.now() + this.leftoverGraceMs + 500;
        const watch = () => {
          if (!signalGroup(proc.pid, 0) || Date.now() > deadline) {
            proc.groupGone = true;
            if (proc.closed) this.finish(req.id, proc);
          } else setTimeout(watch, 10);
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

  /**
   * @param {number} id
   * @param {'stdout' | 'stderr'} stream
   * @param {string[]} lines
   */
  lines(id, stream, lines) {
    if (lines.length > 0) this.emit({ t: 'lines', id, stream, at: Date.now(), lines });
  }

  /**
   * @param {number} id
   * @param {Proc} proc
   */
  finish(id, proc) {
    if (proc.done || !proc.spawned) return;
    proc.done = true;
    if (proc.closeTimer) clearTimeout(proc.closeTimer);
    this.lines(id, 'stdout', proc.out.end());
    this.lines(id, 'stderr', proc.err.end());
    this.procs.delete(id);
    this.emit({
      t: 'exit',
      id,
      code: proc.code,
      signal: proc.signal,
      at: proc.exitAt || Date.now(),
      leftovers: proc.leftovers,
      outputFiles: countEntries(proc.outputDir),
    });
  }

  /**
   * Stops a run's whole process tree: SIGTERM now, SIGKILL after graceMs.
   * @param {number} id
   * @param {number} graceMs
   */
  terminate(id, graceMs) {
    if (this.preparing.delete(id)) {
      this.emit({ t: 'error', id, message: 'stopped before it started', errno: 'ECANCELED' });
      return;
    }
    const proc = this.procs.get(id);
    if (!proc || !proc.spawned) return;
    if (isWindows) {
      signalGroup(proc.pid, 'SIGKILL');
      return;
    }
    signalGroup(proc.pid, 'SIGTERM');
    later(() => signalGroup(proc.pid, 'SIGKILL'), graceMs);
  }

  /** SIGKILL to every group still running (last resort, synchronous). */
  killAll() {
    for (const proc of this.procs.values()) if (proc.spawned) signalGroup(proc.pid, 'SIGKILL');
  }

  /**
   * Terminates everything and resolves when every process has been reported.
   * @param {number} graceMs
   * @returns {Promise<void>}
   */
  shutdown(graceMs) {
    for (const id of [...this.preparing]) this.terminate(id, graceMs);
    for (const id of this.procs.keys()) this.terminate(id, graceMs);
    return new Promise((resolve) => {
      // After the grace period everything still running is killed; then
      // wait (a little) for those exits to be reported too.
      const killAt = Date.now() + graceMs + this.closeGraceMs + 500;
      const giveUpAt = killAt + this.leftoverGraceMs + 1000;
      let killed = false;
      const check = () => {
        if (this.procs.size === 0 && this.preparing.size === 0) return resolve();
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
  }

  /** Stops reading every process's output (flow control when the reader falls behind). */
  pauseAll() {
    if (this.paused) return;
    this.paused = true;
    for (const proc of this.procs.values()) {
      proc.child.stdout?.pause();
      proc.child.stderr?.pause();
    }
  }

  resumeAll() {
    if (!this.paused) return;
    this.paused = false;
    for (const proc of this.procs.values()) {
      proc.child.stdout?.resume();
      proc.child.stderr?.resume();
    }
  }
}
