/**
 * Which node fires which job, on a shared database. Every node keeps the
 * whole schedule, but a job's fires are recorded first by one node, its
 * owner: the live, undrained node that ranks highest for the job by
 * rendezvous hashing (so when a node joins or leaves, only its share of
 * jobs moves). The other nodes try a fire only if it is still unrecorded a
 * moment after it was due (the owner died or lags): a job's runs then stay
 * on one node, where they follow each other at once, and the nodes do not
 * contend for the same jobs' rows at every second.
 */

/** 32-bit FNV-1a: a cheap, well-spread hash of a short string. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class JobShares {
  /** Live, undrained nodes (ids), as last read; empty: not known, so this node fires everything. */
  private nodes: string[] = [];

  constructor(private readonly self: string) {}

  /** The nodes that share the jobs now (read at each heartbeat). */
  update(nodes: readonly string[]): void {
    this.nodes = [...new Set(nodes)].sort();
  }

  /** Does this node fire the job first? */
  owns(jobId: number): boolean {
    if (this.nodes.length === 0 || (this.nodes.length === 1 && this.nodes[0] === this.self)) return true;
    if (!this.nodes.includes(this.self)) return false;
    let best = '';
    let bestScore = -1;
    for (const node of this.nodes) {
      const score = fnv1a(`${node}:${jobId}`);
      if (score > bestScore || (score === bestScore && node < best)) {
        best = node;
        bestScore = score;
      }
    }
    return best === this.self;
  }
}
