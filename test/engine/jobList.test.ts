/**
 * The job list hands out the same (frozen) item for a job until one of its
 * moving fields moves: next run, last run's id, status or time. Pinned here
 * because a missed change would show a stale job, not an error.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { ADMIN, openEngine, until } from '../helpers/engine';

describe('the job list', () => {
  it('reuses an unchanged job\'s item, and follows every field that moves: next run, last run id, status and time', async () => {
    // A clock that moves only when told: next runs are known to the millisecond.
    const clock = new ManualClock(Date.parse('2026-12-07T10:00:00Z'));
    const { engine, client, dataDir } = openEngine({ scheduler: false, clock });
    const a = await client.call('jobs.create', { name: 'a', script: 'sleep 0.5', schedule: { kind: 'manual' } });
    const b = await client.call('jobs.create', { name: 'b', script: 'true', schedule: { kind: 'manual' } });
    const list = async () => (await engine.handlers['jobs.list']({ order: 'id' }, ADMIN)).items;

    const first = await list();
    const again = await list();
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
    expect(Object.isFrozen(first[0])).toBe(true);
    expect(first.map((j) => j.lastRun)).toEqual([null, null]);

    const queued = await client.call('runs.trigger', { jobId: a.id });
    const running = await until(async () => {
      const item = (await list())[0]!;
      return item.lastRun?.status === 'IN_PROGRESS' ? item : undefined;
    });
    expect(running.lastRun).toEqual({ id: queued.id, status: 'IN_PROGRESS', at: '2026-12-07T10:00:00.000Z' });
    const done = await engine.waitForRun(queued.id);
    const ended = await list();
    expect(ended[0]!.lastRun).toEqual({ id: queued.id, status: 'SUCCEEDED', at: done.finishedAt });
    expect(ended[1]).toBe(first[1]);

    // Another writer (a process sharing the store) changes the status alone: listed.
    const db = new Database(join(dataDir, 'jobdeck.db'));
    try {
      db.prepare("UPDATE jobs SET last_status = 'FAILED' WHERE id = ?").run(a.id);
      expect((await list())[0]!.lastRun).toEqual({ id: queued.id, status: 'FAILED', at: done.finishedAt });
      // Its time alone.
      db.prepare('UPDATE jobs SET last_run_at = ? WHERE id = ?').run(Date.parse('2026-12-07T09:00:00Z'), a.id);
      expect((await list())[0]!.lastRun).toEqual({ id: queued.id, status: 'FAILED', at: '2026-12-07T09:00:00.000Z' });
    } finally {
      db.close();
    }

    // An edit (a new revision) is listed too.
    await client.call('jobs.update', { id: b.id, changes: { description: 'now described' } });
    expect((await list())[1]!.description).toBe('now described');

    // A schedule: the next run moves with it.
    await client.call('jobs.update', { id: b.id, changes: { schedule: { kind: 'interval', seconds: 60 } } });
    const scheduled = (await list())[1]!;
    expect(scheduled.nextRunAt).toBe('2026-12-07T10:01:00.000Z');
    // Another writer moves the next run alone (a node whose scheduler fired it on a shared store).
    const db2 = new Database(join(dataDir, 'jobdeck.db'));
    try {
      db2.prepare('UPDATE jobs SET next_fire_at = ? WHERE id = ?').run(Date.parse('2026-12-07T10:02:00Z'), b.id);
    } finally {
      db2.close();
    }
    const moved = (await list())[1]!;
    expect(moved.nextRunAt).toBe('2026-12-07T10:02:00.000Z');
    expect(moved.revision).toBe(scheduled.revision);
  });
});
