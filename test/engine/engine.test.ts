/** The engine as a whole: real SQLite files, real processes. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { Engine } from '../../electron/engine/engine';
import { runDir } from '../../electron/engine/paths';
import { openEngine, rejection, until } from '../helpers/engine';
import { killChild, startEngineChild } from '../helpers/engineChild';
import { fixture, isAlive } from '../helpers/process';
import { tempDir } from '../helpers/temp';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const manual = { kind: 'manual' as const };

describe('jobs', () => {
  it('stores jobs with defaults, the script MD5 and every script version', async () => {
    const { client } = openEngine();
    const job = await client.call('jobs.create', { name: 'Nightly report', script: 'echo one\n' });
    expect(job).toMatchObject({
      schedule: { kind: 'interval', seconds: 60 },
      runtime: 'sh',
      enabled: true,
      archived: false,
      overlap: 'skip',
      misfire: 'run-once',
      retention: 500,
      createdBy: 'tester',
    });
    const { createHash } = await import('node:crypto');
    expect(job.scriptMd5).toBe(createHash('md5').update('echo one\n').digest('hex'));
    const updated = await client.call('jobs.update', { id: job.id, changes: { script: 'echo two\n' } });
    expect(updated.revision).toBe(2);
    const history = await client.call('jobs.history', { id: job.id });
    expect(history.map((v) => [v.version, v.md5, v.script])).toEqual([
      [2, createHash('md5').update('echo two\n').digest('hex'), 'echo two\n'],
      [1, job.scriptMd5, 'echo one\n'],
    ]);
    const audit = await client.call('audit.list', { jobId: job.id });
    expect(audit.items.map((a) => a.action)).toEqual(['job.update', 'job.create']);
    expect(audit.items[0]!.details).toEqual({ changes: { script: { from: job.scriptMd5, to: updated.scriptMd5 } } });
  });

  it('refuses taken names without regard to case, bad input, and stale edits', async () => {
    const { client } = openEngine();
    const a = await client.call('jobs.create', { name: 'Backup', script: 'true' });
    expect((await rejection(client.call('jobs.create', { name: 'backup', script: 'true' }))).code).toBe('NAME_TAKEN');
    const b = await client.call('jobs.create', { name: 'Other', script: 'true' });
    const taken = await rejection(client.call('jobs.update', { id: b.id, changes: { name: 'BACKUP' } }));
    expect([taken.code, taken.field]).toEqual(['NAME_TAKEN', 'changes.name']);
    const bad = await rejection(client.call('jobs.create', { name: 'x', script: 'true', schedule: { kind: 'interval', seconds: 301 } }));
    expect([bad.code, bad.field]).toEqual(['VALIDATION_FAILED', 'schedule.seconds']);
    expect((await rejection(client.call('jobs.get', { id: 999 }))).code).toBe('NOT_FOUND');
    await client.call('jobs.update', { id: a.id, ifRevision: 1, changes: { group: 'g' } });
    const stale = await rejection(client.call('jobs.update', { id: a.id, ifRevision: 1, changes: { group: 'h' } }));
    expect([stale.code, stale.field]).toEqual(['CONFLICT', 'ifRevision']);
    const params = await rejection(
      client.call('jobs.create', {
        name: 'p',
        script: 'true',
        params: [{ name: 'count', type: 'number' }],
        paramValues: { count: 'many' },
      }),
    );
    expect([params.code, params.field]).toEqual(['VALIDATION_FAILED', 'paramValues.count']);
    // Nothing half-written.
    expect((await client.call('jobs.list', {})).total).toBe(2);
  });

  it('orders the list by next execution with disabled and archived jobs last', async () => {
    const clock = new ManualClock(T0);
    const { client } = openEngine({ clock });
    const mk = (name: string, extra: object) => client.call('jobs.create', { name, script: 'true', ...extra });
    const archived = await mk('archived', { schedule: { kind: 'interval', seconds: 1 } });
    await client.call('jobs.archive', { id: archived.id });
    await mk('disabled', { schedule: { kind: 'interval', seconds: 1 }, enabled: false });
    await mk('in 200 s', { schedule: { kind: 'interval', seconds: 200 } });
    await mk('manual', { schedule: manual });
    await mk('in 5 s', { schedule: { kind: 'interval', seconds: 5 } });
    await mk('cron', { schedule: { kind: 'cron', expression: '30 0 12 * * *', timezone: 'UTC' } });
    const { items } = await client.call('jobs.list', {});
    expect(items.map((j) => j.name)).toEqual(['in 5 s', 'cron', 'in 200 s', 'manual', 'disabled', 'archived']);
    expect(items[0]!.nextRunAt).toBe(new Date(T0 + 5000).toISOString());
    expect((await client.call('jobs.list', { archived: 'exclude' })).items.map((j) => j.name)).not.toContain('archived');
    expect((await client.call('jobs.list', { archived: 'only' })).items.map((j) => j.name)).toEqual(['archived']);
    expect((await client.call('jobs.list', { search: 'IN ' })).items.map((j) => j.name)).toEqual(['in 5 s', 'in 200 s']);
  });

  it('round-trips export and import exactly, and a malformed file changes nothing', async () => {
    const { client } = openEngine();
    await client.call('jobs.create', {
      name: 'report',
      script: 'echo report\n',
      group: 'reports',
      description: 'daily numbers',
      runtime: 'python3',
      params: [
        { name: 'recip', type: 'string', required: true, description: 'who gets it' },
        { name: 'mode', type: 'choice', choices: ['fast', 'full'], default: 'fast' },
      ],
      paramValues: { recip: 'ops@example.com' },
      user: 'svc-report',
      schedule: { kind: 'cron', expression: '0 15 * * MON', timezone: 'Europe/Oslo' },
      timeoutSeconds: 600,
      overlap: 'queue',
      retries: { count: 2, delaySeconds: 30 },
      misfire: 'skip',
      lock: 'db',
      retention: 20,
    });
    const old = await client.call('jobs.create', { name: 'old', script: 'true', schedule: manual });
    await client.call('jobs.archive', { id: old.id });
    const doc = await client.call('jobs.export', {});
    expect(doc.jobs).toHaveLength(2);

    const other = openEngine();
    const bad = JSON.parse(JSON.stringify(doc));
    bad.jobs[1].schedule = { kind: 'interval', seconds: 0 };
    const err = await rejection(other.client.call('jobs.import', { document: bad }));
    expect([err.code, err.field]).toEqual(['VALIDATION_FAILED', 'document.jobs.1.schedule.seconds']);
    expect((await other.client.call('jobs.list', {})).total).toBe(0);
    const dry = await other.client.call('jobs.import', { document: doc, dryRun: true });
    expect(dry).toEqual({ dryRun: true, created: ['report', 'old'], updated: [], unchanged: [] });
    expect((await other.client.call('jobs.list', {})).total).toBe(0);

    expect(await other.client.call('jobs.import', { document: doc })).toMatchObject({ created: ['report', 'old'] });
    const again = await other.client.call('jobs.export', {});
    expect({ ...again, exportedAt: '' }).toEqual({ ...doc, exportedAt: '' });
    expect(await other.client.call('jobs.import', { document: doc })).toMatchObject({ unchanged: ['report', 'old'], created: [], updated: [] });
  });
});

describe('scheduling', () => {
  it('fires interval jobs and stops firing an archived job without a restart', async () => {
    const clock = new ManualClock(T0);
    const { engine, client } = openEngine({ clock });
    const job = await client.call('jobs.create', { name: 'tick', script: 'true', schedule: { kind: 'interval', seconds: 1 } });
    await clock.advanceAsync(1000);
    const first = await until(async () => (await client.call('runs.list', { jobId: job.id })).items[0]);
    expect(first).toMatchObject({ trigger: 'schedule', triggeredBy: 'scheduler', dueAt: new Date(T0 + 1000).toISOString() });
    await engine.waitForRun(first.id);
    await client.call('jobs.archive', { id: job.id });
    await clock.advanceAsync(5000);
    expect((await client.call('runs.list', { jobId: job.id })).total).toBe(1);
    expect((await client.call('jobs.get', { id: job.id })).nextRunAt).toBeNull();
    await client.call('jobs.unarchive', { id: job.id });
    await clock.advanceAsync(1000);
    expect((await client.call('runs.list', { jobId: job.id })).total).toBe(2);
  });

  it('keeps the cadence across a restart and applies misfire policies after downtime', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(T0);
    const first = openEngine({ dataDir, clock });
    const once = await first.client.call('jobs.create', { name: 'once', script: 'true', schedule: { kind: 'interval', seconds: 60 } });
    const skip = await first.client.call('jobs.create', {
      name: 'skip',
      script: 'true',
      schedule: { kind: 'interval', seconds: 60 },
      misfire: 'skip',
    });
    await first.engine.close(0);
    // Down for ten minutes.
    await clock.advanceAsync(10 * 60_000 + 5_000);
    const second = openEngine({ dataDir, clock });
    const runs = await second.client.call('runs.list', {});
    expect(runs.items.map((r) => [r.jobId, r.trigger])).toEqual([[once.id, 'catch-up']]);
    for (const id of [once.id, skip.id]) {
      expect((await second.client.call('jobs.get', { id })).nextRunAt).toBe(new Date(T0 + 11 * 60_000).toISOString());
    }
  });

  it('refuses a second scheduler on the same folder, naming the owner', async () => {
    const { dataDir } = openEngine({ hostKind: 'jobdeck serve' });
    let err: unknown;
    try {
      Engine.open({ dataDir });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SCHEDULER_LOCKED' });
    expect(String((err as Error).message)).toMatch(new RegExp(`jobdeck serve \\(pid ${process.pid} on `));
    const cli = openEngine({ dataDir, scheduler: false });
    expect(await cli.engine.services.scheduler.status()).toMatchObject({ active: false, owner: expect.stringContaining('jobdeck serve') });
  });

  it('picks up job edits made by another process', async () => {
    const { engine, client, dataDir } = openEngine();
    const job = await client.call('jobs.create', { name: 'edited elsewhere', script: 'true', schedule: { kind: 'interval', seconds: 300 } });
    const other = openEngine({ dataDir, scheduler: false });
    await other.client.call('jobs.update', { id: job.id, changes: { schedule: { kind: 'interval', seconds: 1 } } });
    const run = await until(async () => (await client.call('runs.list', { jobId: job.id })).items[0], 5000, 'a fire');
    expect(run.trigger).toBe('schedule');
    await engine.waitForRun(run.id);
  });

  it('pauses and resumes firing, persisted across restarts', async () => {
    const dataDir = tempDir();
    const clock = new ManualClock(T0);
    const a = openEngine({ dataDir, clock });
    await a.client.call('jobs.create', { name: 't', script: 'true', schedule: { kind: 'interval', seconds: 1 } });
    expect((await a.client.call('scheduler.pause', {})).paused).toBe(true);
    await clock.advanceAsync(5000);
    expect((await a.client.call('runs.list', {})).total).toBe(0);
    await a.engine.close(0);
    const b = openEngine({ dataDir, clock });
    expect((await b.client.call('scheduler.status', {})).paused).toBe(true);
    await clock.advanceAsync(5000);
    expect((await b.client.call('runs.list', {})).total).toBe(0);
    await b.client.call('scheduler.resume', {});
    await clock.advanceAsync(1000);
    expect((await b.client.call('runs.list', {})).total).toBe(1);
    const restarted = await b.client.call('scheduler.restart', {});
    expect(restarted.nextFires).toHaveLength(1);
    expect((await b.client.call('audit.list', {})).items.map((e) => e.action).slice(0, 2)).toEqual(['scheduler.restart', 'scheduler.resume']);
  });
});

describe('runs', () => {
  it('refuses a trigger while the job runs (skip) and keeps at most one waiting run (queue)', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const skip = await client.call('jobs.create', { name: 'skip', script: fixture('slow.sh'), schedule: manual });
    const first = await client.call('runs.trigger', { jobId: skip.id, args: '30' });
    const err = await rejection(client.call('runs.trigger', { jobId: skip.id }));
    expect(err.code).toBe('JOB_ALREADY_RUNNING');
    expect(err.message).toMatch(/currently running/);
    await client.call('runs.cancel', { id: first.id });

    const queue = await client.call('jobs.create', { name: 'queue', script: 'sleep 0.5', schedule: manual, overlap: 'queue' });
    const r1 = await client.call('runs.trigger', { jobId: queue.id });
    const r2 = await client.call('runs.trigger', { jobId: queue.id });
    expect(r2.status).toBe('QUEUED');
    expect((await rejection(client.call('runs.trigger', { jobId: queue.id }))).code).toBe('JOB_ALREADY_QUEUED');
    const [d1, d2] = [await engine.waitForRun(r1.id), await engine.waitForRun(r2.id)];
    expect([d1.status, d2.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(Date.parse(d2.startedAt!)).toBeGreaterThanOrEqual(Date.parse(d1.finishedAt!));
  });

  it('runs at most `concurrency` runs at once, the rest in FIFO order', async () => {
    const { engine, client } = openEngine({ concurrency: 2, scheduler: false });
    const ids: number[] = [];
    // One slot stays busy (2 s) while the other frees every 0.3 s: each queued run leaves the queue only
    // after the one before it ended, so their start order is the queue's choice alone, whatever the load.
    const sleeps = [0.3, 2, 0.3, 0.3, 0.3];
    for (let i = 0; i < 5; i++) {
      const job = await client.call('jobs.create', { name: `j${i}`, script: `sleep ${sleeps[i]}`, schedule: manual });
      ids.push((await client.call('runs.trigger', { jobId: job.id })).id);
    }
    expect(await client.call('scheduler.status', {})).toMatchObject({ running: 2, queued: 3, concurrency: 2 });
    const runs = await Promise.all(ids.map((id) => engine.waitForRun(id)));
    const spans = runs.map((r) => [Date.parse(r.startedAt!), Date.parse(r.finishedAt!)] as const);
    for (const [start] of spans) {
      expect(spans.filter(([s, f]) => s <= start && start < f).length).toBeLessThanOrEqual(2);
    }
    // First in, first out: the queued runs start in the order they were queued, after the first two. (The
    // first two start at once from different launchers, so which of them is a few ms first is not an order.)
    const starts = spans.map(([s]) => s);
    const queued = starts.slice(2);
    expect([...queued].sort((a, b) => a - b)).toEqual(queued);
    expect(Math.max(starts[0]!, starts[1]!)).toBeLessThan(queued[0]!);
  });

  it('never runs two jobs that share a lock at once; an admin can break a stale lock', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const a = await client.call('jobs.create', { name: 'sweep a', script: 'sleep 0.4', schedule: manual, lock: 'media' });
    const b = await client.call('jobs.create', { name: 'sweep b', script: 'true', schedule: manual, lock: 'media' });
    const ra = await client.call('runs.trigger', { jobId: a.id });
    const rb = await client.call('runs.trigger', { jobId: b.id });
    const locks = await client.call('locks.list', {});
    expect(locks).toEqual([expect.objectContaining({ name: 'media', runId: ra.id, jobName: 'sweep a', holderAlive: true })]);
    expect((await client.call('runs.get', { id: rb.id })).status).toBe('QUEUED');
    const [da, db] = [await engine.waitForRun(ra.id), await engine.waitForRun(rb.id)];
    expect(Date.parse(db.startedAt!)).toBeGreaterThanOrEqual(Date.parse(da.finishedAt!));
    expect(await client.call('locks.list', {})).toEqual([]);
    // A stale lock (left by a run that no longer holds it) blocks until broken.
    engine.store.db.prepare('INSERT INTO locks (name, run_id, job_id, owner, acquired_at) VALUES (?, ?, ?, ?, ?)').run('media', da.id, a.id, 'gone-process', Date.now());
    expect((await client.call('locks.list', {}))[0]).toMatchObject({ holderAlive: false });
    const rb2 = await client.call('runs.trigger', { jobId: b.id });
    expect((await client.call('runs.get', { id: rb2.id })).status).toBe('QUEUED');
    await client.call('locks.break', { name: 'media' });
    expect((await engine.waitForRun(rb2.id)).status).toBe('SUCCEEDED');
    expect((await client.call('audit.list', {})).items.some((e) => e.action === 'lock.break')).toBe(true);
    expect((await rejection(client.call('locks.break', { name: 'media' }))).code).toBe('NOT_FOUND');
  });

  it('retries a failed run with its delay, up to the retry count', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', {
      name: 'flaky',
      script: fixture('exit3.sh'),
      schedule: manual,
      retries: { count: 2, delaySeconds: 0 },
    });
    const first = await client.call('runs.trigger', { jobId: job.id, args: 'x y' });
    await until(async () => (await client.call('runs.list', { jobId: job.id })).items.filter((r) => r.status === 'FAILED').length === 3);
    const { items } = await client.call('runs.list', { jobId: job.id });
    expect(items.map((r) => [r.attempt, r.trigger, r.args]).reverse()).toEqual([
      [1, 'api', 'x y'],
      [2, 'retry', 'x y'],
      [3, 'retry', 'x y'],
    ]);
    expect(items[0]!.retryOf).toBe(items[1]!.id);
    expect(items[2]!.id).toBe(first.id);
    await new Promise((r) => setTimeout(r, 200));
    expect((await client.call('runs.list', { jobId: job.id })).total).toBe(3);
  });

  it('keeps the last N runs of a job, with their logs and folders', async () => {
    const { engine, client, dataDir } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'kept', script: 'echo hi', schedule: manual, retention: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) {
      const run = await client.call('runs.trigger', { jobId: job.id });
      await engine.waitForRun(run.id);
      ids.push(run.id);
    }
    await until(async () => (await client.call('runs.list', { jobId: job.id })).total === 2);
    expect((await client.call('runs.list', { jobId: job.id })).items.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    await until(() => !existsSync(runDir(dataDir, job.id, ids[0]!)));
    expect(existsSync(runDir(dataDir, job.id, ids[3]!))).toBe(true);
    const lines = engine.store.db.prepare('SELECT COUNT(*) AS n FROM log_lines WHERE run_id IN (?, ?)').get(ids[0], ids[1]) as { n: number };
    expect(lines.n).toBe(0);
  });

  it('resolves parameters: overrides, stored values, defaults; refuses missing and unknown ones', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', {
      name: 'params',
      script: 'echo "$JOBDECK_PARAMS|$JOBDECK_PARAM_RECIP|$JOBDECK_PARAM_MODE"',
      schedule: manual,
      params: [
        { name: 'recip', type: 'string', required: true },
        { name: 'mode', type: 'choice', choices: ['fast', 'full'], default: 'fast' },
        { name: 'limit', type: 'number' },
      ],
    });
    const missing = await rejection(client.call('runs.trigger', { jobId: job.id }));
    expect([missing.code, missing.field]).toEqual(['VALIDATION_FAILED', 'params.recip']);
    expect((await rejection(client.call('runs.trigger', { jobId: job.id, params: { nope: 1 } }))).field).toBe('params.nope');
    expect((await rejection(client.call('runs.trigger', { jobId: job.id, params: { recip: 'a', mode: 'slow' } }))).field).toBe('params.mode');
    const run = await client.call('runs.trigger', { jobId: job.id, params: { recip: 'ops', limit: 5 } });
    expect(run.params).toEqual({ recip: 'ops', mode: 'fast', limit: 5 });
    await engine.waitForRun(run.id);
    const { lines } = await client.call('runs.logs', { id: run.id });
    expect(lines.map((l) => l.text)).toContain('{"recip":"ops","mode":"fast","limit":5}|ops|fast');
  });

  it('filters runs by job, status and date range', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const ok = await client.call('jobs.create', { name: 'ok', script: 'true', schedule: manual });
    const bad = await client.call('jobs.create', { name: 'bad', script: 'exit 1', schedule: manual });
    const r1 = await client.call('runs.trigger', { jobId: ok.id });
    const r2 = await client.call('runs.trigger', { jobId: bad.id });
    await engine.waitForRun(r1.id);
    await engine.waitForRun(r2.id);
    // Backdate one run to a known day.
    engine.store.db.prepare('UPDATE runs SET queued_at = ? WHERE id = ?').run(new Date(2022, 1, 21, 6, 15).getTime(), r1.id);
    const list = (input: object) => client.call('runs.list', input).then((p) => p.items.map((r) => r.id));
    expect(await list({ status: ['FAILED'] })).toEqual([r2.id]);
    expect(await list({ jobId: ok.id })).toEqual([r1.id]);
    expect(await list({ from: '20220221', to: '20220221' })).toEqual([r1.id]);
    expect(await list({ from: '20220221T061500', to: '20220221T061500' })).toEqual([r1.id]);
    expect(await list({ from: '20220221T061600' })).toEqual([r2.id]);
    expect(await list({ to: '2022-02-22' })).toEqual([r1.id]);
    expect((await rejection(client.call('runs.list', { from: '20220222', to: '20220221' }))).field).toBe('from');
    const page = await client.call('runs.list', { limit: 1 });
    expect([page.items.length, page.total]).toEqual([1, 2]);
  });

  it('refuses triggers of archived and unknown jobs', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'a', script: 'true', schedule: manual });
    await client.call('jobs.archive', { id: job.id });
    expect((await rejection(client.call('runs.trigger', { jobId: job.id }))).code).toBe('JOB_ARCHIVED');
    expect((await rejection(client.call('runs.trigger', { jobId: 12345 }))).code).toBe('NOT_FOUND');
  });

  it('cancels a run owned by another process through the store', async () => {
    const { engine, client, dataDir } = openEngine();
    const job = await client.call('jobs.create', { name: 'long', script: fixture('slow.sh'), schedule: manual });
    const run = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => (await client.call('runs.logs', { id: run.id })).lines.some((l) => l.text === 'started'));
    const cli = openEngine({ dataDir, scheduler: false });
    const requested = await cli.client.call('runs.cancel', { id: run.id });
    expect(requested).toMatchObject({ status: 'IN_PROGRESS', cancelRequested: true });
    expect(await engine.waitForRun(run.id)).toMatchObject({ status: 'CANCELLED', error: 'cancelled by tester' });
  });
});

describe('crash recovery', () => {
  it('marks runs of a killed engine FAILED/interrupted, keeps their logs and frees their locks', async () => {
    const dataDir = tempDir();
    const { child, info } = await startEngineChild(dataDir);
    await killChild(child);
    // The launcher notices its engine is gone and stops the job: no orphans.
    await until(() => info.pids.every((pid) => !isAlive(pid)), 10_000, 'the orphaned job to be stopped');

    const { engine, client } = openEngine({ dataDir });
    const run = await client.call('runs.get', { id: info.runId });
    expect(run).toMatchObject({ status: 'FAILED', error: 'interrupted' });
    const { lines } = await client.call('runs.logs', { id: run.id });
    expect(lines.some((l) => l.text.startsWith('pids '))).toBe(true);
    expect(lines[lines.length - 1]!.text).toMatch(/^Interrupted: the Jobdeck process running this run stopped/);
    expect(await client.call('locks.list', {})).toEqual([]);
    expect(engine.store.integrityCheck()).toBe('ok');
  });
});

describe('run folders and the script store', () => {
  it('runs each script version from one file named by its hash; a run folder holds only its output; an edit mid-run leaves the running run its version', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const { engine, client, dataDir } = openEngine({ scheduler: false });
    const v1 = 'echo one; sleep 1; echo still one';
    const job = await client.call('jobs.create', { name: 'folders', script: v1, schedule: manual });
    const jobDir = join(dataDir, 'runs', String(job.id));
    const first = (await client.call('runs.trigger', { jobId: job.id })).id;
    await until(async () => (await client.call('runs.logs', { id: first })).lines.some((l) => l.text === 'one'));
    // Edited while its run executes: that run finishes with the version it started with.
    await client.call('jobs.update', { id: job.id, changes: { script: 'echo two' } });
    const r1 = await engine.waitForRun(first);
    expect(r1.status).toBe('SUCCEEDED');
    const lines1 = (await client.call('runs.logs', { id: first })).lines;
    expect(lines1.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(['one', 'still one']);
    expect(lines1[0]!.text).toBe(`Starting attempt 1 of folders: sh ${join(dataDir, 'scripts', sha(v1), 'script.sh')}`);
    expect(readFileSync(join(dataDir, 'scripts', sha(v1), 'script.sh'), 'utf8')).toBe(v1);
    expect(readdirSync(join(jobDir, String(first)))).toEqual(['output']);

    const v2File = join(dataDir, 'scripts', sha('echo two'), 'script.sh');
    const r2 = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect((await client.call('runs.logs', { id: r2.id })).lines.find((l) => l.stream === 'stdout')!.text).toBe('two');
    const written = statSync(v2File);
    // Back to back, each run gets a folder of its own holding only its output, and the version's file is
    // never written again.
    for (let i = 0; i < 15; i++) {
      const r = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
      expect(r.status, `run ${r.id}: ${r.error}`).toBe('SUCCEEDED');
      expect(readdirSync(join(jobDir, String(r.id)))).toEqual(['output']);
    }
    expect(statSync(v2File)).toMatchObject({ ino: written.ino, mtimeMs: written.mtimeMs });
    expect(readdirSync(join(dataDir, 'scripts')).sort()).toEqual([sha(v1), sha('echo two')].sort());
    // Nothing but the runs' folders: no folder made ahead for a next run.
    expect(readdirSync(jobDir).filter((name) => !/^\d+$/.test(name))).toEqual([]);
  });

  it('removes the spare run folders an earlier version left beside a job\'s runs, and nothing else', async () => {
    const { mkdirSync, readdirSync, writeFileSync } = await import('node:fs');
    const { engine, client, dataDir } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'old spares', script: 'echo hi', schedule: manual });
    const jobDir = join(dataDir, 'runs', String(job.id));
    for (const name of ['.spare', '.spare-0123abcd-1', '.spare.making-42-7', 'notes']) mkdirSync(join(jobDir, name, 'output'), { recursive: true });
    writeFileSync(join(jobDir, 'notes', 'keep.txt'), 'mine');
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run.status).toBe('SUCCEEDED');
    await until(() => !readdirSync(jobDir).some((name) => name.startsWith('.spare')), 5000, 'the old spares to be removed');
    expect(readdirSync(jobDir).sort()).toEqual([String(run.id), 'notes'].sort());
  });
});
