/**
 * Nodes in the store: the processes serving it, their heartbeats and leases,
 * draining, and the chores one node does at a time (both backends). A node
 * whose heartbeat is older than its lease is declared lost by whichever node
 * looks first: its runs end FAILED (interrupted, "node lost") with the logs
 * received so far, the locks it held are released, and runs whose job allows
 * retries are queued again for the node that found it.
 */
import { JobdeckError } from '../../../shared/errors';
import { appendSystemLine, endInterrupted, lockedUnfinished } from './runEnds';
import { auditTable } from './tables/auditTable';
import { fireRefusalsTable, REFUSALS_KEPT_MS } from './tables/fireRefusalsTable';
import { locksTable } from './tables/locksTable';
import { nodesTable, type NewNode, type NodeRow } from './tables/nodesTable';
import { runsTable } from './tables/runsTable';
import type { RunRow } from './rows';
import type { Performed, StorePart, Work } from './work';

export type { NewNode, NodeRow };

export interface NodeState extends NodeRow {
  /** Heartbeat within its lease, and neither lost nor stopped. */
  alive: boolean;
}

export interface LostNode {
  node: NodeRow;
  /** Its runs in progress, ended FAILED "node lost". */
  interrupted: RunRow[];
  retries: RunRow[];
  /** Its runs that had not started, given to the node that found it lost (still QUEUED: nothing was lost). */
  handedOver: RunRow[];
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

const reads = {
  /** The database's clock (ms). */
  now: nodesTable.now,

  *list(): Work<NodeState[]> {
    const now = yield* nodesTable.now();
    return (yield* nodesTable.list()).map((n) => ({ ...n, alive: n.lost_at === null && n.stopped_at === null && now - n.heartbeat_at <= n.lease_ms }));
  },

  get: nodesTable.get,
  liveOnFolder: nodesTable.liveOnFolder,
  runsInProgress: nodesTable.runsInProgress,
};

const writes = {
  /** A node starts: recorded with the database's time as its start and first heartbeat. */
  register: nodesTable.register,

  /**
   * Renews the heartbeat: `ok` false when the node was declared lost or
   * stopped (it must claim nothing more). Forgets the fire refusals past
   * their keeping (every node does, a few seconds' worth each time).
   */
  *heartbeat(id: string): Work<{ ok: boolean; draining: boolean; at: number }> {
    const ok = yield* nodesTable.heartbeat(id);
    const node = yield* nodesTable.get(id);
    const at = yield* nodesTable.now();
    yield* fireRefusalsTable.forgetBefore(at - REFUSALS_KEPT_MS);
    return { ok, draining: node?.draining === 1, at };
  },

  /** Stops a node from claiming new runs (or lets it again), audited. */
  *setDraining(id: string, draining: boolean, by: string, now: number): Work<NodeRow> {
    if (!(yield* nodesTable.setDraining(id, draining))) {
      const node = yield* nodesTable.get(id);
      if (!node) throw new JobdeckError('NOT_FOUND', `no node ${id}`, 'node');
      throw new JobdeckError('INVALID_STATE', `node ${id} has ${node.lost_at !== null ? 'been declared lost' : 'stopped'}`, 'node');
    }
    yield* auditTable.add({ at: now, actor: by, action: draining ? 'node.drain' : 'node.undrain', targetType: 'scheduler', targetId: id });
    return (yield* nodesTable.get(id))!;
  },

  /** A clean shutdown: the node's runs have ended or been handed over. */
  stop: nodesTable.stop,

  /**
   * Declares lost every node whose lease ran out, and ends its runs (see the
   * module's comment). Two nodes reaping at once each take different nodes.
   */
  *reapLost(retryOwner: string | null): Work<LostNode[]> {
    const lost: LostNode[] = [];
    const nodes: NodeRow[] = [];
    for (const node of yield* nodesTable.expired()) if (yield* nodesTable.markLost(node.id)) nodes.push(node);
    if (nodes.length === 0) return lost;
    const now = yield* nodesTable.now();
    // The runs of every node declared lost here, their jobs' rows locked together in ascending order before any run is written.
    const unfinished = yield* lockedUnfinished(nodes.map((n) => n.id));
    for (const node of nodes) {
      const cause = {
        error: 'node lost',
        text: `Interrupted: node ${node.id} (${node.host}, pid ${node.pid}) stopped answering: its last heartbeat was ${seconds(now - node.heartbeat_at)} ago, its lease ${seconds(node.lease_ms)}`,
      };
      const interrupted: RunRow[] = [];
      const handedOver: RunRow[] = [];
      const retries: RunRow[] = [];
      for (const run of unfinished.filter((r) => r.owner === node.id)) {
        // A run that never started is safe to start elsewhere: the finder takes it over, queued as it was.
        if (run.status === 'QUEUED' && retryOwner !== null && (yield* runsTable.handOver(run.id, node.id, retryOwner))) {
          yield* appendSystemLine(run.id, now, `Handed over to node ${retryOwner}: node ${node.id} stopped answering before this run started`);
          handedOver.push((yield* runsTable.get(run.id))!);
          continue;
        }
        interrupted.push(run);
        const retry = yield* endInterrupted(run, now, retryOwner, cause);
        if (retry) retries.push(retry);
      }
      for (const lock of yield* locksTable.list()) if (lock.owner === node.id) yield* locksTable.break(lock.name);
      yield* auditTable.add({ at: now, actor: 'cluster', action: 'node.lost', targetType: 'scheduler', targetId: node.id, details: { runs: interrupted.map((r) => r.id), handedOver: handedOver.map((r) => r.id) } });
      lost.push({ node, interrupted, retries, handedOver });
    }
    return lost;
  },

  /** Takes or renews a chore for `leaseMs`: true for the one node that may do it now. */
  claimChore: nodesTable.claimChore,
  releaseChore: nodesTable.releaseChore,
  /** Forgets nodes that stopped or were declared lost longer than `ageMs` ago. */
  forget: nodesTable.forget,
};

export const nodesPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type NodesStore = Performed<typeof reads> & Performed<typeof writes>;
