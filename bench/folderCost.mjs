// The machine's cost of a run folder: 2 mkdir and 1 small file, N times (as the runner makes per run).
//   node bench/folderCost.mjs COUNT   -> {wallPerRunMs, cpuPerRunMs}
import { mkdirSync, writeFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os'; import { join } from 'node:path';
const N = Number(process.argv[2] ?? 2000);
const base = mkdtempSync(join(tmpdir(), 'fscost-')); mkdirSync(join(base, 'runs', '1'), { recursive: true });
const cpu = () => { const s = readFileSync('/proc/self/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const c0 = cpu(); const t0 = performance.now();
for (let i = 0; i < N; i++) { const d = join(base, 'runs', '1', String(i)); mkdirSync(d); mkdirSync(join(d, 'output')); writeFileSync(join(d, 'script.sh'), 'echo hi', { mode: 0o700 }); }
const ms = performance.now() - t0; const c = cpu() - c0;
rmSync(base, { recursive: true, force: true });
console.log(JSON.stringify({ wallPerRunMs: ms / N, cpuPerRunMs: (c / N) * 1000 }));
