/**
 * The dispatcher's queue with a backlog: runs waiting for a slot start once
 * each, first in first out; a retry given a start time waits for it, then
 * starts with nothing else to wake the queue; a queued run cancelled leaves
 * the others (and a waiting retry) to start. Real engine, real processes.
 */
import { describe, expect, it } from 'vitest';
import { openEngine, until } from '../helpers/engine';

const manual = { kind: 'manual' } as const;

describe('the dispatcher queue', () => {
  it('starts a backlog of 300 runs once each, in the order they were queued, two at a time', async () => {
    // One launcher: it starts runs in the order it is sent them (two launchers may start the second
    // of two runs sent together first, and its run may even end before the first starts).
    const { engine, client } = openEngine({ scheduler: false, concurrency: 2, launchers: 1 });
    const jobs = [];
    for (let i = 0; i < 300; i++) jobs.push(await client.call('jobs.create', { name: `backlog ${i}`, script: 'true', schedule: manual }));
    const runs = [];
    for (const job of jobs) runs.push(await client.call('runs.trigger', { jobId: job.id }));
    for (const run of runs) expect((await engine.waitForRun(run.id)).status).toBe('SUCCEEDED');
    const started = (await client.call('runs.list', { limit: 500 })).items;
    expect(started).toHaveLength(300);
    // Started first in, first out: no run starts before one queued ahead of it.
    const byStart = [...started].sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!) || a.id - b.id);
    const ids = runs.map((r) => r.id);
    let outOfOrder = 0;
    for (let i = 1; i < byStart.length; i++) if (ids.indexOf(byStart[i]!.id) < ids.indexOf(byStart[i - 1]!.id)) outOfOrder += 1;
    expect(outOfOrder).toBe(0);
  });

  it('starts a retry when its delay is over, with nothing else waking the queue, and a cancelled queued run does not hold up the rest', async () => {
    const { engine, client } = openEngine({ scheduler: false, concurrency: 1 });
    const flaky = await client.call('jobs.create', { name: 'flaky', script: 'exit 3', schedule: manual, retries: { count: 1, delaySeconds: 1 } });
    const slow = await client.call('jobs.create', { name: 'slow', script: 'sleep 0.3', schedule: manual });
    const later = await client.call('jobs.create', { name: 'later', script: 'true', schedule: manual });
    const first = await client.call('runs.trigger', { jobId: flaky.id });
    const failedAt = Date.parse((await engine.waitForRun(first.id)).finishedAt!);
    // The retry waits for its start time; meanwhile a run holds the only slot, and one queued behind it is cancelled.
    const busy = await client.call('runs.trigger', { jobId: slow.id });
    const cancelled = await client.call('runs.trigger', { jobId: later.id });
    await client.call('runs.cancel', { id: cancelled.id });
    const retry = await until(async () => (await client.call('runs.list', { jobId: flaky.id })).items.find((r) => r.attempt === 2 && r.finishedAt !== null), 10_000, 'the retry to end');
    expect(Date.parse(retry.startedAt!) - failedAt).toBeGreaterThanOrEqual(1000);
    expect(Date.parse(retry.startedAt!) - failedAt).toBeLessThan(3000);
    expect((await engine.waitForRun(busy.id)).status).toBe('SUCCEEDED');
    expect((await engine.waitForRun(cancelled.id)).status).toBe('CANCELLED');
  });
});
