import { describe, expect, it } from 'vitest';
import { cronProblem, describeSchedule, nextFireAfter, nextFires } from '../../shared/schedule';

describe('schedules', () => {
  it('keeps an interval cadence from its anchor', () => {
    const s = { kind: 'interval' as const, seconds: 10 };
    expect(nextFireAfter(s, 1_000_000, 1_000_000)).toBe(1_010_000);
    // Late by 25 s: the next fire stays on the 10-second grid.
    expect(nextFireAfter(s, 1_035_000, 1_000_000)).toBe(1_040_000);
    expect(nextFireAfter(s, 1_000_000)).toBe(1_010_000);
  });

  it('computes cron times in the given time zone', () => {
    const s = { kind: 'cron' as const, expression: '0 30 9 * * MON-FRI', timezone: 'America/New_York' };
    // Saturday 2026-11-21 12:00 UTC -> Monday 2026-11-23 09:30 in New York (UTC-5) = 14:30 UTC.
    const from = Date.UTC(2026, 10, 21, 12, 0, 0);
    const fires = nextFires(s, from, 3).map((t) => new Date(t).toISOString());
    expect(fires).toEqual(['2026-11-23T14:30:00.000Z', '2026-11-24T14:30:00.000Z', '2026-11-25T14:30:00.000Z']);
    const oslo = nextFires({ ...s, timezone: 'Europe/Oslo' }, from, 1)[0]!;
    expect(new Date(oslo).toISOString()).toBe('2026-11-23T08:30:00.000Z');
  });

  it('accepts second-level cron and refuses bad patterns and zones', () => {
    expect(cronProblem('*/5 * * * * *', 'UTC')).toBeNull();
    expect(nextFireAfter({ kind: 'cron', expression: '*/5 * * * * *', timezone: 'UTC' }, Date.UTC(2026, 0, 1, 0, 0, 1))).toBe(
      Date.UTC(2026, 0, 1, 0, 0, 5),
    );
    expect(cronProblem('bad cron', 'UTC')).toMatch(/five, six/);
    expect(cronProblem('61 * * * *', 'UTC')).not.toBeNull();
    expect(cronProblem('* * * * *', 'Mars/Base')).toMatch(/time zone/);
  });

  it('manual schedules never fire', () => {
    expect(nextFireAfter({ kind: 'manual' }, 0)).toBeNull();
    expect(nextFires({ kind: 'manual' }, 0, 5)).toEqual([]);
  });

  it('describes schedules for people', () => {
    expect(describeSchedule({ kind: 'interval', seconds: 60 })).toBe('every 60 s');
    expect(describeSchedule({ kind: 'manual' })).toBe('manual only');
    expect(describeSchedule({ kind: 'cron', expression: '0 30 9 * * MON-FRI', timezone: 'UTC' })).toMatch(/09:30.*Monday through Friday.*\(UTC\)/);
  });
});
