// The machine's own limit: a bare child_process.spawn loop at a given
// concurrency, collecting each child's stdout, with no engine at all.
//   node bench/bareSpawn.mjs COUNT CONCURRENCY COMMAND [ARGS...]
// Prints {runs, seconds, perSecond, cpuPerRunMs, lastStartedMs} as JSON:
// lastStartedMs is when the last child had started (its 'spawn' event),
// the burst scenario's limit for "the 200th run started".
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const [count, concurrency, cmd, ...args] = process.argv.slice(2);
const command = /** @type {string} */ (cmd);
const total = Number(count);
const conc = Number(concurrency);

function cpu() {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]) / 100, 0);
}

let started = 0;
let done = 0;
let lastStartedMs = 0;
const cpu0 = cpu();
const t0 = performance.now();
await new Promise((resolve) => {
  const next = () => {
    if (started >= total) return;
    started += 1;
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('spawn', () => {
      lastStartedMs = Math.max(lastStartedMs, performance.now() - t0);
    });
    child.stdout.on('data', () => {});
    child.stderr.on('data', () => {});
    child.on('close', () => {
      done += 1;
      if (done === total) resolve(undefined);
      else next();
    });
  };
  for (let i = 0; i < conc; i++) next();
});
const seconds = (performance.now() - t0) / 1000;
const cpuUsed = cpu() - cpu0;
process.stdout.write(JSON.stringify({ runs: total, seconds, perSecond: total / seconds, cpuPerRunMs: (cpuUsed / total) * 1000, lastStartedMs }) + '\n');
