/** The seeds' APIs, shape for shape, as their existing clients call them. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputDir } from '../../electron/engine/paths';
import { until } from '../helpers/engine';
import { body, startTestServer } from '../helpers/server';

const envelopeShape = (id: string) => ({
  id,
  ver: 'v1',
  ts: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3}[+-]\d{4}$/),
  params: {
    resmsgid: null,
    msgid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    err: null,
    status: 'success',
    errmsg: null,
  },
  responseCode: 'OK',
});

describe('background tasks API', () => {
  it('lists tasks as {taskGroup, taskName, description} in the envelope', async () => {
    const t = await startTestServer();
    const c = t.client();
    await c.call('jobs.create', { name: 'taskName', group: 'group1', description: 'task description', script: 'true' });
    await c.call('jobs.create', { name: 'taskName3', group: 'group2', description: 'task description', script: 'true' });
    const old = await c.call('jobs.create', { name: 'retired', script: 'true' });
    await c.call('jobs.archive', { id: old.id });
    const res = await t.fetch('/api/v1/backgroundtasks', { role: 'viewer' });
    expect(res.status).toBe(200);
    const list = await body(res);
    expect(list).toEqual({
      ...envelopeShape('api.backgroundtasks.read'),
      result: {
        response: [
          { taskGroup: 'group1', taskName: 'taskName', description: 'task description' },
          { taskGroup: 'group2', taskName: 'taskName3', description: 'task description' },
        ],
      },
    });
  });

  it('triggers with an empty body: 200 SUCCESS, 400 JOB_ALREADY_RUNNING, 404, 401', async () => {
    const t = await startTestServer();
    await t.client().call('jobs.create', { name: 'refresh-cache', script: 'sleep 2', schedule: { kind: 'manual' } });
    const trigger = (name: string, role: 'admin' | 'viewer' | null = 'admin', headers: Record<string, string> = {}) =>
      t.fetch(`/api/v1/backgroundtasks/trigger/${name}`, { method: 'POST', role, headers });

    const ok = await trigger('refresh-cache', 'admin', { 'content-type': 'application/json' });
    expect(ok.status).toBe(200);
    expect(await body(ok)).toEqual({ ...envelopeShape('api.backgroundtasks.trigger'), result: { response: 'SUCCESS' } });
    const runPath = ok.headers.get('location')!;
    expect(runPath).toMatch(/^\/api\/runs\/\d+$/);

    const busy = await trigger('refresh-cache');
    expect(busy.status).toBe(400);
    const busyBody = await body(busy);
    expect(busyBody.params).toMatchObject({ err: 'JOB_ALREADY_RUNNING', status: 'failure', errmsg: expect.stringContaining('running state') });
    expect(busyBody.id).toBe('api.backgroundtasks.trigger');

    const missing = await trigger('no-such-task');
    expect(missing.status).toBe(404);
    expect((await body(missing)).params.status).toBe('failure');

    const anonymous = await trigger('refresh-cache', null);
    expect(anonymous.status).toBe(401);
    const viewer = await trigger('refresh-cache', 'viewer');
    expect(viewer.status).toBe(401);
    expect((await body(viewer)).params.err).toBe('UNAUTHORIZED');

    // The run records who executed it.
    const run = await body(await t.fetch(runPath));
    expect(run).toMatchObject({ jobName: 'refresh-cache', trigger: 'api', triggeredBy: 'admin-user' });
  });
});

describe('scheduled job runs API', () => {
  it('queues a run with space-separated args and returns its details', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'export', script: 'echo "args: $*"', schedule: { kind: 'manual' }, user: 'api-user' });
    const res = await t.fetch(`/scheduled-jobs/${job.id}/runs`, {
      method: 'POST',
      role: 'admin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ args: 'one two  three' }),
    });
    expect(res.status).toBe(200);
    // "Details of the scheduled job that was queued", with the queued run.
    const details = await body(res);
    expect(details).toMatchObject({ id: job.id, name: 'export', runAs: 'api-user', schedule: 'manual only', enabled: true, queuedRunId: expect.any(Number) });
    const run = details.queuedRun;
    expect(run).toMatchObject({ id: details.queuedRunId, jobId: job.id, jobName: 'export', args: 'one two  three', runBy: 'admin-user', user: 'api-user', status: 'IN_PROGRESS' });
    expect(['QUEUED', 'IN_PROGRESS']).toContain(run.jobdeckStatus);
    expect(res.headers.get('location')).toBe(`/scheduled-jobs/${job.id}/runs/${run.id}`);
    await t.engine.waitForRun(run.id);
    const logs = await t.client().call('runs.logs', { id: run.id });
    expect(logs.lines.map((l) => l.text)).toContain('args: one two three');
    const bad = await t.fetch(`/scheduled-jobs/${job.id}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ args: 5 }),
    });
    expect([bad.status, await body(bad)]).toEqual([400, { code: 'VALIDATION_FAILED', message: 'args: must be text', field: 'args' }]);
    expect((await t.fetch('/scheduled-jobs/999/runs', { method: 'POST' })).status).toBe(404);
  });

  it('lists runs by fromDate, toDate and the three seed statuses', async () => {
    const t = await startTestServer();
    const c = t.client();
    const job = await c.call('jobs.create', { name: 'j', script: 'exit ${1:-0}', schedule: { kind: 'manual' }, overlap: 'queue' });
    const ok = await c.call('runs.trigger', { jobId: job.id });
    await t.engine.waitForRun(ok.id);
    const failed = await c.call('runs.trigger', { jobId: job.id, args: '4' });
    await t.engine.waitForRun(failed.id);
    const slow = await c.call('jobs.update', { id: job.id, changes: { script: 'sleep 30' } });
    const running = await c.call('runs.trigger', { jobId: slow.id });
    const queued = await c.call('runs.trigger', { jobId: slow.id });
    const cancelled = await c.call('runs.cancel', { id: queued.id });
    expect(cancelled.status).toBe('CANCELLED');
    t.engine.store.db.prepare('UPDATE runs SET queued_at = ? WHERE id = ?').run(new Date(2022, 1, 21, 6, 15).getTime(), ok.id);

    const list = async (q: string) => {
      const res = await t.fetch(`/scheduled-jobs/${job.id}/runs${q}`, { role: 'viewer' });
      expect(res.status).toBe(200);
      return (await body(res)) as { id: number; status: string; jobdeckStatus: string }[];
    };
    const all = await list('');
    expect(all.map((r) => [r.id, r.status, r.jobdeckStatus])).toEqual([
      [queued.id, 'FAILED', 'CANCELLED'],
      [running.id, 'IN_PROGRESS', 'IN_PROGRESS'],
      [failed.id, 'FAILED', 'FAILED'],
      [ok.id, 'SUCCEEDED', 'SUCCEEDED'],
    ]);
    expect((await list('?status=FAILED')).map((r) => r.id)).toEqual([queued.id, failed.id]);
    expect((await list('?status=IN_PROGRESS')).map((r) => r.id)).toEqual([running.id]);
    expect((await list('?fromDate=20220221&toDate=20220221')).map((r) => r.id)).toEqual([ok.id]);
    expect((await list('?fromDate=20220221T061500&toDate=20220221T061500')).map((r) => r.id)).toEqual([ok.id]);
    expect((await list('?toDate=20220222')).map((r) => r.id)).toEqual([ok.id]);
    expect((await list('?fromDate=20220222')).map((r) => r.id)).toEqual([queued.id, running.id, failed.id]);
    // Empty parameters mean "not given"; parameters the seed does not know are ignored.
    expect((await list('?fromDate=&toDate=&status=')).map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect((await list('?colour=red&status=SUCCEEDED')).map((r) => r.id)).toEqual([ok.id]);
    for (const [q, field] of [
      ['?fromDate=yesterday', 'fromDate'],
      ['?toDate=2022-02-21', 'toDate'],
      ['?status=QUEUED', 'status'],
      ['?maxResults=1001', 'maxResults'],
    ]) {
      const res = await t.fetch(`/scheduled-jobs/${job.id}/runs${q}`);
      expect(res.status, q).toBe(400);
      expect((await body(res)).field, q).toBe(field);
    }
    await c.call('runs.cancel', { id: running.id });
  });

  it('serves the primary result file byte for byte', async () => {
    const t = await startTestServer();
    const c = t.client();
    const job = await c.call('jobs.create', {
      name: 'report',
      script: 'head -c 100000 /dev/urandom > "$JOBDECK_OUTPUT_DIR/data.bin"; printf "a,b\\n1,2\\n" > "$JOBDECK_OUTPUT_DIR/report.csv"; echo "::result report.csv"',
      schedule: { kind: 'manual' },
    });
    const run = await t.engine.waitForRun((await c.call('runs.trigger', { jobId: job.id })).id);
    const res = await t.fetch(`/scheduled-jobs/${job.id}/runs/${run.id}/result-file`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename=report.csv');
    expect(await res.text()).toBe('a,b\n1,2\n');

    const bin = await t.fetch(`/api/runs/${run.id}/files/data.bin`, { role: 'admin' });
    const bytes = Buffer.from(await bin.arrayBuffer());
    const onDisk = readFileSync(join(outputDir(t.dataDir, job.id, run.id), 'data.bin'));
    expect(bin.headers.get('content-length')).toBe('100000');
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    expect(bytes.equals(onDisk)).toBe(true);
    expect(bin.headers.get('x-checksum-sha256')).toBe(createHash('sha256').update(onDisk).digest('hex'));

    expect((await t.fetch(`/scheduled-jobs/${job.id}/runs/${run.id}/result-file`, { role: 'viewer' })).status).toBe(403);
    expect((await t.fetch(`/scheduled-jobs/${job.id + 1}/runs/${run.id}/result-file`)).status).toBe(404);
    const noFile = await c.call('jobs.create', { name: 'nothing', script: 'true', schedule: { kind: 'manual' } });
    const run2 = await t.engine.waitForRun((await c.call('runs.trigger', { jobId: noFile.id })).id);
    const none = await t.fetch(`/scheduled-jobs/${noFile.id}/runs/${run2.id}/result-file`);
    expect([none.status, (await body(none)).message]).toEqual([404, `run ${run2.id} has no result file`]);
  });
});

describe('the seeds as their clients use them', () => {
  it('takes an empty POST sent with a form or text content type', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'refresh', script: 'true', schedule: { kind: 'manual' } });
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      const res = await t.fetch(`/scheduled-jobs/${job.id}/runs`, { method: 'POST', role: 'admin', headers: { 'content-type': type }, body: '' });
      expect(res.status, type).toBe(200);
      await t.engine.waitForRun((await body(res)).queuedRunId);
      const bg = await t.fetch('/api/v1/backgroundtasks/trigger/refresh', { method: 'POST', role: 'admin', headers: { 'content-type': type }, body: '' });
      expect(bg.status, type).toBe(200);
      await until(async () => (await t.client().call('runs.list', { jobId: job.id, status: ['QUEUED', 'IN_PROGRESS'] })).total === 0);
    }
    const text = await t.fetch(`/scheduled-jobs/${job.id}/runs`, { method: 'POST', role: 'admin', headers: { 'content-type': 'text/plain' }, body: 'args=1' });
    expect(text.status).toBe(415);
  });

  it('pages runs with documented parameters and says when there are more', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'many', script: 'true', schedule: { kind: 'manual' } });
    for (let i = 0; i < 5; i++) await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    const first = await t.fetch(`/scheduled-jobs/${job.id}/runs?maxResults=2`);
    expect((await body(first)).length).toBe(2);
    expect(first.headers.get('x-total-count')).toBe('5');
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')![1]!;
    expect(next).toContain('startAt=2');
    const second = await t.fetch(next);
    expect((await body(second)).length).toBe(2);
    const last = await t.fetch(`/scheduled-jobs/${job.id}/runs?startAt=4&maxResults=2`);
    expect((await body(last)).length).toBe(1);
    expect(last.headers.get('link')).toBeNull();
  });

  it('never shows two IN_PROGRESS runs of a job, even with a run waiting behind the running one', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'q', script: 'sleep 30', schedule: { kind: 'manual' }, overlap: 'queue' });
    const running = await t.client().call('runs.trigger', { jobId: job.id });
    const waiting = await t.client().call('runs.trigger', { jobId: job.id });
    expect((await t.client().call('runs.get', { id: waiting.id })).status).toBe('QUEUED');
    const list = (await body(await t.fetch(`/scheduled-jobs/${job.id}/runs?status=IN_PROGRESS`))) as { id: number }[];
    expect(list.map((r) => r.id)).toEqual([running.id]);
    const all = (await body(await t.fetch(`/scheduled-jobs/${job.id}/runs`))) as { status: string }[];
    expect(all.filter((r) => r.status === 'IN_PROGRESS')).toHaveLength(1);
    await t.client().call('runs.cancel', { id: waiting.id });
    await t.client().call('runs.cancel', { id: running.id });
  });

  it('gives a result file for a run that made several and marked none: the first by name', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', {
      name: 'files',
      script: 'echo b > "$JOBDECK_OUTPUT_DIR/b.txt"; echo a > "$JOBDECK_OUTPUT_DIR/a.txt"',
      schedule: { kind: 'manual' },
    });
    const run = await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    expect(run.resultFile).toBeNull();
    const res = await t.fetch(`/scheduled-jobs/${job.id}/runs/${run.id}/result-file`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('a\n');
    expect(res.headers.get('content-disposition')).toContain('a.txt');
  });
});
