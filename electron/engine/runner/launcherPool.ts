/**
 * Several launcher processes side by side. Node's spawn waits for each child
 * to exec, so one launcher starts at most a few hundred processes a second;
 * runs due at the same instant are spread over as many launchers as the
 * machine has cores. Order only has to hold per job, and a job never has
 * two runs executing at once, so which launcher starts a run does not
 * matter. A launcher that dies reports its runs failed (LauncherPort) and
 * is started again by the next spawn given to it.
 */
import { availableParallelism } from 'node:os';
import type { HostMessage, SpawnRequest } from './launcherProtocol';
import { LauncherPort, type LauncherOptions, type ProcessPort } from './processPort';

export const defaultLauncherCount = (): number => Math.max(1, availableParallelism());

export class LauncherPool implements ProcessPort {
  onMessages: (msgs: HostMessage[]) => void = () => {};
  private readonly ports: LauncherPort[];
  /** Which launcher runs each run not yet reported ended. */
  private readonly owner = new Map<number, LauncherPort>();
  private readonly load = new Map<LauncherPort, number>();
  private next = 0;

  constructor(size: number, options: LauncherOptions = {}) {
    this.ports = Array.from({ length: Math.max(1, Math.floor(size)) }, () => {
      const port = new LauncherPort(options);
      port.onMessages = (msgs) => this.receive(port, msgs);
      this.load.set(port, 0);
      return port;
    });
  }

  /** PIDs of the launcher processes running now (tests and diagnostics). */
  get pids(): number[] {
    return this.ports.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  get size(): number {
    return this.ports.length;
  }

  private receive(port: LauncherPort, msgs: HostMessage[]): void {
    for (const msg of msgs) {
      if ((msg.t === 'settled' || msg.t === 'failed') && this.owner.get(msg.id) === port) {
        this.owner.delete(msg.id);
        this.load.set(port, Math.max(0, this.load.get(port)! - 1));
      }
    }
    this.onMessages(msgs);
  }

  /** The launcher with the fewest runs; ties go round the pool, so a burst alternates. */
  private pick(): LauncherPort {
    let best = this.ports[this.next % this.ports.length]!;
    for (let i = 1; i < this.ports.length; i++) {
      const port = this.ports[(this.next + i) % this.ports.length]!;
      if (this.load.get(port)! < this.load.get(best)!) best = port;
    }
    this.next = (this.ports.indexOf(best) + 1) % this.ports.length;
    return best;
  }

  spawn(req: SpawnRequest): void {
    const port = this.pick();
    this.owner.set(req.id, port);
    this.load.set(port, this.load.get(port)! + 1);
    port.spawn(req);
  }

  terminate(id: number, graceMs: number): void {
    this.owner.get(id)?.terminate(id, graceMs);
  }

  /** Starts every launcher ahead of the first runs. */
  warmUp(): void {
    for (const port of this.ports) port.warmUp();
  }

  async shutdown(graceMs: number): Promise<void> {
    await Promise.all(this.ports.map((p) => p.shutdown(graceMs)));
  }
}
