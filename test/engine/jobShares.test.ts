/** Which node fires a job first on a shared database (rendezvous hashing over the live, undrained nodes). */
import { describe, expect, it } from 'vitest';
import { JobShares } from '../../electron/engine/scheduler/jobShares';
import { backupTiming } from '../../electron/engine/scheduler/backupFires';

const nodes = ['n-a', 'n-b', 'n-c'];
const JOBS = 3000;

function sharesOf(list: readonly string[]): Map<string, JobShares> {
  return new Map(list.map((id) => {
    const s = new JobShares(id);
    s.update(list);
    return [id, s];
  }));
}

describe('job shares', () => {
  it('gives every job to exactly one node, about evenly', () => {
    const all = sharesOf(nodes);
    const counts = new Map(nodes.map((n) => [n, 0]));
    for (let job = 1; job <= JOBS; job++) {
      const owners = nodes.filter((n) => all.get(n)!.owns(job));
      expect(owners).toHaveLength(1);
      counts.set(owners[0]!, counts.get(owners[0]!)! + 1);
    }
    for (const n of nodes) expect(counts.get(n)!).toBeGreaterThan(JOBS / 3 - 200);
  });

  it('moves only the leaving node\'s jobs when a node leaves', () => {
    const before = sharesOf(nodes);
    const after = sharesOf(['n-a', 'n-c']);
    for (let job = 1; job <= JOBS; job++) {
      if (before.get('n-b')!.owns(job)) continue;
      for (const n of ['n-a', 'n-c']) expect(after.get(n)!.owns(job)).toBe(before.get(n)!.owns(job));
    }
  });

  it('fires everything while it knows no other node, and nothing it is not listed for (drained or lost)', () => {
    const alone = new JobShares('n-a');
    expect([1, 2, 3].every((j) => alone.owns(j))).toBe(true);
    alone.update(['n-a']);
    expect([1, 2, 3].every((j) => alone.owns(j))).toBe(true);
    alone.update(['n-b', 'n-c']);
    expect([1, 2, 3].some((j) => alone.owns(j))).toBe(false);
  });
});

describe('backup timing', () => {
  it("has an owner read the refusals for every fire it records as late as another node's check, or later, whatever the lease", () => {
    for (const leaseMs of [1, 999, 3000, 3001, 30_000, 86_400_000]) {
      const { backupDelayMs, ownerReadsRefusalsAfterMs } = backupTiming(leaseMs);
      // Others check a fire a third of a lease after it was due, at least a second.
      expect(backupDelayMs).toBe(Math.max(1000, Math.floor(leaseMs / 3)));
      // An owner as late as that check (another node may have refused the fire first) reads the refusals...
      expect(ownerReadsRefusalsAfterMs).toBeLessThanOrEqual(backupDelayMs);
      // ...and one recording on time (the usual case) does not pay for it.
      expect(ownerReadsRefusalsAfterMs).toBeGreaterThan(0);
    }
  });
});
