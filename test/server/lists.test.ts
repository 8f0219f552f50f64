/** Lists answer a page by default and are bounded; clients that want everything page through. */
import { describe, expect, it } from 'vitest';
import { allPages } from '../../shared/client/pages';
import { body, startTestServer } from '../helpers/server';

describe('the job list', () => {
  it('answers a page by default, refuses pages over the maximum, and pages stably in id order', async () => {
    const t = await startTestServer();
    const jobs = Array.from({ length: 250 }, (_, i) => ({
      name: `job ${i}`,
      group: '',
      description: '',
      script: 'true',
      runtime: 'sh',
      params: [],
      paramValues: {},
      user: '',
      schedule: { kind: 'interval', seconds: 1 + (i % 300) },
      enabled: true,
      timeoutSeconds: null,
      overlap: 'skip',
      retries: { count: 0, delaySeconds: 60 },
      misfire: 'run-once',
      lock: null,
      retention: 500,
      archived: false,
    }));
    await t.client().call('scheduler.pause', {});
    await t.client().call('jobs.import', { document: { format: 'jobdeck-export', version: 1, exportedAt: new Date().toISOString(), jobs } });
    const first = await body(await t.fetch('/api/jobs'));
    expect([first.items.length, first.total]).toEqual([200, 250]);
    const tooMany = await t.fetch('/api/jobs?limit=1001');
    expect([tooMany.status, (await body(tooMany)).field]).toEqual([400, 'limit']);
    const all = await allPages((offset, limit) => t.client().call('jobs.list', { order: 'id', offset, limit }), 60);
    expect(all.map((j) => j.id)).toEqual([...all.map((j) => j.id)].sort((a, b) => a - b));
    expect(new Set(all.map((j) => j.id)).size).toBe(250);
    const tasks = await body(await t.fetch('/api/v1/backgroundtasks'));
    expect(tasks.result.response).toHaveLength(250);
  });

  it('stops paging at the total the server reported, whatever the server keeps answering', async () => {
    let calls = 0;
    const items = await allPages(async (offset, limit) => {
      calls += 1;
      return { items: Array.from({ length: limit }, (_, i) => offset + i), total: 25 };
    }, 10);
    expect(calls).toBeLessThanOrEqual(4);
    expect(items.length).toBeLessThanOrEqual(40);
  });
});
