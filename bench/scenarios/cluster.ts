/**
 * A cluster on PostgreSQL next to one SQLite folder: the same schedule
 * (JOBS jobs of `echo hi`, each due every second) run for SECONDS by one
 * `jobdeck serve` on a data folder, then by 1, 2 and 3 serve nodes sharing
 * one throwaway PostgreSQL server (all on this machine). For each: runs
 * completed per second, and dispatch lateness (start minus due time) p50
 * and p99, read from the store afterwards. Passes when every
 * configuration completes at least 95% of the fires due.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startPostgres } from '../../test/helpers/postgres';
import { percentile, quick, report, round, sleep, tempDir } from '../lib';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'jobdeck.cjs');
const JOBS = quick ? 40 : 80;
const SECONDS = quick ? 3 : 20;

function cli(args: string[], dataDir: string): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, JOBDECK_DATA_DIR: dataDir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`jobdeck ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

function serve(store: string[], dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, ...store, 'serve', '--port', '0', '--log-level', 'silent'], {
    env: { ...process.env, JOBDECK_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /console\s+(\S+?)\/\n/.exec(err);
      if (m) resolve({ child, url: m[1]! });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

const stop = (children: ChildProcess[]) =>
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGTERM'))))));

/** Starts the nodes, creates the jobs through the first, lets them fire for SECONDS, stops them. Returns the window. */
async function runSchedule(store: string[], nodes: number, adminDir: string): Promise<{ from: number; to: number }> {
  const t0 = Date.now();
  const token = cli([...store, 'users', 'add', `bench${Date.now()}`, '--role', 'superadmin'], adminDir);
  const started = await Promise.all(Array.from({ length: nodes }, () => serve(store, tempDir().dir)));
  for (let i = 0; i < JOBS; i++) {
    const res = await fetch(`${started[0]!.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `tick ${i}`, script: 'echo hi', schedule: { kind: 'interval', seconds: 1 }, overlap: 'queue', retention: 10_000 }),
    });
    if (!res.ok) throw new Error(`jobs.create: ${res.status} ${await res.text()}`);
  }
  process.stderr.write(`cluster: ${nodes} node${nodes === 1 ? '' : 's'} on ${store[0] === '--database' ? 'PostgreSQL' : 'SQLite'} started, ${JOBS} jobs made (${Date.now() - t0} ms)\n`);
  // Measured from the first whole second after every node knows every job (they poll for changes every 0.5 s).
  await sleep(quick ? 1000 : 1500);
  const from = Date.now();
  await sleep(SECONDS * 1000);
  const to = Date.now();
  // The window's last fires end before the nodes stop (an `echo hi` takes milliseconds, its lateness up to some hundreds).
  await sleep(1000);
  await stop(started.map((s) => s.child));
  return { from, to };
}

interface Figures {
  nodes: number;
  deadlocks?: number;
  runsPerSecond: number;
  dueFires: number;
  completed: number;
  latenessMs: { p50: number; p99: number };
}

function figures(nodes: number, window: { from: number; to: number }, rows: { due_at: number; started_at: number | null; status: string }[]): Figures {
  const due = rows.filter((r) => r.due_at >= window.from && r.due_at < window.to);
  const done = due.filter((r) => r.status === 'SUCCEEDED' && r.started_at !== null);
  const lateness = done.map((r) => r.started_at! - r.due_at);
  return {
    nodes,
    runsPerSecond: round(done.length / ((window.to - window.from) / 1000)),
    dueFires: JOBS * Math.floor((window.to - window.from) / 1000),
    completed: done.length,
    latenessMs: { p50: round(percentile(lateness, 50)), p99: round(percentile(lateness, 99)) },
  };
}

// SQLite: one serve on a data folder.
const folder = tempDir();
const sqliteWindow = await runSchedule(['--data-dir', folder.dir], 1, folder.dir);
const db = new Database(join(folder.dir, 'jobdeck.db'), { readonly: true });
const sqlite = figures(1, sqliteWindow, db.prepare("SELECT due_at, started_at, status FROM runs WHERE trigger = 'schedule'").all() as never);
db.close();
folder.remove();

// PostgreSQL: 1, 2 and 3 nodes, each on a fresh database of one server.
const server = await startPostgres();
const postgres: Figures[] = [];
try {
  for (const nodes of [1, 2, 3]) {
    const url = await server.createDatabase(`bench_${nodes}`);
    const admin = tempDir();
    const window = await runSchedule(['--database', url], nodes, admin.dir);
    const rows = await server.query<{ due_at: string; started_at: string | null; status: string }>(`bench_${nodes}`, "SELECT due_at, started_at, status FROM jobdeck.runs WHERE trigger = 'schedule'");
    // Nodes waiting on each other in a circle cost PostgreSQL a second each to notice: there should be none.
    const [stats] = await server.query<{ deadlocks: string }>('postgres', `SELECT deadlocks FROM pg_stat_database WHERE datname = 'bench_${nodes}'`);
    const f = figures(nodes, window, rows.map((r) => ({ due_at: Number(r.due_at), started_at: r.started_at === null ? null : Number(r.started_at), status: r.status })));
    postgres.push({ ...f, deadlocks: Number(stats?.deadlocks ?? 0) });
    admin.remove();
  }
} finally {
  await server.stop();
}

const all = [sqlite, ...postgres];
report({
  scenario: 'cluster',
  jobs: JOBS,
  seconds: SECONDS,
  sqlite,
  postgres,
  pass: all.every((f) => f.completed >= 0.95 * f.dueFires),
  target: 'every configuration (SQLite, PostgreSQL with 1, 2, 3 nodes) completes >= 95% of the fires due',
});
