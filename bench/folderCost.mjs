// The machine's cost of a run folder: 2 mkdir and 1 small file, N times (as the runner made per run
// before scripts were content-addressed), inside FOLDER, which it leaves for the caller to delete:
// deleting here would make the caller's next folders dearer (see tempDir in lib.ts).
//   node bench/folderCost.mjs COUNT FOLDER   -> {wallPerRunMs, cpuPerRunMs}
import { mkdirSync, writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
const N = Number(process.argv[2] ?? 2000);
const folder = process.argv[3];
if (!folder) throw new Error('usage: node bench/folderCost.mjs COUNT FOLDER');
const base = mkdtempSync(join(folder, 'fscost-')); mkdirSync(join(base, 'runs', '1'), { recursive: true });
const cpu = () => { const s = readFileSync('/proc/self/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const c0 = cpu(); const t0 = performance.now();
for (let i = 0; i < N; i++) { const d = join(base, 'runs', '1', String(i)); mkdirSync(d); mkdirSync(join(d, 'output')); writeFileSync(join(d, 'script.sh'), 'echo hi', { mode: 0o700 }); }
const ms = performance.now() - t0; const c = cpu() - c0;
console.log(JSON.stringify({ wallPerRunMs: ms / N, cpuPerRunMs: (c / N) * 1000 }));
