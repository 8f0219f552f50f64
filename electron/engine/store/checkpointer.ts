/**
 * Runs the store's WAL checkpoints on a worker thread (checkpointWorker.ts)
 * for a long-lived engine. Once the worker has opened the database, the
 * engine's connection stops checkpointing on its own (wal_autocheckpoint =
 * 0); if the worker fails or exits, it starts again (SQLite's default, 1000
 * pages), so the log never grows without bound.
 */
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { lazyPackage } from '../lazyPackage';
import type { CheckpointerInput, CheckpointerMessage } from './checkpointProtocol';

/** Loaded by the engines that checkpoint in the background (those that schedule), not by every CLI command. */
const workerThreads = lazyPackage<typeof import('node:worker_threads')>('node:worker_threads');

/** SQLite's own default: checkpoint in the commit that takes the log past this many pages. */
const AUTO_PAGES = 1000;

/** The built worker: beside this module in a bundle, or in out/node/ of the checkout when running from source. */
export function checkpointWorkerPath(): string | null {
  const candidates = [
    new URL('./checkpointWorker.mjs', import.meta.url),
    new URL('./checkpointWorker.js', import.meta.url),
    new URL('../../../out/node/checkpointWorker.mjs', import.meta.url),
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path) && !path.endsWith('.ts')) return path;
  }
  return null;
}

export interface CheckpointerOptions {
  file: string;
  /** The engine's connection, whose own checkpoints are turned off while the worker runs. */
  db: Database.Database;
  intervalMs?: number;
  nativeBinding?: string;
  workerPath?: string | null;
  /** Told when checkpoints go back to the engine's thread (the worker failed), once per failure. */
  onProblem: (message: string) => void;
}

export class Checkpointer {
  private readonly worker: Worker | null;
  private active = false;
  private fellBack = false;
  private exited = false;
  private stopping: Promise<void> | null = null;
  /** The last round's figures (tests and diagnostics). */
  last: Extract<CheckpointerMessage, { t: 'checkpointed' }> | null = null;
  rounds = 0;

  constructor(private readonly options: CheckpointerOptions) {
    const path = options.workerPath === undefined ? checkpointWorkerPath() : options.workerPath;
    if (!path) {
      this.worker = null;
      options.onProblem('the checkpoint worker is not built (npm run build:node): the log is checkpointed on the engine thread');
      return;
    }
    const input: CheckpointerInput = { file: options.file, intervalMs: options.intervalMs ?? 1000, nativeBinding: options.nativeBinding };
    this.worker = new (workerThreads().Worker)(path, { workerData: input, stdout: false, stderr: false });
    // A worker must never keep the process alive on its own (the engine's close stops it).
    this.worker.unref();
    this.worker.on('message', (msg: CheckpointerMessage) => this.receive(msg));
    this.worker.on('error', (err) => this.fallBack(`the checkpoint worker failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (!this.stopping) this.fallBack(`the checkpoint worker exited (code ${code})`);
    });
  }

  /** The worker is checkpointing (the engine's connection is not). */
  get running(): boolean {
    return this.active;
  }

  private receive(msg: CheckpointerMessage): void {
    switch (msg.t) {
      case 'ready':
        if (this.stopping || !this.options.db.open) return;
        this.options.db.pragma('wal_autocheckpoint = 0');
        this.active = true;
        break;
      case 'checkpointed':
        this.last = msg;
        this.rounds += 1;
        break;
      case 'failed':
        this.fallBack(`the checkpoint worker could not start: ${msg.message}`);
        break;
      case 'problem':
      case 'closed':
        break;
    }
  }

  private fallBack(message: string): void {
    if (this.stopping || this.fellBack) return;
    this.fellBack = true;
    this.active = false;
    if (this.options.db.open) this.options.db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
    this.options.onProblem(`${message}; the log is checkpointed on the engine thread`);
  }

  /** Stops the worker and waits (up to 5 s) for it to close its connection; the engine's connection checkpoints again. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const worker = this.worker;
    this.stopping = new Promise<void>((resolve) => {
      if (this.options.db.open) this.options.db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
      this.active = false;
      if (!worker || this.exited) return resolve();
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ t: 'stop' });
    });
    return this.stopping;
  }
}
