/**
 * Cost curves: the same operations at three sizes in one run (10k runs /
 * 1k jobs, 100k / 10k, 1M / 100k; --quick: the first two). For each size a
 * store is seeded through SQL (seedStore.ts), its file size taken after a
 * WAL checkpoint, and a fresh process (growthProbe.ts) opens the engine on
 * it and measures start-up, runs.list p99 (the history scenario's query
 * mix), jobs.list's first page, RSS and a retention sweep. Each metric's
 * growth between sizes is checked against the sizes' growth (curve.ts), and
 * the curves are drawn into bench/results/growth.svg.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dbFile } from '../../electron/engine/paths';
import { stepsWorseThanLinear, type Step } from '../curve';
import { growthChartSvg } from '../growthChart';
import { count, quick, report, round, tempDir } from '../lib';
import { DAY, seedStore } from '../seedStore';

const SIZES = [
  { runs: 10_000, jobs: 1_000 },
  { runs: 100_000, jobs: 10_000 },
  { runs: 1_000_000, jobs: 100_000 },
].slice(0, quick ? 2 : 3);
const QUERIES = quick ? 300 : 1000;
const TOLERANCE = 1.3;
/** Timings under a millisecond are too small to read growth from (one page fault is that much). */
const FLOOR_MS = 1;
const PROBE_TIMEOUT_MS = 240_000;
const BENCH = join(import.meta.dirname, '..');

interface Probe {
  startupMs: number;
  runsListMs: { p50: number; p99: number; rowsPerQuery: number };
  jobsListMs: { p50: number; p99: number };
  rssMb: number;
  peakRssMb: number;
  sweep: { ms: number; deleted: number; expected: number; done: boolean; usPerRun: number };
}

const points: (Probe & { runs: number; jobs: number; seedMs: number; dbBytes: number })[] = [];
for (const size of SIZES) {
  const tmp = tempDir();
  try {
    const now = Date.now();
    const t = performance.now();
    // Fires a day out: no seeded job runs (and spawns) while the probe measures.
    seedStore(tmp.dir, { ...size, now, firstFireInMs: DAY });
    const seedMs = performance.now() - t;
    const dbBytes = statSync(dbFile(tmp.dir)).size;
    process.stderr.write(`${size.runs} runs / ${size.jobs} jobs: seeded in ${Math.round(seedMs)} ms, ${dbBytes} bytes\n`);
    const args = [tmp.dir, size.jobs, size.runs, now, QUERIES].map(String);
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(BENCH, 'growthProbe.ts'), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: PROBE_TIMEOUT_MS,
    });
    const line = r.stdout.split('\n').find((l) => l.startsWith('@@PROBE '));
    if (r.status !== 0 || !line) throw new Error(`probe at ${size.runs} runs exited ${r.status ?? r.signal}: ${r.stdout.slice(-500)}`);
    points.push({ ...size, seedMs: round(seedMs), dbBytes, ...(JSON.parse(line.slice('@@PROBE '.length)) as Probe) });
  } finally {
    tmp.remove();
  }
}

const sizes = points.map((p) => p.runs);
const metrics: Record<string, { values: number[]; floor: number }> = {
  'runs.list p99': { values: points.map((p) => p.runsListMs.p99), floor: FLOOR_MS },
  'jobs.list p50': { values: points.map((p) => p.jobsListMs.p50), floor: FLOOR_MS },
  'jobs.list p99': { values: points.map((p) => p.jobsListMs.p99), floor: FLOOR_MS },
  'start-up': { values: points.map((p) => p.startupMs), floor: FLOOR_MS },
  'database file': { values: points.map((p) => p.dbBytes), floor: 0 },
  'retention sweep': { values: points.map((p) => p.sweep.ms), floor: FLOOR_MS },
  RSS: { values: points.map((p) => p.rssMb), floor: 0 },
};
const worse: (Step & { metric: string })[] = Object.entries(metrics).flatMap(([metric, m]) =>
  stepsWorseThanLinear(sizes, m.values, TOLERANCE, m.floor).map((s) => ({ metric, ...s, ratio: round(s.ratio, 2), limit: round(s.limit, 2) })),
);
const [first, last] = [points[0]!, points[points.length - 1]!];
const runsListRatio = last.runsListMs.p99 / first.runsListMs.p99;
const sweepsDone = points.every((p) => p.sweep.done && p.sweep.deleted === p.sweep.expected);

const mb = (bytes: number) => bytes / 2 ** 20;
const svg = growthChartSvg({
  sizes,
  jobs: points.map((p) => p.jobs),
  subtitle: `${QUERIES} runs.list queries per size, best p99 of 3 rounds; dashed: linear growth from the smallest size; retention sweep: a tenth of the jobs keep half their runs; ${new Date().toISOString().slice(0, 10)}${quick ? ' (quick)' : ''}`,
  panels: [
    { title: 'runs.list p99', unit: 'ms', series: [{ name: 'measured', values: metrics['runs.list p99']!.values }], target: { label: '2× smallest', value: 2 * first.runsListMs.p99 } },
    { title: 'jobs.list first page', unit: 'ms', series: [{ name: 'p50', values: metrics['jobs.list p50']!.values }, { name: 'p99', values: metrics['jobs.list p99']!.values }] },
    { title: 'engine start-up', unit: 'ms', series: [{ name: 'measured', values: metrics['start-up']!.values }], target: { label: '1 s', value: 1000 } },
    { title: 'database file', unit: 'MB', series: [{ name: 'measured', values: points.map((p) => round(mb(p.dbBytes))) }] },
    { title: 'retention sweep', unit: 'ms', series: [{ name: 'measured', values: metrics['retention sweep']!.values }] },
    { title: 'engine RSS', unit: 'MB', series: [{ name: 'measured', values: metrics.RSS!.values }] },
  ],
});
const chart = join(BENCH, 'results', 'growth.svg');
mkdirSync(join(BENCH, 'results'), { recursive: true });
writeFileSync(chart, svg);

report({
  scenario: 'growth',
  quick,
  queries: QUERIES,
  sizes: points,
  runsListP99Ratio: round(runsListRatio, 2),
  startupAtMostJobs: { jobs: last.jobs, ms: last.startupMs },
  worseThanLinear: worse,
  chart: 'bench/results/growth.svg',
  pass: runsListRatio <= 2 && last.startupMs <= 1000 && worse.length === 0 && sweepsDone,
  target: `runs.list p99 at ${count(last.runs)} runs <= 2 x at ${count(first.runs)}; start-up at ${count(last.jobs)} jobs <= 1 s; no metric worse than linear: each step's ratio <= the size ratio x ${TOLERANCE} (timings under ${FLOOR_MS} ms count as ${FLOOR_MS} ms)`,
});
