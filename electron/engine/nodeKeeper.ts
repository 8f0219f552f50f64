/**
 * This engine as a node of its store: registered when it starts scheduling,
 * its heartbeat renewed every third of its lease, stopped when it closes.
 * Each heartbeat also declares lost the nodes whose lease ran out (their
 * runs fail "node lost"; see store/nodesStore.ts) and follows this node's
 * own draining flag, which another process may have set: a drained node
 * starts no queued run until the flag is lifted. A node declared lost itself
 * (its heartbeats stopped for longer than its lease, e.g. a frozen process)
 * stops starting runs: another node may already have taken them over.
 */
import { hostname } from 'node:os';
import type { Dispatcher } from './runs/dispatcher';
import type { RunStateMachine } from './runs/stateMachine';
import type { EngineStore as Store } from './store/engineStore';
import type { Logger } from './logger';
import type { JobShares } from './scheduler/jobShares';

/** Nodes that stopped or were lost are listed for a week, then forgotten. */
const FORGET_AFTER_MS = 7 * 86_400_000;

/** How often the nodes sharing the jobs are read again (ms). */
const SHARES_EVERY_MS = 1000;

export interface NodeKeeperDeps {
  store: Store;
  machine: RunStateMachine;
  dispatcher: Dispatcher;
  id: string;
  version: string;
  leaseMs: number;
  logger: Logger;
  onError(err: unknown): void;
  /** The node's state changed (listeners hear of it). */
  changed(): void;
  /** Told, at each heartbeat, which nodes share the jobs (live and not drained). */
  shares?: JobShares;
  /** Its data folder (recorded: a node restarted on it serves the files its earlier runs left). */
  dataDir: string;
  /** Declares lost nodes and takes their queued runs (a scheduling node; not `jobdeck run`, which exits after its run). */
  reaps: boolean;
}

export class NodeKeeper {
  private timer: ReturnType<typeof setInterval> | null = null;
  private registered = false;
  private lost = false;
  private beating: Promise<void> | null = null;
  private sharesTimer: ReturnType<typeof setInterval> | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(private readonly deps: NodeKeeperDeps) {}

  get id(): string {
    return this.deps.id;
  }

  /**
   * Registers this node (at `address`: the URL other nodes reach its server
   * at, or where it runs; `certSha256`: its HTTPS certificate's fingerprint)
   * and starts its heartbeats.
   */
  async start(address: string, certSha256: string | null = null): Promise<void> {
    if (this.registered) return;
    const { store, id, version, leaseMs, dataDir } = this.deps;
    await store.nodes.register({ id, address, version, host: hostname(), pid: process.pid, leaseMs, certSha256, dataDir });
    await store.nodes.forget(FORGET_AFTER_MS);
    this.registered = true;
    await this.beat();
    this.timer = setInterval(() => {
      // One heartbeat at a time: a slow store must not pile them up.
      this.beating ??= this.beat().finally(() => {
        this.beating = null;
      });
    }, Math.max(250, Math.floor(leaseMs / 3)));
    this.timer.unref();
    if (this.deps.shares) {
      this.sharesTimer = setInterval(() => {
        this.refreshing ??= this.refreshShares()
          .catch((err: unknown) => {
            if (this.registered) this.deps.onError(err);
          })
          .finally(() => {
            this.refreshing = null;
          });
      }, SHARES_EVERY_MS);
      this.sharesTimer.unref();
    }
  }

  /** Renews the heartbeat, follows the draining flag, and reaps lost nodes. */
  async beat(): Promise<void> {
    if (!this.registered) return;
    try {
      const { ok, draining } = await this.deps.store.nodes.heartbeat(this.deps.id);
      if (!ok) {
        if (!this.lost) this.deps.logger.error(`this node (${this.deps.id}) was declared lost by another node: it starts no more runs; restart it to rejoin`);
        this.lost = true;
      }
      this.applyDraining(draining || this.lost);
      await this.refreshShares();
      if (this.deps.reaps && (await this.deps.machine.reapLostNodes()).length) this.deps.changed();
    } catch (err) {
      if (this.registered) this.deps.onError(err);
    }
  }

  /**
   * Reads which nodes share the jobs (live, undrained; not this one while it
   * is drained or lost). Every second besides each heartbeat: a node that
   * joins takes its share within a second instead of a heartbeat.
   */
  private async refreshShares(): Promise<void> {
    const { shares, store, id } = this.deps;
    if (!shares || !this.registered) return;
    const live = (await store.nodes.list()).filter((n) => n.alive && n.draining === 0).map((n) => n.id);
    shares.update(this.lost || this.deps.dispatcher.draining ? live.filter((n) => n !== id) : live);
  }

  /** Drains or undrains this node at once (the flag is already stored). */
  applyDraining(draining: boolean): void {
    if (this.deps.dispatcher.draining === draining) return;
    this.deps.dispatcher.setDraining(draining);
    this.deps.logger.info(draining ? 'draining: no queued run starts on this node' : 'no longer draining: queued runs start again');
    this.deps.changed();
  }

  /** A clean stop: no more heartbeats, and the node is listed as stopped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.sharesTimer) clearInterval(this.sharesTimer);
    this.sharesTimer = null;
    await this.refreshing;
    if (!this.registered) return;
    this.registered = false;
    await this.beating;
    try {
      if (this.deps.store.isOpen) await this.deps.store.nodes.stop(this.deps.id);
    } catch (err) {
      this.deps.onError(err);
    }
  }
}
