/**
 * Finding and stopping a run's processes. Each run is spawned in a process
 * group of its own (POSIX), so one signal reaches its whole tree; a process
 * that left the group (a daemon started with setsid) is found by the run's
 * key in its environment (JOBDECK_RUN_KEY), read from /proc where there is
 * one (Linux).
 */
import { execFile } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';

const isWindows = process.platform === 'win32';

const procBuffer = Buffer.allocUnsafe(64 * 1024);

/**
 * A /proc file's text, read with one open, read and close: readFileSync also
 * asks for the file's size (always 0 here) and reads again to find the end,
 * which made a search of a few hundred processes cost twice the syscalls (about
 * 55 against 28 µs a file on these machines; a launcher searches after runs end,
 * up to ten times a second under load). A file longer than the buffer (a large
 * environment) is read whole the usual way. Throws as readFileSync does.
 */
function readProc(path: string): string {
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, procBuffer, 0, procBuffer.length, null);
  } finally {
    closeSync(fd);
  }
  return n < procBuffer.length ? procBuffer.toString('latin1', 0, n) : readFileSync(path, 'latin1');
}

export const RUN_KEY_VAR = 'JOBDECK_RUN_KEY';

/** Sends a signal to a whole process group; false when the group is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
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

/** Sends a signal to one process; false when it is gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Is a process alive and not a zombie waiting to be reaped? */
export function isRunning(pid: number): boolean {
  if (!signalProcess(pid, 0)) return false;
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return true;
  }
}

/** True where processes can be found by their environment. */
export const canSearchProcesses = process.platform === 'linux' && existsSync('/proc/self/environ');

function lastPid(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'latin1'));
  } catch {
    return Number.NaN;
  }
}

/**
 * Does a process group still hold a running process? A member that has
 * exited answers signals until it is reaped, and an orphan is reaped by
 * whatever adopted it: at once by an init system, seconds later by some
 * container supervisors, never by a Node process that is PID 1 or a child
 * subreaper (Node reaps only its own children). Where /proc can be read, a
 * group whose members are all such zombies is not running. Only what /proc
 * shows counts against the signal: a group whose members it does not show
 * at all (another PID namespace's /proc) is taken as running.
 */
export function groupRunning(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (!canSearchProcesses) return true;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  const pids = names.filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57).map(Number);
  let zombies = 0;
  // Newer pids first: members were made after the leader, unless the numbers wrapped around since.
  for (const older of [false, true]) {
    for (const pid of pids) {
      if (pid < pgid !== older) continue;
      let stat: string;
      try {
        stat = readProc(`/proc/${pid}/stat`);
      } catch {
        continue; // gone
      }
      // After the command's name: state, ppid, pgrp.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(pgrp) !== pgid) continue;
      if (state !== 'Z') return true;
      zombies++;
    }
  }
  return zombies === 0;
}

/**
 * The run keys of processes read by earlier searches, by pid. A process's
 * environment (as /proc shows it) changes only when it executes another
 * program; a job's process is read once, not at every pass of its life (three
 * busy nodes on one machine read a few hundred each, up to ten times a second).
 * Only keys are kept: a process without one may be a launcher's child between
 * fork and exec, about to get one. A pid is not read from the cache once pids
 * have wrapped around since (`lastPid` went down): it may be another process.
 */
export interface KnownKeys {
  keys: Map<number, string>;
  lastPid: number;
}

export const newKnownKeys = (): KnownKeys => ({ keys: new Map(), lastPid: 0 });

const KEY_PREFIX = `\0${RUN_KEY_VAR}=`;

/** The run key in a process's environment, or null (gone, not ours to read, or none). */
function runKeyOf(pid: number): string | null {
  let environ: string;
  try {
    environ = `\0${readProc(`/proc/${pid}/environ`)}`;
  } catch {
    return null;
  }
  const at = environ.indexOf(KEY_PREFIX);
  if (at < 0) return null;
  const from = at + KEY_PREFIX.length;
  const to = environ.indexOf('\0', from);
  return environ.slice(from, to < 0 ? environ.length : to);
}

/**
 * Live processes (other than this one) whose environment holds one of the
 * keys, by key. Pids are handed out in increasing order, so only pids at or
 * above the lowest `minPid` are read, unless the numbers wrapped around.
 */
export function findByKeys(wanted: ReadonlyMap<string, number>, known: KnownKeys = newKnownKeys()): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (!canSearchProcesses || wanted.size === 0) return found;
  let floor = Math.min(...wanted.values());
  const last = lastPid();
  if (!(last >= floor)) floor = 0;
  if (!(last >= known.lastPid)) known.keys.clear();
  known.lastPid = Number.isNaN(last) ? 0 : last;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return found;
  }
  const listed = new Set<number>();
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(name);
    listed.add(pid);
    if (pid < floor || pid === process.pid) continue;
    let key = known.keys.get(pid);
    if (key === undefined) {
      const read = runKeyOf(pid);
      if (read === null) continue;
      known.keys.set(pid, (key = read));
    }
    if (!wanted.has(key)) continue;
    const list = found.get(key) ?? [];
    list.push(pid);
    found.set(key, list);
  }
  // Processes gone since: forgotten (their pids will be someone else's).
  for (const pid of known.keys.keys()) if (!listed.has(pid)) known.keys.delete(pid);
  return found;
}

/**
 * Batches searches: runs that end close together share one pass over /proc
 * (a pass reads every newer process's environment, so one per run ending
 * would cost too much when hundreds of runs end each second).
 */
export class KeySearch {
  private pending = new Map<string, { minPid: number; resolve: (pids: number[]) => void }[]>();
  private readonly known = newKnownKeys();
  private scheduled = false;
  private last = 0;

  /** A run ending when no search ran for windowMs is searched for at once; under load, once per window. */
  constructor(private readonly windowMs = 100) {}

  find(key: string, minPid: number): Promise<number[]> {
    if (!canSearchProcesses) return Promise.resolve([]);
    return new Promise((resolve) => {
      const list = this.pending.get(key) ?? [];
      list.push({ minPid, resolve });
      this.pending.set(key, list);
      if (this.scheduled) return;
      this.scheduled = true;
      const wait = this.last + this.windowMs - Date.now();
      // At once: after this turn of the event loop (runs ending in it share the pass), not after a
      // timer's 1 ms minimum, which a run ending alone (`jobdeck run`) would wait for.
      if (wait > 0) setTimeout(() => this.run(), wait);
      else setImmediate(() => this.run());
    });
  }

  private run(): void {
    this.scheduled = false;
    this.last = Date.now();
    const batch = this.pending;
    this.pending = new Map();
    const wanted = new Map<string, number>();
    for (const [key, waiters] of batch) wanted.set(key, Math.min(...waiters.map((w) => w.minPid)));
    let found: Map<string, number[]>;
    try {
      found = findByKeys(wanted, this.known);
    } catch {
      found = new Map();
    }
    for (const [key, waiters] of batch) for (const w of waiters) w.resolve(found.get(key) ?? []);
  }
}

/**
 * Stops processes one by one: SIGTERM, then SIGKILL to those still there
 * after graceMs. Resolves with the pids that survived even that.
 */
export async function stopProcesses(pids: number[], graceMs: number): Promise<number[]> {
  for (const pid of pids) signalProcess(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let alive = pids.filter(isRunning);
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    alive = alive.filter(isRunning);
  }
  for (const pid of alive) signalProcess(pid, 'SIGKILL');
  const settle = Date.now() + 500;
  while (alive.length && Date.now() < settle) {
    await new Promise((r) => setTimeout(r, 10));
    alive = alive.filter(isRunning);
  }
  return alive;
}
