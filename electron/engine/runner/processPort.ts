/**
 * The engine's side of process hosting: either a ProcessHost in this process
 * (the CLI's foreground runs) or one inside the launcher child process
 * (serve and desktop). Both deliver the same messages.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProcessHost, signalGroup, type HostMessage, type HostOptions, type SpawnRequest } from './processHost.mjs';

export type { HostMessage, SpawnRequest };

export interface ProcessPort {
  onMessage: (msg: HostMessage) => void;
  spawn(req: SpawnRequest): void;
  terminate(id: number, graceMs: number): void;
  /** Stops every process (SIGTERM, SIGKILL after graceMs) and resolves when all are reported. */
  shutdown(graceMs: number): Promise<void>;
}

export class InlinePort implements ProcessPort {
  onMessage: (msg: HostMessage) => void = () => {};
  private readonly host: ProcessHost;

  constructor(options: HostOptions = {}) {
    this.host = new ProcessHost((msg) => this.onMessage(msg), options);
  }

  spawn(req: SpawnRequest): void {
    this.host.spawn(req);
  }

  terminate(id: number, graceMs: number): void {
    this.host.terminate(id, graceMs);
  }

  shutdown(graceMs: number): Promise<void> {
    return this.host.shutdown(graceMs);
  }
}

/** Finds launcher.mjs next to this module (sources) or next to the bundle (built app). */
export function defaultLauncherPath(): string {
  const candidates = [new URL('./launcher.mjs', import.meta.url), new URL('./runner/launcher.mjs', import.meta.url)];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error('launcher.mjs was not found next to the engine');
}

export interface LauncherOptions extends HostOptions {
  launcherPath?: string;
  /** Grace for stopping jobs if the engine disappears. */
  orphanGraceMs?: number;
}

export class LauncherPort implements ProcessPort {
  onMessage: (msg: HostMessage) => void = () => {};
  private child: ChildProcess | null = null;
  private ready = false;
  private queue: unknown[] = [];
  /** Runs the launcher has been asked to spawn and not yet reported ended, with their pids. */
  private readonly active = new Map<number, number | null>();

  constructor(private readonly options: LauncherOptions = {}) {}

  /** PID of the launcher process (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): ChildProcess {
    const path = this.options.launcherPath ?? defaultLauncherPath();
    const { launcherPath: _omit, ...hostOptions } = this.options;
    const child = fork(path, [], {
      execArgv: process.env.JOBDECK_LAUNCHER_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/lprof'] : [],
      serialization: 'json',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // ELECTRON_RUN_AS_NODE: inside the desktop app, its own binary runs the launcher as plain Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', JOBDECK_LAUNCHER_OPTIONS: JSON.stringify(hostOptions) },
    });
    this.ready = false;
    child.on('message', (batch: { t: 'batch'; msgs: (HostMessage | { t: 'ready' })[] }) => {
      for (const msg of batch.msgs) {
        if (msg.t === 'ready') {
          this.ready = true;
          const queued = this.queue;
          this.queue = [];
          for (const m of queued) child.send(m as never);
          continue;
        }
        if (msg.t === 'spawned') this.active.set(msg.id, msg.pid);
        if (msg.t === 'exit' || msg.t === 'error') this.active.delete(msg.id);
        this.onMessage(msg);
      }
    });
    // 'close' comes after the last message has been read (an 'exit' can overtake messages in flight).
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = null;
      // Jobs the launcher never reported ended (it died, or was killed): stop their groups, report them failed.
      const lost = [...this.active.entries()];
      this.active.clear();
      for (const [id, pid] of lost) {
        if (pid) signalGroup(pid, 'SIGKILL');
        this.onMessage({
          t: 'error',
          id,
          message: `the launcher process died (${signal ?? `exit code ${code}`}) while the run was executing`,
          errno: 'ELAUNCHER',
        });
      }
    });
    this.child = child;
    return child;
  }

  private send(msg: unknown): void {
    const child = this.child ?? this.start();
    if (this.ready && child.connected) child.send(msg as never);
    else this.queue.push(msg);
  }

  spawn(req: SpawnRequest): void {
    this.active.set(req.id, null);
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
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      // The launcher reports every job's exit, then exits itself.
      child.once('close', () => resolve());
      if (child.connected) child.send({ t: 'shutdown', graceMs });
      else child.kill('SIGKILL');
      setTimeout(() => {
        if (this.child === child) child.kill('SIGKILL');
      }, graceMs + 5000).unref();
    });
  }
}
