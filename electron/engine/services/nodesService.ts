/** The nodes serving this store: listed with their state and runs, drained and undrained. */
import type { CallContext } from '../../../shared/contract';
import { iso } from '../../../shared/dates';
import type { NodeInfo } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { NodeKeeper } from '../nodeKeeper';
import type { NodeFiles } from '../nodeFiles';
import type { NodeState } from '../store/nodesStore';
import type { EngineStore as Store } from '../store/engineStore';

export interface NodesServiceDeps {
  store: Store;
  clock: Clock;
  /** This engine as a node (null: it does not schedule, e.g. the CLI). */
  keeper: NodeKeeper | null;
  nodeFiles: NodeFiles;
}

const stateOf = (n: NodeState): NodeInfo['state'] => (n.lost_at !== null ? 'lost' : n.stopped_at !== null ? 'stopped' : n.alive ? 'alive' : 'late');

export class NodesService {
  constructor(private readonly deps: NodesServiceDeps) {}

  async list(): Promise<NodeInfo[]> {
    const { store, keeper } = this.deps;
    const running = await store.nodes.runsInProgress();
    return (await store.nodes.list()).map((n) => this.info(n, running.get(n.id) ?? 0, keeper?.id === n.id));
  }

  /**
   * The node a request from another node of the database comes from (its
   * credential checked against the request's method and URL); throws
   * UNAUTHORIZED.
   */
  authenticateNode(credential: string, method: string, url: string): Promise<string> {
    return this.deps.nodeFiles.authenticate(credential, method, url);
  }

  /** Sets a node's draining flag; this node follows at once, another at its next heartbeat (a third of its lease). */
  async setDraining(id: string, draining: boolean, ctx: CallContext): Promise<NodeInfo> {
    const { store, keeper, clock } = this.deps;
    await store.nodes.setDraining(id, draining, ctx.actor, clock.now());
    if (keeper?.id === id) keeper.applyDraining(draining);
    return (await this.list()).find((n) => n.id === id)!;
  }

  private info(n: NodeState, runsInProgress: number, self: boolean): NodeInfo {
    return {
      id: n.id,
      address: n.address,
      version: n.version,
      host: n.host,
      pid: n.pid,
      startedAt: iso(n.started_at)!,
      heartbeatAt: iso(n.heartbeat_at)!,
      leaseSeconds: n.lease_ms / 1000,
      draining: n.draining === 1,
      state: stateOf(n),
      runsInProgress,
      self,
    };
  }
}
