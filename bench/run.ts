/**
 * `npm run bench`: each scenario in a process of its own against the real
 * engine, a table of the figures (as ratios where a scenario has a limit
 * measured in the same run), and bench/results/latest.json.
 *   npm run bench                 the full suite (about 15 minutes on 2 cores)
 *   npm run bench -- --quick      a shorter version (2.5-3 minutes)
 *   npm run bench -- --only logs,history
 * With --only, the scenarios run now replace their own entries in
 * latest.json and the others' figures are kept (each entry says when it ran
 * and whether quick), so a partial run never wipes a full one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SCENARIOS = ['dispatch', 'burst', 'throughput', 'logs', 'history', 'console', 'workflow', 'cli', 'growth', 'warm', 'soak', 'cluster'] as const;
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : process.argv[process.argv.indexOf(onlyArg) + 1]!).split(',') : null;

type Result = Record<string, unknown> & { scenario: string; pass: boolean; target: string };
/** The scenarios' scratch folders, deleted when all are done (see tempDir in lib.ts). */
const scratch = mkdtempSync(join(tmpdir(), 'jobdeck-bench-run-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
// Handled, not fatal: the folder goes with the exit. (They run once spawnSync returns; Ctrl+C stops the
// scenario too, and the loop stops at its signal below.)
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.on(signal, () => process.exit(code));
const results: Result[] = [];

for (const name of SCENARIOS) {
  if (only && !only.includes(name)) continue;
  process.stderr.write(`\n=== ${name}${quick ? ' (quick)' : ''} ===\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(ROOT, 'bench', 'scenarios', `${name}.ts`), ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, JOBDECK_BENCH_ROOT: scratch },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  // Ctrl+C reaches the scenario too (this process waits in spawnSync): stop here, results unwritten.
  if (r.signal === 'SIGINT' || r.signal === 'SIGTERM') {
    process.stderr.write(`\n${name} was interrupted (${r.signal}): stopping, nothing written\n`);
    process.exit(r.signal === 'SIGINT' ? 130 : 143);
  }
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || !line) {
    results.push({ scenario: name, pass: false, target: '', error: `exited ${r.status} (its error is printed above): ${r.stdout.slice(-300).trim()}` });
    continue;
  }
  const result = JSON.parse(line.slice('@@RESULT '.length)) as Result;
  result.wallSeconds = Math.round((Date.now() - t0) / 1000);
  results.push(result);
  process.stderr.write(`${JSON.stringify(result)}\n`);
}

const fmt = (v: unknown): string => (typeof v === 'object' && v !== null ? Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ') : String(v));
const figures = (r: Result): string => {
  // A scenario that died has only its error: print that, not figures it never measured.
  if (r.error !== undefined) return `failed: ${String(r.error).replace(/\s+/g, ' ').slice(0, 300)}`;
  switch (r.scenario) {
    case 'dispatch':
      return `lateness ${fmt(r.latenessMs)} ms; ${r.fired}/${r.expectedFires} fires (${r.runsPerSecond}/s), missed ${r.missedFires}`;
    case 'burst':
      return `${r.completedPerSecond}/s of ${r.expectedPerSecond}/s completed, logs persisted: ${r.persistedWithLogs}; lateness ${fmt(r.latenessMs)} ms; p99 = ${r.latenessRatio} x the bare loop's 200th start (${r.bareLastStartedMs} ms, ${r.bareBurstPerSecond} children/s) (concurrency ${r.concurrency})`;
    case 'cluster': {
      const f = (x: Record<string, unknown>) => `${x.runsPerSecond}/s, lateness p50 ${(x.latenessMs as Record<string, number>).p50} ms, p99 ${(x.latenessMs as Record<string, number>).p99} ms`;
      return `SQLite: ${f(r.sqlite as Record<string, unknown>)}; PostgreSQL ${(r.postgres as Record<string, unknown>[]).map((x) => `${x.nodes} node${x.nodes === 1 ? '' : 's'}: ${f(x)}`).join('; ')} (${r.jobs} jobs each second)`;
    }
    case 'throughput':
      return `${r.engineRunsPerSecond} runs/s = ${r.rateRatio} x bare (${r.bareRunsPerSecond}/s); CPU/run ${r.engineCpuPerRunMs} ms = ${r.cpuRatio} x bare (${r.bareCpuPerRunMs} ms), of which the run folder alone ${r.runFolderCpuPerRunMs} ms; split ${fmt(r.cpuSplitMs)}${r.allSucceeded === false ? '; NOT every run succeeded' : ''}`;
    case 'logs':
      return `${r.engineLinesPerSecond} lines/s = ${r.rateRatio} x bare insert (${r.bareRowsPerSecond}/s); RSS +${r.rssGrowthMb} MB; subscriber got all: ${r.subscriberGotAll}`;
    case 'history':
      return `runs.list ${fmt(r.runsListMs)} ms; jobs.list p50 ${fmt((r.jobsListMs as Record<string, unknown>).p50)} ms; start-up ${r.startupMs} ms (${r.jobs} jobs, ${r.runs} runs)`;
    case 'console':
      return `first render: jobs ${r.jobListFirstRenderMs} ms, log ${r.logViewFirstRenderMs} ms; max frame while scrolling: jobs ${fmt((r.jobListScrollFrameMs as Record<string, unknown>).max)} ms, log ${fmt((r.logScrollFrameMs as Record<string, unknown>).max)} ms`;
    case 'workflow':
      return `${r.tasks}-task workflow: ${r.sequentialTaskMs} ms and ${r.sequentialTaskCpuMs} ms CPU per task = ${r.wallRatio} x / ${r.cpuRatio} x a single run (${r.singleRunMs} ms, ${r.singleRunCpuMs} ms CPU); parallel group ${r.parallelTaskMs} ms per task`;
    case 'cli':
      return `jobdeck --version ${r.versionMs} ms = ${r.versionRatio} x node -e 0 (${r.nodeMs} ms); jobdeck run trivial.sh ${r.runMs} ms = ${r.runRatio} x`;
    case 'growth': {
      const sizes = r.sizes as { runs: number; jobs: number; runsListMs: { p99: number }; jobsListMs: { p50: number; p99: number }; startupMs: number; dbBytes: number; sweep: { ms: number }; rssMb: number }[];
      const k = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1000}k`);
      const at = sizes.map(
        (s) =>
          `${k(s.runs)} runs/${k(s.jobs)} jobs: runs.list p99 ${s.runsListMs.p99} ms, jobs.list ${s.jobsListMs.p50}/${s.jobsListMs.p99} ms, start-up ${s.startupMs} ms, ${Math.round(s.dbBytes / 2 ** 20)} MB, sweep ${s.sweep.ms} ms, RSS ${s.rssMb} MB`,
      );
      const worse = (r.worseThanLinear as { metric: string; to: number; ratio: number }[]).map((w) => `${w.metric} to ${k(w.to)} ${w.ratio}x`);
      return `${at.join('; ')}; runs.list p99 ${r.runsListP99Ratio} x smallest; worse than linear: ${worse.join(', ') || 'none'}`;
    }
    case 'warm': {
      const s = r.processStartToFirstLineMs as Record<string, Record<string, unknown>>;
      const t = r.startToFirstLineMs as Record<string, Record<string, unknown>>;
      const w = r.warmStarts as Record<string, number>;
      return `start to first line p50: node warm ${s.nodeWarm!.p50} ms / cold ${s.nodeCold!.p50} ms (${r.nodeSpeedup} x), python3 warm ${s.pythonWarm!.p50} ms / cold ${s.pythonCold!.p50} ms (${r.pythonSpeedup} x); trigger to first line: node ${t.nodeWarm!.p50} / ${t.nodeCold!.p50} ms, python3 ${t.pythonWarm!.p50} / ${t.pythonCold!.p50} ms, sh ${t.sh!.p50} ms; started warm ${w.nodeWarm}+${w.pythonWarm} of ${2 * Number(r.repetitions)}`;
    }
    case 'soak':
      return `${r.seconds} s, ${r.runs} runs, ${r.requests} requests, ${r.serverErrors} 5xx; heap ${fmt(r.heapMb)} MB; RSS ${fmt(r.rssMb)} MB; fds ${fmt(r.fds)}; leftover processes ${r.leftoverProcesses}`;
    default:
      return String(r.error ?? '');
  }
};

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 1024 ** 3),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  date: new Date().toISOString(),
  quick,
};
const rows = results.map((r) => `| ${r.scenario} | ${r.pass ? 'pass' : 'MISS'} | ${figures(r)} | ${r.target} |`);
const table = ['| scenario | target met | figures | target |', '| --- | --- | --- | --- |', ...rows].join('\n');
process.stdout.write(`\n${table}\n\nMachine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}${quick ? ' (quick run)' : ''}\n`);
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
const latest = join(ROOT, 'bench', 'results', 'latest.json');
for (const r of results) Object.assign(r, { ranAt: machine.date, quick });
let merged: Result[] = results;
if (only && existsSync(latest)) {
  const kept = (JSON.parse(readFileSync(latest, 'utf8')) as { results?: Result[] }).results ?? [];
  const now = new Map(results.map((r) => [r.scenario, r]));
  const names = [...new Set<string>([...SCENARIOS, ...kept.map((k) => k.scenario)])].filter((n) => now.has(n) || kept.some((k) => k.scenario === n));
  merged = names.map((n) => now.get(n) ?? kept.find((k) => k.scenario === n)!);
}
writeFileSync(latest, `${JSON.stringify({ machine, results: merged }, null, 2)}\n`);
process.stdout.write('Written to bench/results/latest.json\n');
