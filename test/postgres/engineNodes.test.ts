/**
 * Two engines (two nodes, each with its own data folder) on one PostgreSQL
 * database, in this process: a subscriber of one node follows, live and in
 * order, a run the other node executes; the follow-ups chore is taken by
 * one node at a time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { runDir } from '../../electron/engine/paths';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { createLocalClient } from '../../electron/engine/localClient';
import type { EngineEvent } from '../../shared/events';
import { recordEngineError, until } from '../helpers/engine';
import { postgresMissing, startPostgres, type TestPostgres } from '../helpers/postgres';
import { tempDir } from '../helpers/temp';

const missing = postgresMissing();
const ADMIN = { actor: 'tester', role: 'superadmin' as const };

describe.skipIf(missing)(`nodes of one PostgreSQL database, in one process${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: TestPostgres;
  const engines: Engine[] = [];
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    for (const e of engines.splice(0)) await e.close(0);
    await server?.stop();
  });

  async function node(database: string, extra: Parameters<typeof Engine.connect>[0] extends infer O ? Partial<O> : never = {}) {
    const dataDir = tempDir();
    const engine = await Engine.connect({ dataDir, database, killGraceMs: 500, onError: recordEngineError(dataDir), ...extra });
    engines.push(engine);
    return { engine, client: createLocalClient(engine, ADMIN) };
  }

  type Node = Awaited<ReturnType<typeof node>>;
  /** Triggers a job on `runner` (which executes it) and collects what a subscriber of `watcher` gets until its end. */
  async function followOnOther(watcher: Node, runner: Node, jobId: number, status: string) {
    const queued = await runner.client.call('runs.trigger', { jobId });
    const seen: EngineEvent[] = [];
    const off = watcher.engine.subscribe({ runId: queued.id, afterSeq: 0 }, (e) => seen.push(e));
    expect((await runner.engine.waitForRun(queued.id)).status).toBe(status);
    await until(() => seen.some((e) => e.type === 'run' && e.run.status === status), 10_000, 'the end on the other node');
    off();
    return { queued, seen };
  }

  it('a subscriber of one node follows a run executed by another, its lines in order and its end', async () => {
    const database = await server.createDatabase();
    const a = await node(database);
    const b = await node(database);
    const job = await a.client.call('jobs.create', {
      name: 'talker',
      script: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.15; done',
      schedule: { kind: 'manual' },
    });
    // Triggered on b: b executes it.
    const { queued, seen } = await followOnOther(a, b, job.id, 'SUCCEEDED');
    const lines = seen.flatMap((e) => (e.type === 'log' ? e.lines.filter((l) => l.stream === 'stdout').map((l) => l.text) : []));
    expect(lines).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    const seqs = seen.flatMap((e) => (e.type === 'log' ? e.lines.map((l) => l.seq) : []));
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    // Live, not only at the end: lines arrived in more than one event.
    expect(seen.filter((e) => e.type === 'log').length).toBeGreaterThan(1);
    const [run] = await a.client.call('runs.list', {}).then((r) => r.items);
    expect(run).toMatchObject({ id: queued.id, status: 'SUCCEEDED' });
  });

  it("a subscriber of one node gets the task events of a workflow run another node executes", async () => {
    const database = await server.createDatabase();
    const a = await node(database);
    const b = await node(database);
    const job = await a.client.call('jobs.create', {
      name: 'flow',
      schedule: { kind: 'manual' },
      workflow: {
        tasks: [
          { name: 'extract', script: 'sleep 0.3; echo e' },
          { name: 'load', subtasks: [{ name: 'one', script: 'sleep 0.3; echo 1' }, { name: 'two', script: 'exit 3' }] },
        ],
      },
    });
    const { queued, seen } = await followOnOther(a, b, job.id, 'FAILED');
    const taskEvents = seen.flatMap((e) => (e.type === 'tasks' ? e.tasks.map((t) => `${t.path} ${t.status}`) : []));
    // Live: a task seen running before it was seen done, and every task's last state as the store has it.
    expect(taskEvents).toContain('#.extract RUNNING');
    const last = new Map<string, string>();
    for (const e of seen) if (e.type === 'tasks') for (const t of e.tasks) last.set(t.path, t.status);
    const stored = await a.client.call('runs.tasks', { id: queued.id });
    expect(Object.fromEntries(last)).toEqual(Object.fromEntries(stored.map((t) => [t.path, t.status])));
    expect(last.get('#.load.two')).toBe('FAILED');
    // Only changes: a task is not published again in the same state (what a task's row holds, not its running time).
    const previous = new Map<string, string>();
    for (const e of seen) {
      if (e.type !== 'tasks') continue;
      for (const t of e.tasks) {
        const { durationMs: _ignored, ...state } = t;
        const text = JSON.stringify(state);
        expect(previous.get(t.path), `${t.path} published twice as ${text}`).not.toBe(text);
        previous.set(t.path, text);
      }
    }
  });

  it('serves a result file from the node that ran it; another node names that node when it serves no HTTP', async () => {
    // (Fetched from a node that serves HTTP: nodeFiles.test.ts.)
    const database = await server.createDatabase();
    const a = await node(database, { nodeAddress: 'desktop' });
    const b = await node(database, { nodeAddress: 'desktop' });
    const job = await a.client.call('jobs.create', { name: 'reporter', script: 'echo "total,3" > "$JOBDECK_OUTPUT_DIR/report.csv"', schedule: { kind: 'manual' } });
    const run = await b.engine.waitForRun((await b.client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    expect((await b.client.call('runs.readFile', { id: run.id, name: 'report.csv' })).text).toBe('total,3\n');
    // Listed on every node (the list is in the database); the bytes are on b's disk.
    expect((await a.client.call('runs.files', { id: run.id })).map((f) => f.name)).toEqual(['report.csv']);
    const refused = await a.client.call('runs.readFile', { id: run.id, name: 'report.csv' }).catch((err: unknown) => err as Error & { code: string });
    expect(refused).toMatchObject({ code: 'NOT_FOUND' });
    expect((refused as Error).message).toBe(
      `result file report.csv of run ${run.id} is kept by node ${b.engine.instanceId} (desktop, on ${hostname()}), which serves no HTTP (a desktop app or a jobdeck run): open it on that machine`,
    );
  });

  it("removes a node's run folders of runs another node deleted (retention, a deleted job)", async () => {
    const database = await server.createDatabase();
    const a = await node(database, { nodeAddress: 'desktop' });
    const b = await node(database, { nodeAddress: 'desktop' });
    const job = await a.client.call('jobs.create', { name: 'kept-one', script: 'echo hi > "$JOBDECK_OUTPUT_DIR/out.txt"', schedule: { kind: 'manual' }, retention: 1 });
    const other = await a.client.call('jobs.create', { name: 'deleted-later', script: 'echo hi', schedule: { kind: 'manual' } });
    // b runs the first run of each; a runs the second of the first job, and its retention deletes b's run.
    const first = await b.engine.waitForRun((await b.client.call('runs.trigger', { jobId: job.id })).id);
    const doomed = await b.engine.waitForRun((await b.client.call('runs.trigger', { jobId: other.id })).id);
    expect([first.status, doomed.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const onB = (jobId: number, runId: number) => runDir(b.engine.dataDir, jobId, runId);
    expect([existsSync(onB(job.id, first.id)), existsSync(onB(other.id, doomed.id))]).toEqual([true, true]);
    const second = await a.engine.waitForRun((await a.client.call('runs.trigger', { jobId: job.id })).id);
    expect(second.status).toBe('SUCCEEDED');
    await until(async () => (await a.client.call('runs.list', { jobId: job.id })).total === 1, 10_000, "a's retention");
    await a.client.call('jobs.delete', { id: other.id });
    // Still on b's disk until b looks.
    expect(existsSync(onB(job.id, first.id))).toBe(true);
    expect(await b.engine.sweepRunFolders()).toBe(2);
    expect([existsSync(onB(job.id, first.id)), existsSync(onB(other.id, doomed.id))]).toEqual([false, false]);
    // The deleted job's folder goes; the kept job's stays (its next run's folder is made inside it).
    expect([existsSync(join(b.engine.dataDir, 'runs', String(job.id))), existsSync(join(b.engine.dataDir, 'runs', String(other.id)))]).toEqual([true, false]);
    expect(await b.engine.sweepRunFolders()).toBe(0);
    const third = await b.engine.waitForRun((await b.client.call('runs.trigger', { jobId: job.id })).id);
    expect(third.status).toBe('SUCCEEDED');
    expect(existsSync(onB(job.id, third.id))).toBe(true);
    // a's own folders are a's janitor's: nothing of a live run is touched.
    expect(await a.engine.sweepRunFolders()).toBe(0);
    // A data folder holding run folders of another store (made before, not marked for this database) is never swept.
    const foreign = tempDir();
    mkdirSync(join(foreign, 'runs', '7', '123'), { recursive: true });
    const c = await node(database, { nodeAddress: 'desktop', dataDir: foreign });
    expect(await c.engine.sweepRunFolders()).toBe(0);
    expect(existsSync(join(foreign, 'runs', '7', '123'))).toBe(true);
    expect(readFileSync(join(b.engine.dataDir, 'runs', '.store-id'), 'utf8')).toMatch(/^[0-9a-f-]{36}\n$/);
    expect(existsSync(join(foreign, 'runs', '.store-id'))).toBe(false);
  });

  it("does not run late a fire its owner refused, once the refusal's cause has gone (the other node checks it a second later)", async () => {
    const database = await server.createDatabase();
    const db = database.slice(database.lastIndexOf('/') + 1);
    const go = join(tempDir(), 'go');
    await node(database, { nodeLeaseMs: 3000 });
    const b = await node(database, { nodeLeaseMs: 3000 });
    // Runs until told to end (at most 20 s), so the fires of the next seconds come while it runs, and its `skip` refuses them.
    const job = await b.client.call('jobs.create', {
      name: 'slow',
      script: `for i in $(seq 400); do [ -f '${go}' ] && exit 0; sleep 0.05; done`,
      schedule: { kind: 'interval', seconds: 1 },
      overlap: 'skip',
    });
    const refusals = () => server.query<{ due_at: string }>(db, `SELECT due_at FROM jobdeck.fire_refusals WHERE job_id = ${job.id}`);
    await until(async () => (await refusals()).length > 0, 10_000, 'a fire refused while the first run runs');
    // The cause goes: no more fires for five minutes, and the run ends. The other node checks the refused fire a second after it was due.
    await b.client.call('jobs.update', { id: job.id, changes: { schedule: { kind: 'interval', seconds: 300 } } });
    writeFileSync(go, '');
    const refused = (await refusals()).map((r) => Number(r.due_at));
    const runs = async () => (await b.client.call('runs.list', { jobId: job.id })).items;
    await until(async () => (await runs()).every((r) => r.status === 'SUCCEEDED'), 10_000, 'the run to end');
    // The database's clock is this machine's here. The other node checks the fire a second after it was due; 3 s more for a busy machine.
    await new Promise((r) => setTimeout(r, Math.max(0, Math.max(...refused) + 4000 - Date.now())));
    const dueTimes = (await runs()).map((r) => (r.dueAt === null ? null : Date.parse(r.dueAt)));
    expect(dueTimes.filter((d) => d !== null && refused.includes(d))).toEqual([]);
    expect(dueTimes).toHaveLength(1);
  });

  it('makes notification follow-ups on one node at a time', async () => {
    const database = await server.createDatabase();
    const a = await node(database, { notifyPollMs: 50 });
    const b = await node(database, { notifyPollMs: 50 });
    const db = database.slice(database.lastIndexOf('/') + 1);
    const owners = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const rows = await server.query<{ owner: string }>(db, `SELECT owner FROM jobdeck.chores WHERE name = 'notify.follow-ups'`);
      expect(rows.length).toBeLessThanOrEqual(1);
      for (const r of rows) owners.add(r.owner);
      await new Promise((r) => setTimeout(r, 100));
    }
    // One node holds it while it lives (it renews on every pass).
    expect(owners.size).toBe(1);
    expect([a.engine.instanceId, b.engine.instanceId]).toContain([...owners][0]);
  });
});
