/**
 * README "Jobs and runs": each promise of that section, proven against the
 * real engine (SQLite file, child processes). Titled by the promise.
 */
import { describe, expect, it } from 'vitest';
import { openEngine, rejection, until } from '../helpers/engine';
import { fixture } from '../helpers/process';

const manual = { kind: 'manual' as const };

describe('README › Jobs and runs', () => {
  it('Overlap › skip: a trigger while the job has a run in progress is refused with JOB_ALREADY_RUNNING', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'skip', script: fixture('slow.sh'), schedule: manual });
    const first = await client.call('runs.trigger', { jobId: job.id, args: '30' });
    const err = await rejection(client.call('runs.trigger', { jobId: job.id }));
    expect([err.code, err.field]).toEqual(['JOB_ALREADY_RUNNING', 'jobId']);
    expect(err.message).toContain(`run ${first.id}`);
    expect((await client.call('runs.list', { jobId: job.id })).total).toBe(1);
    await client.call('runs.cancel', { id: first.id });
  });

  it('Overlap › queue: one run waits behind the running one, and starts only after it ended; another is JOB_ALREADY_QUEUED', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'queue', script: 'sleep 0.4', schedule: manual, overlap: 'queue' });
    const r1 = await client.call('runs.trigger', { jobId: job.id });
    const r2 = await client.call('runs.trigger', { jobId: job.id });
    expect((await client.call('runs.get', { id: r2.id })).status).toBe('QUEUED');
    expect((await rejection(client.call('runs.trigger', { jobId: job.id }))).code).toBe('JOB_ALREADY_QUEUED');
    const [d1, d2] = [await engine.waitForRun(r1.id), await engine.waitForRun(r2.id)];
    expect([d1.status, d2.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(Date.parse(d2.startedAt!)).toBeGreaterThanOrEqual(Date.parse(d1.finishedAt!));
  });

  it('Concurrency: at most the limit execute at once; the rest wait in first-in, first-out order', async () => {
    const { engine, client } = openEngine({ concurrency: 2, scheduler: false });
    // The order runs leave the queue: the engine claims them (IN_PROGRESS) one by one. Their processes then
    // start from several launchers, so two claimed together may start a few ms apart in either order.
    const left: number[] = [];
    engine.subscribe({}, (event) => {
      if (event.type === 'run' && event.run.status === 'IN_PROGRESS' && !left.includes(event.run.id)) left.push(event.run.id);
    });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const job = await client.call('jobs.create', { name: `c${i}`, script: 'sleep 0.25', schedule: manual });
      ids.push((await client.call('runs.trigger', { jobId: job.id })).id);
    }
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, engine.services.scheduler.running);
    }, 5);
    const runs = await Promise.all(ids.map((id) => engine.waitForRun(id)));
    clearInterval(sampler);
    expect(most).toBe(2);
    const spans = runs.map((r) => [Date.parse(r.startedAt!), Date.parse(r.finishedAt!)] as const);
    for (const [start] of spans) expect(spans.filter(([s, f]) => s <= start && start < f).length).toBeLessThanOrEqual(2);
    expect(left).toEqual(ids);
  });

  it('Concurrency: a run waiting for its job does not hold up the runs behind it', async () => {
    const { engine, client } = openEngine({ concurrency: 2, scheduler: false });
    const busy = await client.call('jobs.create', { name: 'busy', script: 'sleep 1', schedule: manual, overlap: 'queue' });
    const other = await client.call('jobs.create', { name: 'other', script: 'true', schedule: manual });
    await client.call('runs.trigger', { jobId: busy.id });
    const waiting = await client.call('runs.trigger', { jobId: busy.id });
    const behind = await client.call('runs.trigger', { jobId: other.id });
    const done = await engine.waitForRun(behind.id);
    expect(done.status).toBe('SUCCEEDED');
    expect((await client.call('runs.get', { id: waiting.id })).status).toBe('QUEUED');
  });

  it('Locks: jobs that share a lock name never run at the same time', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const job = await client.call('jobs.create', { name: `locked ${i}`, script: 'sleep 0.2', schedule: manual, lock: 'media' });
      ids.push((await client.call('runs.trigger', { jobId: job.id })).id);
    }
    const runs = await Promise.all(ids.map((id) => engine.waitForRun(id)));
    const spans = runs.map((r) => [Date.parse(r.startedAt!), Date.parse(r.finishedAt!)] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    expect(await client.call('locks.list', {})).toEqual([]);
  });

  it('Locks: a lock whose run still executes is broken only with force, and the refusal names the run', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'holder', script: fixture('slow.sh'), schedule: manual, lock: 'db' });
    const run = await client.call('runs.trigger', { jobId: job.id, args: '30' });
    const err = await rejection(client.call('locks.break', { name: 'db' }));
    expect([err.code, err.field]).toEqual(['LOCK_HELD', 'force']);
    expect(err.message).toContain(`run ${run.id} of job "holder"`);
    await client.call('locks.break', { name: 'db', force: true });
    expect(await client.call('locks.list', {})).toEqual([]);
    const audit = await client.call('audit.list', { jobId: job.id });
    expect(audit.items.find((a) => a.action === 'lock.break')?.details).toMatchObject({ forced: true, runId: run.id });
    await client.call('runs.cancel', { id: run.id });
  });

  it('Retries: a failed run is retried up to the retry count, after its delay, with the same args and parameters', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', {
      name: 'flaky',
      script: fixture('exit3.sh'),
      schedule: manual,
      retries: { count: 2, delaySeconds: 0 },
      params: [{ name: 'mode', type: 'string' }],
    });
    await client.call('runs.trigger', { jobId: job.id, args: 'x y', params: { mode: 'full' } });
    await until(async () => (await client.call('runs.list', { jobId: job.id })).items.filter((r) => r.status === 'FAILED').length === 3);
    const { items } = await client.call('runs.list', { jobId: job.id });
    expect(items.map((r) => [r.attempt, r.trigger, r.args, r.params.mode, r.failure]).reverse()).toEqual([
      [1, 'api', 'x y', 'full', 'EXIT'],
      [2, 'retry', 'x y', 'full', 'EXIT'],
      [3, 'retry', 'x y', 'full', 'EXIT'],
    ]);
  });

  it('Retries: a failure a retry cannot cure (the runtime is not installed) is not retried, nor is a cancel', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const missing = await client.call('jobs.create', {
      name: 'missing runtime',
      script: 'echo hi',
      runtime: 'no-such-interpreter-xyz {script}',
      schedule: manual,
      retries: { count: 3, delaySeconds: 0 },
    });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: missing.id })).id);
    expect(run).toMatchObject({ status: 'FAILED', failure: 'SPAWN_FAILED' });
    const slow = await client.call('jobs.create', { name: 'cancelled', script: fixture('slow.sh'), schedule: manual, retries: { count: 3, delaySeconds: 0 } });
    const s = await client.call('runs.trigger', { jobId: slow.id, args: '30' });
    await client.call('runs.cancel', { id: s.id });
    expect(await engine.waitForRun(s.id)).toMatchObject({ status: 'CANCELLED', failure: 'CANCELLED' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.call('runs.list', { jobId: missing.id })).total).toBe(1);
    expect((await client.call('runs.list', { jobId: slow.id })).total).toBe(1);
  });

  it('Retention: the last N finished runs of each job are kept, older ones deleted with their logs', async () => {
    const { engine, client } = openEngine({ scheduler: false, retentionRecheckMs: 0 });
    const job = await client.call('jobs.create', { name: 'kept', script: 'echo hi', schedule: manual, retention: 2 });
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push((await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id)).id);
    await until(async () => (await client.call('runs.list', { jobId: job.id })).total === 2);
    expect((await client.call('runs.list', { jobId: job.id })).items.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect((await rejection(client.call('runs.logs', { id: ids[0]! }))).code).toBe('NOT_FOUND');
  });
});
