/**
 * The engine's side of process hosting: a ProcessHost inside the launcher
 * child process (serve, desktop, CLI), or one in this process (inline; tests
 * run both). Both deliver the same messages (launcherProtocol.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  check,
  launcherEnvelopeSchema,
  type EngineMessage,
  type HostMessage,
  type HostOptions,
  type SpawnRequest,
} from './launcherProtocol';
import { ProcessHost } from './processHost';
import { findByKeys, signalGroup, signalProcess } from './processTree';
import { forkLauncher, takePrestartedLauncher } from './launcherStart';

export interface ProcessPort {
  /** Messages from the host, in order; those that arrived together come together. */
  onMessages: (msgs: HostMessage[]) => void;
  spawn(req: SpawnRequest): void;
  terminate(id: number, graceMs: number): void;
  /** Stops every process (SIGTERM, SIGKILL after graceMs) and resolves when all are reported. */
  shutdown(graceMs: number): Promise<void>;
}

export class InlinePort implements ProcessPort {
  onMessages: (msgs: HostMessage[]) => void = () => {};
  private readonly host: ProcessHost;

  constructor(options: HostOptions = {}) {
    this.host = new ProcessHost((msg) => this.onMessages([msg]), options);
  }

  spawn(req: SpawnRequest): void {
    this.host.spawn(req);
  }

  /** See ProcessHost.pidOf. */
  pidOf(id: number): number | undefined {
    return this.host.pidOf(id);
  }

  terminate(id: number, graceMs: number): void {
    this.host.terminate(id, graceMs);
  }

  shutdown(graceMs: number): Promise<void> {
    return this.host.shutdown(graceMs);
  }
}

/** Instructions in one batch at most (the launcher refuses a larger one). */
const BATCH_MAX = 1000;

/** One message for one instruction, batches for several (kept in order). */
function sendAll(child: ChildProcess, msgs: EngineMessage[]): void {
  for (let i = 0; i < msgs.length; i += BATCH_MAX) {
    const part = msgs.slice(i, i + BATCH_MAX);
    child.send(part.length === 1 ? part[0]! : { t: 'batch', msgs: part });
  }
}

/**
 * The built launcher: next to this module in a bundle (out/node/launcher.mjs
 * for the CLI, out/main/launcher.js in the desktop app), or, when this module
 * runs from its TypeScript source, in out/node/ of the checkout.
 */
export function defaultLauncherPath(): string {
  const candidates = [
    new URL('./launcher.mjs', import.meta.url),
    new URL('./launcher.js', import.meta.url),
    new URL('../../../out/node/launcher.mjs', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path) && !path.endsWith('.ts')) return path;
  }
  throw new Error('the launcher is not built: run `npm run build:node` (npm install does it once)');
}

/**
 * Kills the processes of runs a dead launcher had started without having
 * said so yet (it holds a start report a few ms, launcher.ts): their pids are
 * unknown here, their run keys are not. Each found process is signalled with
 * its group, if it leads one.
 */
function killUnreported(keys: string[]): void {
  if (keys.length === 0) return;
  const wanted = new Map(keys.map((k) => [k, 0]));
  for (const pids of findByKeys(wanted).values()) {
    for (const pid of pids) {
      signalGroup(pid, 'SIGKILL');
      signalProcess(pid, 'SIGKILL');
    }
  }
}

export interface LauncherOptions extends HostOptions {
  launcherPath?: string;
  /** Told about a launcher that broke the protocol or died (the runs it had are reported failed). */
  onProblem?: (message: string) => void;
}

export class LauncherPort implements ProcessPort {
  onMessages: (msgs: HostMessage[]) => void = () => {};
  private child: ChildProcess | null = null;
  private ready = false;
  private queue: EngineMessage[] = [];
  /** Instructions of the current event-loop turn, not yet sent. */
  private outbox: EngineMessage[] = [];
  /** Runs the launcher has been asked to spawn and not yet reported ended: their pids (once reported) and run keys. */
  private readonly active = new Map<number, { pid: number | null; key: string }>();

  constructor(private readonly options: LauncherOptions = {}) {}

  /** PID of the launcher process (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): ChildProcess {
    const path = this.options.launcherPath ?? defaultLauncherPath();
    const { launcherPath: _omit, onProblem: _onProblem, ...hostOptions } = this.options;
    // One started ahead by `jobdeck run` (launcherStart.ts), if it matches, else a new one.
    const taken = takePrestartedLauncher(path, hostOptions);
    const child = taken?.child ?? forkLauncher(path, hostOptions);
    this.ready = false;
    child.on('message', (raw: unknown) => this.receive(child, raw));
    // 'close' comes after the last message has been read (an 'exit' can overtake messages in flight).
    child.on('close', (code, signal) => {
      if (this.child === child) {
        this.child = null;
        // What it was never sent (it died before it was ready) goes with it: those runs are reported
        // failed just below, and must not start in the launcher that replaces it.
        this.queue = [];
        this.outbox = [];
      }
      const lost = [...this.active.entries()];
      this.active.clear();
      if (lost.length) this.options.onProblem?.(`the launcher process died (${signal ?? `exit code ${code}`}) with ${lost.length} run(s) in it`);
      // Jobs the launcher never reported ended (it died, or was killed): stop their groups, report them failed.
      for (const [, { pid }] of lost) if (pid) signalGroup(pid, 'SIGKILL');
      killUnreported(lost.filter(([, { pid }]) => pid === null).map(([, { key }]) => key));
      this.onMessages(
        lost.map(([id]) => ({
          t: 'failed',
          id,
          reason: 'LAUNCHER_DIED',
          message: `the launcher process died (${signal ?? `exit code ${code}`}) while the run was executing`,
          errno: null,
        })),
      );
    });
    this.child = child;
    for (const raw of taken?.messages ?? []) this.receive(child, raw);
    return child;
  }

  private receive(child: ChildProcess, raw: unknown): void {
    const parsed = check(launcherEnvelopeSchema, raw);
    if (!parsed.ok) {
      // A launcher that speaks another protocol cannot be trusted with runs: replace it.
      this.options.onProblem?.(`the launcher sent a malformed message (${parsed.problem}); restarting it`);
      child.kill('SIGKILL');
      return;
    }
    const envelope = parsed.value;
    if (envelope.t === 'ready') {
      this.ready = true;
      const queued = this.queue;
      this.queue = [];
      if (queued.length) sendAll(child, queued);
      return;
    }
    for (const msg of envelope.msgs) {
      const run = this.active.get(msg.id);
      if (msg.t === 'spawned' && run) run.pid = msg.pid;
      if (msg.t === 'settled' || msg.t === 'failed') this.active.delete(msg.id);
    }
    this.onMessages(envelope.msgs);
  }

  private send(msg: EngineMessage): void {
    if (!this.child) this.start();
    // Sent together at the end of this turn (a burst's spawns in one message; see launcherProtocol.ts).
    this.outbox.push(msg);
    if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  /** Sends what this turn gave, in order; held until the launcher is ready. */
  private flush(): void {
    const msgs = this.outbox.splice(0);
    if (msgs.length === 0) return;
    const child = this.child;
    if (child && this.ready && child.connected) sendAll(child, msgs);
    else this.queue.push(...msgs);
  }

  spawn(req: SpawnRequest): void {
    this.active.set(req.id, { pid: null, key: req.runKey });
    this.send({ t: 'spawn', req });
  }

  terminate(id: number, graceMs: number): void {
    if (this.active.has(id)) this.send({ t: 'terminate', id, graceMs });
  }

  /** Starts the launcher ahead of the first run, so the first spawn is not late. */
  warmUp(): void {
    if (!this.child) this.start();
  }

  shutdown(graceMs: number): Promise<void> {
    this.flush();
    // Spawns the launcher has not been sent yet (it was still starting) never start.
    const stopped: HostMessage[] = [];
    for (const msg of this.queue.splice(0)) {
      if (msg.t !== 'spawn') continue;
      this.active.delete(msg.req.id);
      stopped.push({ t: 'failed', id: msg.req.id, reason: 'STOPPED', message: 'stopped before it started', errno: null });
    }
    if (stopped.length) this.onMessages(stopped);
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      // The launcher reports every job's exit, then exits itself.
      child.once('close', () => resolve());
      if (child.connected) this.send({ t: 'shutdown', graceMs });
      else child.kill('SIGKILL');
      setTimeout(() => {
        if (this.child === child) child.kill('SIGKILL');
      }, graceMs + 10_000).unref();
    });
  }
}
