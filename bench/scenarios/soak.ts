/**
 * Soak: `jobdeck serve`'s engine and server under mixed load for a few
 * minutes (jobs firing every few seconds, some failing, some printing and
 * writing files; HTTP clients listing, reading logs, triggering and
 * downloading; WebSocket clients subscribing, dropping and resubscribing).
 * Memory must settle (heap after GC at the end no more than a little over
 * where it stood after warming up), and nothing may be left behind: no job
 * process, no open socket, no file descriptor beyond the start's.
 */
import { readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { Engine } from '../../electron/engine/engine';
import { findByKeys } from '../../electron/engine/runner/processTree';
import { startServer } from '../../electron/server/server';
import { quick, report, round, sleep, tempDir } from '../lib';

const DURATION_MS = quick ? 10_000 : 180_000;
const WARMUP_MS = quick ? 3_000 : 30_000;
const ctx = { actor: 'bench', role: 'superadmin' as const };
const gc = (globalThis as { gc?: () => void }).gc;

const heapMb = () => {
  gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};
const fds = () => readdirSync('/proc/self/fd').length;

const tmp = tempDir();
const engine = Engine.open({ dataDir: tmp.dir, onError: (e) => console.error(e) });
const server = await startServer({ engine, port: 0, rendererDir: null });
const { token } = await engine.handlers['users.add']({ name: 'soak', role: 'superadmin' }, ctx);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, { ...init, headers }).then(async (r) => ({ status: r.status, body: await r.arrayBuffer() }));

const SCRIPTS = [
  'echo ok',
  'echo "::progress 50 half"; sleep 0.2; echo done',
  'seq 1 2000',
  'echo failing >&2; exit 2',
  'printf "a,b\\n1,2\\n" > "$JOBDECK_OUTPUT_DIR/r.csv"',
  'sleep 1 & echo leftover',
];
for (let i = 0; i < 24; i++) {
  await engine.handlers['jobs.create'](
    { name: `soak ${i}`, script: SCRIPTS[i % SCRIPTS.length]!, schedule: { kind: 'interval', seconds: 1 + (i % 5) }, retention: 20, retries: { count: i % 4 === 3 ? 1 : 0, delaySeconds: 1 } },
    ctx,
  );
}
const manual = await engine.handlers['jobs.create']({ name: 'soak manual', script: 'seq 1 500', schedule: { kind: 'manual' }, overlap: 'queue', retention: 20 }, ctx);

const startFds = fds();
let stop = false;
let requests = 0;
let serverErrors = 0;
let wsMessages = 0;

async function httpClient(): Promise<void> {
  while (!stop) {
    const page = await api('/api/runs?limit=20');
    requests++;
    if (page.status >= 500) serverErrors++;
    const runs = JSON.parse(Buffer.from(page.body).toString()).items as { id: number; resultFile: string | null }[];
    for (const run of runs.slice(0, 3)) {
      const logs = await api(`/api/runs/${run.id}/logs?limit=500`);
      requests++;
      if (logs.status >= 500) serverErrors++;
      if (run.resultFile) {
        const file = await api(`/api/runs/${run.id}/files/${run.resultFile}`);
        requests++;
        if (file.status >= 500) serverErrors++;
      }
    }
    const jobs = await api('/api/jobs');
    requests++;
    if (jobs.status >= 500) serverErrors++;
    const trigger = await api(`/api/jobs/${manual.id}/runs`, { method: 'POST', body: '{}' });
    requests++;
    if (trigger.status >= 500) serverErrors++;
    await sleep(50);
  }
}

async function wsClient(): Promise<void> {
  while (!stop) {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    ws.on('message', () => wsMessages++);
    await new Promise<void>((resolve) => {
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'subscribe', id: 'all', sub: {} }));
        ws.send(JSON.stringify({ type: 'subscribe', id: 'job', sub: { jobId: manual.id } }));
        resolve();
      });
      ws.on('error', () => resolve());
    });
    // Stay a while (cut short when the soak ends), then drop (sometimes without a goodbye).
    const stay = 2000 + Math.random() * 3000;
    for (let waited = 0; waited < stay && !stop; waited += 100) await sleep(100);
    if (Math.random() < 0.5) ws.terminate();
    else ws.close();
  }
}

const load = [httpClient(), httpClient(), wsClient(), wsClient(), wsClient()];
await sleep(WARMUP_MS);
const warmHeap = heapMb();
const warmRss = process.memoryUsage().rss / 1024 / 1024;
const samples: number[] = [];
const sampler = setInterval(() => samples.push(process.memoryUsage().rss / 1024 / 1024), 5000);
await sleep(DURATION_MS - WARMUP_MS);
stop = true;
await Promise.all(load);
clearInterval(sampler);
await sleep(3000);
const endHeap = heapMb();
const endRss = process.memoryUsage().rss / 1024 / 1024;
const runsDone = (await engine.services.runs.list({ limit: 1 })).total;
const owner = engine.instanceId;
await server.close(10_000);
// Whatever the runs started must be gone with them.
const leftovers = findByKeys(new Map(Array.from({ length: runsDone + 100 }, (_, i) => [`${owner}.${i + 1}`, 0] as [string, number])));
const leftoverProcesses = [...leftovers.values()].reduce((n, l) => n + l.length, 0);
await sleep(500);
const endFds = fds();
tmp.remove();

const heapGrowth = endHeap - warmHeap;
const pass = serverErrors === 0 && leftoverProcesses === 0 && heapGrowth <= Math.max(20, warmHeap * 0.25) && endFds <= startFds + 5;
report({
  scenario: 'soak',
  seconds: DURATION_MS / 1000,
  runs: runsDone,
  requests,
  serverErrors,
  wsMessages,
  heapMb: { warm: round(warmHeap), end: round(endHeap), growth: round(heapGrowth) },
  rssMb: { warm: round(warmRss), end: round(endRss), max: round(Math.max(...samples, endRss)) },
  fds: { start: startFds, end: endFds },
  leftoverProcesses,
  gcAvailable: gc !== undefined,
  pass,
  target: 'no 5xx; heap after GC within +max(20 MB, 25%) of the warmed-up heap; no job process, socket or descriptor left',
});
process.exit(0);
