import { describe, expect, it } from 'vitest';
import { cronProblem, describeSchedule, isValidTimeZone, nextFireAfter, nextFires } from '../../shared/schedule';

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
    expect(cronProblem('bad cron', 'UTC')).toMatch(/has 5 fields .* or 6 .*; this one has 2/);
    expect(cronProblem('61 * * * *', 'UTC')).not.toBeNull();
    expect(cronProblem('* * * * *', 'Mars/Base')).toMatch(/time zone/);
  });

  it('answers the same when asked again (valid zones and patterns are remembered, bad ones never)', () => {
    for (let round = 0; round < 3; round++) {
      expect(isValidTimeZone('Europe/Oslo')).toBe(true);
      expect(isValidTimeZone('Mars/Base')).toBe(false);
      expect(isValidTimeZone('')).toBe(false);
      expect(cronProblem('0 30 2 * * *', 'Europe/Oslo')).toBeNull();
      // The same pattern, another zone: the zone is checked, not the remembered pair.
      expect(cronProblem('0 30 2 * * *', 'Mars/Base')).toMatch(/time zone/);
      expect(cronProblem('0 0 30 2 *', 'UTC')).toBe('the expression never fires');
      expect(cronProblem('61 * * * *', 'UTC')).not.toBeNull();
    }
    // Every zone this runtime knows, more than once: still right for each, and for an unknown one after them.
    const zones = Intl.supportedValuesOf('timeZone');
    for (let round = 0; round < 2; round++) for (const zone of zones) expect(isValidTimeZone(zone)).toBe(true);
    expect(isValidTimeZone('Europe/Atlantis')).toBe(false);
    // More distinct patterns than are remembered: the set starts over, answers stay right.
    for (let minute = 0; minute < 60; minute++) for (let hour = 0; hour < 10; hour++) expect(cronProblem(`${minute} ${hour} * * *`, 'UTC')).toBeNull();
    expect(cronProblem('0 0 31 4 *', 'UTC')).toBe('the expression never fires');
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

describe('cron mistakes in words', () => {
  it('names the field by its 1-based position and its range, for 5 and 6 fields', () => {
    const cases: [string, string | null][] = [
      ['0 25 * * *', 'field 2 (hour): 25 is out of range 0–23'],
      ['0 0 25 * * *', 'field 3 (hour): 25 is out of range 0–23'],
      ['* * 32 * *', 'field 3 (day of month): 32 is out of range 1–31'],
      ['0 0 * 13 *', 'field 4 (month): 13 is out of range 1–12'],
      ['0 0 * * 8', 'field 5 (day of week): 8 is out of range 0–7'],
      ['61 * * * * *', 'field 1 (second): 61 is out of range 0–59'],
      ['1-70 * * * *', 'field 1 (minute): 70 is out of range 0–59'],
      ['5-1 * * * *', 'field 1 (minute): the range 5-1 runs backwards'],
      ['*/0 * * * *', 'field 1 (minute): a step of 0 never moves on; use 1 or more'],
      ['1,,2 * * * *', 'field 1 (minute): an empty item in "1,,2" (a comma too many?)'],
      ['a b c d e', 'field 1 (minute): "a" is not a number, a range (1-5), a step (*/15) or a list'],
      ['0 0 1 FOO *', 'field 4 (month): "FOO" is not a number or a name (JAN–DEC)'],
      ['* * * *', 'a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (a second first); this one has 4'],
      // What croner knows beyond plain numbers is left to it, and is fine.
      ['0 9 * * MON-FRI', null],
      ['0 0 1 JAN,jul *', null],
      ['0 0 L * *', null],
      ['0 0 * * 5#2', null],
      ['0 0 ? * *', null],
      ['*/15 0-6 1-31/2 * 0,7', null],
    ];
    for (const [expression, problem] of cases) expect({ expression, problem: cronProblem(expression, 'UTC') }).toEqual({ expression, problem });
  });
});
