/**
 * Starting a launcher process, possibly before the engine exists. `jobdeck
 * run` (bin/jobdeck.cjs) forks its launcher first thing, so that the
 * launcher's own Node start (~0.1 s) happens while the CLI's modules load,
 * instead of after the engine has opened its folder; the engine's
 * LauncherPort takes that process over when it was started from the same
 * file with the same options, else stops it and starts its own. Imports
 * nothing but node:child_process, so the bin can load it on its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { HostOptions } from './launcherProtocol';

/** The launcher options an engine passes unless told otherwise (its defaults; see options.ts). */
/** spareFolders: a burst of 200 runs due at once finds its folders made (spareFolders.ts), even with one launcher. */
export const LAUNCHER_DEFAULTS = Object.freeze({ closeGraceMs: 1000, leftoverGraceMs: 2000, warmMax: 4, warmWindowMs: 60_000, spareFolders: 256 });

/** A launcher: plain Node (ELECTRON_RUN_AS_NODE in the desktop app), JSON over IPC, its options in its environment. */
export function forkLauncher(path: string, options: HostOptions): ChildProcess {
  return fork(path, [], {
    execArgv: [],
    serialization: 'json',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', JOBDECK_LAUNCHER_OPTIONS: JSON.stringify(options) },
  });
}

const keyOf = (path: string, options: HostOptions): string =>
  JSON.stringify([path, Object.entries(options).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))]);

interface Prestarted {
  key: string;
  child: ChildProcess;
  /** What it said before it was taken over (its `ready`). */
  messages: unknown[];
  hold: (message: unknown) => void;
}

/** One slot for the whole process: the bin and the CLI bundle each hold a copy of this module. */
const SLOT = Symbol.for('jobdeck.prestartedLauncher');
const slot = globalThis as { [SLOT]?: Prestarted };

/**
 * Forks a launcher now for an engine this process will open. It keeps
 * nothing alive: if no engine takes it, this process exits as if it were not
 * there, and the launcher, disconnected, exits too.
 */
export function prestartLauncher(path: string, options: HostOptions = LAUNCHER_DEFAULTS): void {
  if (slot[SLOT]) return;
  const child = forkLauncher(path, options);
  const messages: unknown[] = [];
  const hold = (message: unknown) => messages.push(message);
  child.on('message', hold);
  child.on('error', () => {});
  child.unref();
  child.channel?.unref();
  slot[SLOT] = { key: keyOf(path, options), child, messages, hold };
}

/**
 * The launcher started ahead for this file and these options, with what it
 * said so far; null when there is none (or it is gone, or was started
 * differently: then it is stopped).
 */
export function takePrestartedLauncher(path: string, options: HostOptions): { child: ChildProcess; messages: unknown[] } | null {
  const p = slot[SLOT];
  if (!p) return null;
  delete slot[SLOT];
  p.child.off('message', p.hold);
  if (p.key !== keyOf(path, options) || p.child.exitCode !== null || p.child.signalCode !== null || !p.child.connected) {
    p.child.kill('SIGKILL');
    return null;
  }
  p.child.ref();
  p.child.channel?.ref();
  return { child: p.child, messages: p.messages };
}
