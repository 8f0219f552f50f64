/** The scheduler on a manual clock: exact, instant, no real timers. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { FIRE_CHUNK, Scheduler, type Fire, type SchedulerLoad } from '../../electron/engine/scheduler/scheduler';
import type { SchedulableRow } from '../../electron/engine/store/jobsStore';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function row(id: number, over: Partial<SchedulableRow> = {}): SchedulableRow {
  return {
    id,
    name: `job${id}`,
    schedule_kind: 'interval',
    interval_s: 10,
    cron_expr: null,
    timezone: null,
    next_fire_at: null,
    misfire: 'run-once',
    updated_at: 0,
    ...over,
  };
}

function split(rows: SchedulableRow[], from: number): SchedulerLoad {
  const upcoming = rows.filter((r) => r.next_fire_at !== null && r.next_fire_at >= from);
  return { upcoming: upcoming.map((r) => [r.id, r.next_fire_at!]), rows: rows.filter((r) => !upcoming.includes(r)) };
}

function setup(rows: SchedulableRow[], start = T0) {
  const clock = new ManualClock(start);
  const table = new Map(rows.map((r) => [r.id, { ...r }]));
  const fires: (Fire & { at: number })[] = [];
  const scheduler = new Scheduler({
    clock,
    // As the store answers: jobs with a stored next fire from `from` on as [id, at] pairs, the rest whole.
    load: async (from) => split([...table.values()].map((r) => ({ ...r })), from),
    loadOne: async (id) => (table.has(id) ? { ...table.get(id)! } : undefined),
    fire: async (fs, next) => {
      for (const f of fs) fires.push({ ...f, at: clock.now() });
      for (const [id, at] of next) if (table.has(id)) table.get(id)!.next_fire_at = at;
    },
    onError: (err) => {
      throw err;
    },
  });
  return { clock, table, fires, scheduler };
}

describe('scheduler', () => {
  it('fires interval jobs on their cadence and persists the next fire time', async () => {
    const { clock, fires, scheduler, table } = setup([row(1, { interval_s: 10 }), row(2, { interval_s: 25 })]);
    await scheduler.start(false);
    expect(table.get(1)!.next_fire_at).toBe(T0 + 10_000);
    await clock.advanceAsync(60_000);
    expect(fires.filter((f) => f.jobId === 1).map((f) => f.dueAt - T0)).toEqual([10, 20, 30, 40, 50, 60].map((s) => s * 1000));
    expect(fires.filter((f) => f.jobId === 2).map((f) => f.dueAt - T0)).toEqual([25_000, 50_000]);
    // Fired exactly when due on the manual clock.
    expect(fires.every((f) => f.at === f.dueAt && f.trigger === 'schedule')).toBe(true);
    expect(table.get(1)!.next_fire_at).toBe(T0 + 70_000);
  });

  it('lists upcoming fires in time order', async () => {
    const { scheduler } = setup([row(1, { interval_s: 30 }), row(2, { interval_s: 5 }), row(3, { interval_s: 12 })]);
    await scheduler.start(false);
    expect((await scheduler.upcoming(3)).map((u) => u.jobId)).toEqual([2, 3, 1]);
  });

  it('fires cron jobs in their time zone', async () => {
    const { clock, fires, scheduler } = setup(
      [row(1, { schedule_kind: 'cron', interval_s: null, cron_expr: '0 0 9 * * *', timezone: 'Asia/Tokyo' })],
      Date.UTC(2026, 10, 23, 0, 0, 0),
    );
    await scheduler.start(false);
    await clock.advanceAsync(48 * 3600_000);
    // 09:00 in Tokyo is 00:00 UTC: fires on the two following midnights UTC.
    expect(fires.map((f) => new Date(f.dueAt).toISOString())).toEqual(['2026-11-24T00:00:00.000Z', '2026-11-25T00:00:00.000Z']);
  });

  it('gives each job firing in the same tick the next fire of its own pattern and time zone', async () => {
    const cron = (id: number, expr: string, tz: string | null) => row(id, { schedule_kind: 'cron', interval_s: null, cron_expr: expr, timezone: tz });
    // Six jobs due at 09:00 UTC on 27 March 2027, which is 09:00 in London (still on GMT) and 18:00 in
    // Tokyo; three share a pattern and zone. London moves to summer time the next night.
    const { clock, fires, scheduler, table } = setup(
      [
        cron(1, '0 0 9 * * *', 'UTC'),
        cron(2, '0 0 9 * * *', 'UTC'),
        cron(3, '0 0 9,21 * * *', 'UTC'),
        cron(4, '0 0 9 * * *', 'Europe/London'),
        cron(5, '0 0 18 * * *', 'Asia/Tokyo'),
        cron(6, '0 0 9 * * *', 'UTC'),
      ],
      Date.UTC(2027, 2, 27, 8, 0, 0),
    );
    await scheduler.start(false);
    await clock.advanceAsync(3600_000);
    expect(fires.map((f) => f.jobId).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(fires.map((f) => f.at))).toEqual(new Set([Date.UTC(2027, 2, 27, 9, 0, 0)]));
    const next = (id: number) => new Date(table.get(id)!.next_fire_at!).toISOString();
    for (const id of [1, 2, 6]) expect(next(id)).toBe('2027-03-28T09:00:00.000Z');
    expect(next(3)).toBe('2027-03-27T21:00:00.000Z');
    // Same pattern as 1, 2 and 6, another zone: 09:00 summer time is 08:00 UTC.
    expect(next(4)).toBe('2027-03-28T08:00:00.000Z');
    expect(next(5)).toBe('2027-03-28T09:00:00.000Z');
    // A tick later on, the shared step is not carried over: each fires again on its own next time.
    await clock.advanceAsync(12 * 3600_000);
    expect(fires.filter((f) => f.jobId === 3).length).toBe(2);
    expect(next(3)).toBe('2027-03-28T09:00:00.000Z');
  });

  it('records many fires due at once in chunks, each carrying exactly its own jobs\' next fires', async () => {
    const rows = Array.from({ length: 2 * FIRE_CHUNK + 5 }, (_, i) => row(i + 1, { interval_s: 10 }));
    const { clock, scheduler, table } = setup(rows);
    const calls: { fired: number[]; next: number[] }[] = [];
    const deps = (scheduler as unknown as { deps: { fire: (f: Fire[], n: [number, number | null][]) => Promise<void> } }).deps;
    const fire = deps.fire;
    deps.fire = async (fs, next) => {
      calls.push({ fired: fs.map((f) => f.jobId), next: next.map(([id]) => id) });
      await fire(fs, next);
    };
    await scheduler.start(false);
    calls.length = 0;
    await clock.advanceAsync(10_000);
    expect(calls.map((c) => c.fired.length)).toEqual([FIRE_CHUNK, FIRE_CHUNK, 5]);
    for (const c of calls) expect(c.next).toEqual(c.fired);
    expect(calls.flatMap((c) => c.fired).sort((a, b) => a - b)).toEqual(rows.map((r) => r.id));
    expect([...table.values()].every((r) => r.next_fire_at === T0 + 20_000)).toBe(true);
  });

  it('applies the misfire policy to fires missed while down', async () => {
    const missedAt = T0 - 95_000;
    const { fires, scheduler, table } = setup([
      row(1, { next_fire_at: missedAt, misfire: 'run-once' }),
      row(2, { next_fire_at: missedAt, misfire: 'skip' }),
      row(3, { next_fire_at: T0 - 300 }),
    ]);
    await scheduler.start(false);
    expect(fires.map((f) => [f.jobId, f.trigger, f.dueAt])).toEqual([[1, 'catch-up', missedAt]]);
    // The cadence is kept: next fire on the 10 s grid of the missed one.
    expect(table.get(1)!.next_fire_at).toBe(missedAt + 100_000);
    expect(table.get(2)!.next_fire_at).toBe(missedAt + 100_000);
    // Late by less than the grace: not a misfire, fired at once as a normal fire.
    expect(table.get(3)!.next_fire_at).toBe(T0 - 300);
  });

  it('keeps the stored next fire time across a restart', async () => {
    const { clock, fires, scheduler, table } = setup([row(1, { interval_s: 10 })]);
    await scheduler.start(false);
    await clock.advanceAsync(15_000);
    scheduler.stop();
    const stored = table.get(1)!.next_fire_at;
    expect(stored).toBe(T0 + 20_000);
    const again = setup([table.get(1)!], clock.now());
    await again.scheduler.start(false);
    await again.clock.advanceAsync(10_000);
    expect(again.fires.map((f) => f.dueAt)).toEqual([T0 + 20_000]);
    expect(fires).toHaveLength(1);
  });

  it('stops firing a removed job at once, and takes edits at once', async () => {
    const { clock, fires, scheduler, table } = setup([row(1), row(2)]);
    await scheduler.start(false);
    await clock.advanceAsync(10_000);
    expect(fires.map((f) => f.jobId).sort()).toEqual([1, 2]);
    table.delete(1); // archived or disabled: no longer schedulable
    await scheduler.remove(1);
    table.get(2)!.next_fire_at = clock.now() + 3000; // edited to fire sooner
    table.get(2)!.interval_s = 3;
    await scheduler.upsert(2);
    await clock.advanceAsync(10_000);
    expect(fires.filter((f) => f.jobId === 1)).toHaveLength(1);
    expect(fires.filter((f) => f.jobId === 2).map((f) => f.dueAt - T0)).toEqual([10_000, 13_000, 16_000, 19_000]);
  });

  it('does not fire while paused, and resumes on the cadence without a burst', async () => {
    const { clock, fires, scheduler } = setup([row(1, { interval_s: 10 })]);
    await scheduler.start(false);
    await clock.advanceAsync(10_000);
    scheduler.pause();
    await clock.advanceAsync(35_000);
    expect(fires).toHaveLength(1);
    await scheduler.resume();
    expect(fires).toHaveLength(1);
    await clock.advanceAsync(5_000);
    expect(fires.map((f) => f.dueAt - T0)).toEqual([10_000, 50_000]);
  });

  it('loads jobs with a stored next fire as pairs, reading a job only when it is due or listed; one no longer scheduled then is dropped unfired', async () => {
    const { clock, fires, scheduler, table } = setup([
      row(1, { interval_s: 10, next_fire_at: T0 + 10_000 }),
      row(2, { interval_s: 10, next_fire_at: T0 + 20_000 }),
      row(3, { interval_s: 10, next_fire_at: T0 + 30_000 }),
    ]);
    const read: number[] = [];
    const loadOne = scheduler['deps'].loadOne;
    scheduler['deps'].loadOne = (id) => (read.push(id), loadOne(id));
    await scheduler.start(false);
    expect(scheduler.size).toBe(3);
    expect(read).toEqual([]);
    // Job 2 is disabled (the store no longer lists it as scheduled) before it is due.
    table.delete(2);
    expect(await scheduler.upcoming(2)).toEqual([
      { jobId: 1, name: 'job1', at: T0 + 10_000 },
      { jobId: 3, name: 'job3', at: T0 + 30_000 },
    ]);
    expect(read).toEqual([1, 2, 3]);
    await clock.advanceAsync(30_000);
    expect(fires.map((f) => `${f.jobId}@${f.dueAt - T0}`).sort()).toEqual(['1@10000', '1@20000', '1@30000', '3@30000']);
    // Each job read once: its name and schedule are kept from then on.
    expect(read).toEqual([1, 2, 3]);
    expect(scheduler.size).toBe(2);
  });

  it('fires many jobs due at the same instant in the same tick', async () => {
    const batches: number[] = [];
    const perTick = new Map<number, number>();
    const clock = new ManualClock(T0);
    const rows = Array.from({ length: 200 }, (_, i) => row(i + 1, { interval_s: 1, next_fire_at: T0 + 1000 }));
    const scheduler = new Scheduler({
      clock,
      load: async () => ({ upcoming: [], rows }),
      loadOne: async () => undefined,
      fire: async (fs) => {
        if (!fs.length) return;
        batches.push(fs.length);
        perTick.set(clock.now(), (perTick.get(clock.now()) ?? 0) + fs.length);
      },
      onError: (e) => {
        throw e;
      },
    });
    await scheduler.start(false);
    await clock.advanceAsync(3000);
    expect([...perTick.values()]).toEqual([200, 200, 200]);
    expect(Math.max(...batches)).toBe(FIRE_CHUNK);
  });
});
