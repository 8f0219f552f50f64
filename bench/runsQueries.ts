/**
 * The runs.list query mix of the history and growth scenarios: by job +
 * status + a 90-day range (page of 50), jobs and ranges spread over the
 * seeded store (see seedStore.ts), timed one by one. Shared so that both
 * scenarios measure the same query.
 */
import type { Engine } from '../electron/engine/engine';
import { DAY } from './seedStore';

const ctx = { actor: 'bench', role: 'viewer' as const };
const STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const iso = (ms: number) => new Date(ms).toISOString();

/** Times `queries` runs.list calls on a store of `jobs` jobs seeded at `now`: the times (ms) and rows returned. */
export async function timeRunsList(engine: Engine, jobs: number, now: number, queries: number): Promise<{ times: number[]; rows: number }> {
  const h = engine.handlers;
  const times: number[] = [];
  let rows = 0;
  for (let q = 0; q < queries; q++) {
    const jobId = 1 + ((q * 7919) % jobs);
    const from = now - ((q % 300) + 60) * DAY;
    const t = performance.now();
    const page = await h['runs.list']({ jobId, status: [STATUSES[q % 3]!], from: iso(from), to: iso(from + 90 * DAY), limit: 50 }, ctx);
    times.push(performance.now() - t);
    rows += page.items.length;
  }
  return { times, rows };
}
