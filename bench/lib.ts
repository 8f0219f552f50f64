/** Helpers shared by the benchmark scenarios. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const quick = process.argv.includes('--quick');

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** 1k, 10k, 1M: sizes as the growth scenario names them. */
export const count = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * A scenario's scratch folder. Under `npm run bench` it lives in the run's
 * own folder (JOBDECK_BENCH_ROOT), which run.ts deletes when every scenario
 * is done, and remove() leaves it there. The reason is ext4 without a journal
 * (these machines): to make an inode, the kernel passes over each one freed in
 * the last minute (six while its table block is dirty), reading it. Deleting a
 * scenario's thousands of run folders made the next scenario's mkdir cost 0.3
 * to 0.5 ms of CPU instead of 0.05 (measured here), a tax the engine never pays
 * for its own work.
 */
export function tempDir(prefix = 'jobdeck-bench-'): { dir: string; remove(): void } {
  const root = process.env.JOBDECK_BENCH_ROOT;
  const dir = mkdtempSync(join(root || tmpdir(), prefix));
  return { dir, remove: () => (root ? undefined : rmSync(dir, { recursive: true, force: true })) };
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a process from /proc: own (user+system) and of its reaped children. */
export function procCpu(pid: number | 'self'): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11..14] = utime stime cutime cstime (stat fields 14-17)
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]) / TICKS);
  return { own: utime! + stime!, children: cutime! + cstime! };
}

/** procCpu summed over several processes (an engine's launchers: one per core). */
export function procsCpu(pids: number[]): { own: number; children: number } {
  return pids.map((pid) => procCpu(pid)).reduce((sum, c) => ({ own: sum.own + c.own, children: sum.children + c.children }), { own: 0, children: 0 });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scenario reports one JSON object on its last stdout line. */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
}
