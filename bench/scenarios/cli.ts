/**
 * CLI start-up: `jobdeck --version` and `jobdeck run` of a trivial sh script,
 * wall time against `node -e 0` measured beside them in the same run
 * (medians of alternating repetitions, so drift hits all three alike).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, quick, report, round, tempDir } from '../lib';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'jobdeck.cjs');
const REPS = quick ? 7 : 21;
const tmp = tempDir();
const script = join(tmp.dir, 'trivial.sh');
writeFileSync(script, 'echo hi\n');

function wallMs(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, JOBDECK_DATA_DIR: join(tmp.dir, 'data') } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const node: number[] = [];
const version: number[] = [];
const run: number[] = [];
for (let i = 0; i < REPS; i++) {
  node.push(wallMs(['-e', '0']));
  version.push(wallMs([BIN, '--version']));
  run.push(wallMs([BIN, 'run', script]));
}
tmp.remove();
const med = (xs: number[]) => percentile(xs, 50);
const versionRatio = med(version) / med(node);
const runRatio = med(run) / med(node);
report({
  scenario: 'cli',
  repetitions: REPS,
  nodeMs: round(med(node)),
  versionMs: round(med(version)),
  runMs: round(med(run)),
  versionRatio: round(versionRatio, 2),
  runRatio: round(runRatio, 2),
  pass: versionRatio <= 1.5 && runRatio <= 2,
  target: 'jobdeck --version <= 1.5 x node -e 0, jobdeck run of a trivial sh script <= 2 x node -e 0 (wall, medians, same run)',
});
