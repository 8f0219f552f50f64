/**
 * Several `jobdeck serve` nodes, each a process of its own with its own data
 * folder, sharing one PostgreSQL database: every due fire runs once across
 * them, a node killed with SIGKILL has its runs ended "node lost" within
 * its lease while the others go on firing its share, one run per job is in
 * progress at every moment, logs are whole. Nodes whose clocks are minutes
 * off (libfaketime) fire on the database's time. Bounded: some twenty jobs
 * each second for about fifteen seconds; the issue's full size (200 jobs
 * each second for a minute) on a machine with the cores for it:
 * JOBDECK_CLUSTER_JOBS=200 JOBDECK_CLUSTER_SECONDS=60.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { BIN, cli } from '../helpers/cli';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

const missing = postgresMissing();
const LEASE_S = 3;
/** Jobs firing every second, and seconds of firing (about half before the kill, half after). */
const JOBS = Math.min(1000, Number(process.env.JOBDECK_CLUSTER_JOBS ?? 20));
const SECONDS = Math.min(600, Number(process.env.JOBDECK_CLUSTER_SECONDS ?? 8));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** libfaketime's library: preloaded into a node, it moves that process's wall clock (and its children's). */
function faketimeLibrary(): string | null {
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    const lib = join(dir, 'faketime', 'libfaketime.so.1');
    if (existsSync(lib)) return lib;
  }
  return null;
}

function faketimeMissing(): string | null {
  if (faketimeLibrary()) return null;
  if (process.env.CI) throw new Error('libfaketime is not installed (apt-get install faketime): the clock-skew test needs it in CI');
  return 'libfaketime is not installed (apt-get install faketime)';
}

/** Polls until fn answers something truthy, for at most ms (a bounded wait for a condition). */
async function until<T>(fn: () => Promise<T>, ms: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(missing)(`a cluster of serve nodes on one PostgreSQL${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => server?.stop());

  /** A database with an admin; its URL, the admin's token, and a query on it. */
  async function cluster() {
    const url = await server.createDatabase();
    const added = await cli(['--database', url, 'users', 'add', 'ops', '--role', 'superadmin'], { dataDir: tempDir() });
    expect([added.code, added.stderr]).toEqual([0, 'Added ops (superadmin). API token, shown only now; keep it safe:\n']);
    const token = added.stdout.trim();
    const db = url.slice(url.lastIndexOf('/') + 1);
    const query = <T extends Record<string, unknown>>(sql: string, values?: unknown[]) => server.query<T>(db, sql, values);
    const api = async <T,>(base: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${base}/api${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    };
    return { url, token, query, api };
  }

  /**
   * Runs recorded twice for one fire, and fires no node recorded. A job
   * whose policy is `queue` keeps one run waiting: a fire while one waits
   * is refused by the policy, not lost (a dead node's run holds its job
   * until the lease ends, so the run queued behind it waits that long).
   */
  async function firesOnce(query: Awaited<ReturnType<typeof cluster>>['query']) {
    const twice = await query(`SELECT job_id, due_at, count(*) AS n FROM jobdeck.runs WHERE due_at IS NOT NULL GROUP BY job_id, due_at HAVING count(*) > 1`);
    const runs = await query<{ job_id: number; due_at: string | null; queued_at: string; started_at: string | null; finished_at: string | null; trigger: string }>(
      `SELECT job_id, due_at, queued_at, started_at, finished_at, trigger FROM jobdeck.runs ORDER BY job_id, id`,
    );
    const byJob = new Map<number, typeof runs>();
    for (const r of runs) byJob.set(r.job_id, [...(byJob.get(r.job_id) ?? []), r]);
    const lost: string[] = [];
    let refused = 0;
    let fires = 0;
    for (const [jobId, list] of byJob) {
      const dues = list.filter((r) => r.trigger === 'schedule').map((r) => Number(r.due_at)).sort((a, b) => a - b);
      fires += dues.length;
      const queuedAt = new Map(list.filter((r) => r.trigger === 'schedule').map((r) => [Number(r.due_at), Number(r.queued_at)]));
      for (let i = 1; i < dues.length; i++) {
        // A job's fires are tried in due order, so a fire missing before this recorded one was tried by the time this one
        // was queued (or a moment after its due time: its owner tries it then, another node a second later when the owner
        // has died). Refused, not lost, if a run of the job was waiting (queued, not started) at some point of that span.
        const triedBy = queuedAt.get(dues[i]!)!;
        for (let t = dues[i - 1]! + 1000; t < dues[i]!; t += 1000) {
          const waiting = list.some((r) => Number(r.queued_at) <= Math.max(t + 1500, triedBy) && Number(r.started_at ?? r.finished_at ?? Infinity) >= t);
          if (waiting) refused += 1;
          else if (process.env.JOBDECK_CLUSTER_LOG) {
            // At full size, what happened around it (times relative to the missing fire).
            const near = list.filter((r) => Math.abs(Number(r.queued_at) - t) < 4000).map((r) => `${r.trigger} due ${r.due_at === null ? '-' : Number(r.due_at) - t} queued ${Number(r.queued_at) - t} started ${r.started_at === null ? '-' : Number(r.started_at) - t} ended ${r.finished_at === null ? '-' : Number(r.finished_at) - t}`);
            lost.push(`job ${jobId}: the fire due at ${t}; near it: ${near.join('; ')}`);
          } else lost.push(`job ${jobId}: the fire due at ${t}`);
        }
        if (dues[i]! - dues[i - 1]! < 1000) lost.push(`job ${jobId}: fires ${dues[i - 1]} and ${dues[i]} less than a second apart`);
      }
    }
    return { twice, lost, refused, jobs: byJob.size, fires };
  }

  it(
    'runs each fire once across three nodes; a node killed with SIGKILL has its runs ended "node lost" within its lease, the others fire its share; one run per job in progress; logs whole',
    async () => {
      const { url, query, api } = await cluster();
      // Each run lasts at least 0.2 s: JOBS a second keep JOBS / 5 runs in progress, all of them on the two survivors after the kill.
      const concurrency = Math.max(8, Math.ceil((JOBS * 0.3) / 2));
      const nodes = await Promise.all([0, 1, 2].map(() => serve(['--database', url, '--node-lease', String(LEASE_S), '--concurrency', String(concurrency)], tempDir())));
      const ids = await Promise.all(nodes.map(async (n) => (await api<{ id: string; self: boolean }[]>(n.url, '/nodes')).find((x) => x.self)!.id));
      const t0 = Date.now();
      // At full size, where the time goes (JOBDECK_CLUSTER_LOG=file).
      const phase = (what: string) => process.env.JOBDECK_CLUSTER_LOG && appendFileSync(process.env.JOBDECK_CLUSTER_LOG, `${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      // Made while every node is paused, so they all start firing together (and the API is not racing a growing load).
      for (const n of nodes) await api(n.url, '/scheduler/pause', {});
      for (let i = 0; i < JOBS; i++) {
        await api(nodes[i % 3]!.url, '/jobs', {
          name: `tick-${i}`,
          script: 'echo "start $JOBDECK_RUN_ID"; sleep 0.2; echo "done $JOBDECK_RUN_ID"',
          schedule: { kind: 'interval', seconds: 1 },
          overlap: 'queue',
        });
      }
      for (const n of nodes) await api(n.url, '/scheduler/resume', {});
      phase('jobs created');
      // One run in progress per job at every moment, as the database sees it (sampled while it all runs).
      let overlapping = 0;
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [row] = await query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT job_id FROM jobdeck.runs WHERE status = 'IN_PROGRESS' GROUP BY job_id HAVING count(*) > 1) x`);
          overlapping += Number(row!.n);
          samples += 1;
          await sleep(100);
        }
      })();

      await sleep((SECONDS / 2) * 1000);
      // Killed mid-run: a long run of its own has printed its first line when it dies.
      const victim = ids[1]!;
      const long = await api<{ id: number }>(nodes[0]!.url, '/jobs', { name: 'long', script: 'echo "begun"; sleep 60; echo "never"', schedule: { kind: 'manual' } });
      const longRun = await api<{ id: number }>(nodes[1]!.url, `/jobs/${long.id}/runs`, {});
      await until(async () => (await query(`SELECT 1 FROM jobdeck.log_lines WHERE run_id = $1 AND text = 'begun'`, [longRun.id])).length > 0, 10_000, 'the long run to begin on the node to kill');
      phase('the long run begun');
      nodes[1]!.child.kill('SIGKILL');
      const killedAt = Date.now();
      await until(async () => (await query(`SELECT 1 FROM jobdeck.nodes WHERE id = $1 AND lost_at IS NOT NULL`, [victim])).length > 0, (LEASE_S + 5) * 1000, 'the killed node declared lost');
      const reapedAfter = Date.now() - killedAt;
      // Its lease, plus at most one heartbeat of the finder (a third of the lease), plus slack for a loaded machine.
      expect(reapedAfter).toBeLessThan(LEASE_S * 1000 + 1000 + 2500);
      await sleep((SECONDS / 2) * 1000);
      phase('stopping the survivors');
      for (const n of [nodes[0]!, nodes[2]!]) n.child.kill('SIGTERM');
      await Promise.all([nodes[0]!, nodes[2]!].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
      sampling = false;
      await sampler;
      phase('stopped');

      expect(samples).toBeGreaterThan(50);
      expect(overlapping).toBe(0);
      const { twice, lost: gaps, jobs, fires } = await firesOnce(query);
      expect(twice).toEqual([]);
      expect(gaps).toEqual([]);
      expect(jobs).toBe(JOBS + 1);
      // Nothing left waiting or running once the nodes have stopped (the graceful ones cancel their queue).
      expect(await query(`SELECT id, status FROM jobdeck.runs WHERE status IN ('QUEUED', 'IN_PROGRESS')`)).toEqual([]);
      // The killed node's unfinished runs: FAILED "node lost", with the lines received and the reason.
      phase(`checked: ${fires} fires, none twice, none lost`);
      const lost = await query<{ id: number; status: string; error: string | null }>(`SELECT id, status, error FROM jobdeck.runs WHERE owner = $1 AND status <> 'SUCCEEDED'`, [victim]);
      expect(lost.length).toBeGreaterThan(0);
      for (const r of lost) expect(r).toMatchObject({ status: 'FAILED', error: 'node lost' });
      expect(lost.map((r) => Number(r.id))).toContain(longRun.id);
      const kept = await query<{ text: string }>(`SELECT text FROM jobdeck.log_lines WHERE run_id = $1 ORDER BY seq`, [longRun.id]);
      expect(kept.map((l) => l.text)).toEqual([expect.stringMatching(/^Starting attempt 1 of long: /), 'begun', expect.stringMatching(new RegExp(`^Interrupted: node ${victim} \\(.*\\) stopped answering: its last heartbeat was [\\d.]+ s ago, its lease 3 s$`))]);
      const reasons = await query<{ n: string }>(`SELECT count(*) AS n FROM jobdeck.log_lines WHERE run_id = ANY($1) AND text LIKE 'Interrupted: node ${victim} %stopped answering%'`, [lost.map((r) => r.id)]);
      expect(Number(reasons[0]!.n)).toBe(lost.length);
      // Every successful run kept both of its lines, in order, numbered without a gap.
      const broken = await query(`SELECT r.id FROM jobdeck.runs r WHERE r.status = 'SUCCEEDED' AND (
          (SELECT string_agg(split_part(text, ' ', 1), ',' ORDER BY seq) FROM jobdeck.log_lines l WHERE l.run_id = r.id AND l.stream = 1) IS DISTINCT FROM 'start,done'
          OR (SELECT count(*) FROM jobdeck.log_lines l WHERE l.run_id = r.id) <> r.last_seq)`);
      expect(broken).toEqual([]);
      // The survivors both worked, before and after the kill.
      const owners = await query<{ owner: string; n: string }>(`SELECT owner, count(*) AS n FROM jobdeck.runs WHERE status = 'SUCCEEDED' GROUP BY owner`);
      for (const id of [ids[0]!, ids[2]!]) expect(Number(owners.find((o) => o.owner === id)?.n ?? 0)).toBeGreaterThan(0);
      if (process.env.JOBDECK_CLUSTER_LOG) {
        const [rate] = await query<{ done: string; p99: string }>(
          `SELECT count(*) AS done, percentile_cont(0.99) WITHIN GROUP (ORDER BY started_at - due_at) AS p99 FROM jobdeck.runs WHERE trigger = 'schedule' AND status = 'SUCCEEDED'`,
        );
        phase(`${JOBS} jobs each second, ${fires} fires recorded, ${rate!.done} succeeded, start lateness p99 ${Math.round(Number(rate!.p99))} ms`);
      }
      // Capacity last: every guarantee above holds on an overloaded machine too, where fires wait and are refused by policy.
      expect(fires).toBeGreaterThan(JOBS * SECONDS);
    },
    Math.max(90_000, SECONDS * 1000 + JOBS * 100 + 60_000),
  );

  it(
    'a `jobdeck run` on the shared database is a node while it runs: killed with SIGKILL mid-run, a serve node ends its run "node lost"',
    async () => {
      const { url, query, api } = await cluster();
      const node = await serve(['--database', url, '--node-lease', String(LEASE_S)], tempDir());
      const job = await api<{ id: number }>(node.url, '/jobs', { name: 'by-hand', script: 'echo "begun"; sleep 60', schedule: { kind: 'manual' } });
      const child = spawn(process.execPath, [BIN, '--database', url, 'run', 'by-hand', '--node-lease', String(LEASE_S)], {
        env: { ...process.env, JOBDECK_DATA_DIR: tempDir(), NO_COLOR: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const run = await until(async () => (await query<{ id: string; owner: string }>(`SELECT r.id, r.owner FROM jobdeck.runs r JOIN jobdeck.log_lines l ON l.run_id = r.id WHERE r.job_id = $1 AND l.text = 'begun'`, [job.id]))[0], 15_000, 'the run to begin in jobdeck run');
      // Listed as a node while it runs.
      const listed = await api<{ id: string; address: string; state: string }[]>(node.url, '/nodes');
      expect(listed.find((n) => n.id === run.owner)).toMatchObject({ address: 'jobdeck run', state: 'alive' });
      expect(await query(`SELECT lease_ms FROM jobdeck.nodes WHERE id = $1`, [run.owner])).toEqual([{ lease_ms: String(LEASE_S * 1000) }]);
      child.kill('SIGKILL');
      const killedAt = Date.now();
      const ended = await until(
        async () => {
          const r = await api<{ status: string; error: string | null }>(node.url, `/runs/${run.id}`);
          return r.status === 'IN_PROGRESS' ? null : r;
        },
        // Its lease (--node-lease), then the serve's next heartbeat (a third of its own lease), then the poll.
        (LEASE_S + 5) * 1000,
        'the run to end',
      );
      expect(ended).toMatchObject({ status: 'FAILED', error: 'node lost' });
      expect(stderr).toMatch(/^\[jobdeck\] Starting attempt 1 of by-hand: sh \S+\/script\.sh\n$/);
      expect(Date.now() - killedAt).toBeLessThan((LEASE_S + LEASE_S / 3 + 2) * 1000);
      node.child.kill('SIGTERM');
      await new Promise((r) => (node.child.exitCode !== null ? r(null) : node.child.once('exit', r)));
    },
    90_000,
  );

  const noFaketime = missing ? null : faketimeMissing();
  it.skipIf(noFaketime)(
    `follows the database's clock: nodes 5 minutes ahead and 5 minutes behind fire each second once, on time, and neither is declared lost${noFaketime ? ` (skipped: ${noFaketime})` : ''}`,
    async () => {
      const { url, token, query, api } = await cluster();
      // Only the wall clock is moved (timers keep their pace), as on a machine whose clock is set wrong.
      const skewed = (offset: string) => ({ LD_PRELOAD: faketimeLibrary()!, FAKETIME: offset, FAKETIME_DONT_FAKE_MONOTONIC: '1' });
      const ahead = await serve(['--database', url, '--node-lease', String(LEASE_S)], tempDir(), skewed('+5m'));
      const behind = await serve(['--database', url, '--node-lease', String(LEASE_S)], tempDir(), skewed('-5m'));
      const started = Date.now();
      for (let i = 0; i < 4; i++) await api(i % 2 ? behind.url : ahead.url, '/jobs', { name: `skew-${i}`, script: 'echo on time', schedule: { kind: 'interval', seconds: 1 }, overlap: 'queue' });
      await sleep(6000);
      const both = await api<{ id: string; state: string }[]>(ahead.url, '/nodes');
      expect(both.map((n) => n.state)).toEqual(['alive', 'alive']);
      // Each node still runs what is asked of it (neither starves): a manual trigger on each runs there.
      for (const node of [ahead, behind]) {
        const run = await api<{ id: number }>(node.url, '/jobs/1/runs', {});
        await until(async () => (await api<{ status: string }>(node.url, `/runs/${run.id}`)).status === 'SUCCEEDED', 10_000, 'a triggered run');
      }
      // A result file downloads from the node that did not make it (fetched from the one that did, whose clock is 10 minutes
      // off: the nodes' credentials expire on the database's time).
      const reporter = await api<{ id: number }>(ahead.url, '/jobs', { name: 'reporter', script: 'echo "total,3" > "$JOBDECK_OUTPUT_DIR/report.csv"', schedule: { kind: 'manual' } });
      const made = await api<{ id: number }>(behind.url, `/jobs/${reporter.id}/runs`, {});
      await until(async () => (await api<{ status: string }>(behind.url, `/runs/${made.id}`)).status === 'SUCCEEDED', 10_000, 'the reporter');
      const [{ owner }] = (await query<{ owner: string }>(`SELECT owner FROM jobdeck.runs WHERE id = $1`, [made.id])) as [{ owner: string }];
      const selfOf = async (n: { url: string }) => (await api<{ id: string; self: boolean }[]>(n.url, '/nodes')).find((x) => x.self)!.id;
      const other = (await selfOf(ahead)) === owner ? behind : ahead;
      expect(await selfOf(other)).not.toBe(owner);
      const file = await fetch(`${other.url}/api/runs/${made.id}/files/report.csv`, { headers: { authorization: `Bearer ${token}` } });
      expect([file.status, await file.text()]).toEqual([200, 'total,3\n']);
      for (const n of [ahead, behind]) n.child.kill('SIGTERM');
      await Promise.all([ahead, behind].map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))));
      const ended = Date.now();

      const { twice, lost: gaps, refused, fires } = await firesOnce(query);
      expect(refused).toBe(0);
      expect(twice).toEqual([]);
      expect(gaps).toEqual([]);
      expect(fires).toBeGreaterThanOrEqual(4 * 4);
      // Due on the database's (the real) time, and recorded when due: not five minutes early or late.
      const runs = await query<{ due_at: string; queued_at: string }>(`SELECT due_at, queued_at FROM jobdeck.runs WHERE trigger = 'schedule'`);
      for (const r of runs) {
        expect(Number(r.due_at)).toBeGreaterThan(started - 1000);
        expect(Number(r.due_at)).toBeLessThan(ended + 1000);
        expect(Number(r.queued_at) - Number(r.due_at)).toBeGreaterThanOrEqual(-250);
        expect(Number(r.queued_at) - Number(r.due_at)).toBeLessThan(2000);
      }
      expect(await query(`SELECT id FROM jobdeck.nodes WHERE lost_at IS NOT NULL`)).toEqual([]);
    },
    60_000,
  );
});
