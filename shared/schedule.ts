/**
 * Schedule arithmetic and wording shared by the engine and the console.
 * Cron patterns are parsed and stepped by croner; described by cronstrue.
 * No Cron instance is kept per job: instances are cached per distinct
 * (pattern, zone) pair, since each one holds a large year table.
 */
import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import type { Schedule } from './model/job';

const CACHE_LIMIT = 512;
const cronCache = new Map<string, Cron>();

/** A paused croner instance for a pattern and zone, from a small LRU cache. Throws on bad input. */
export function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone}\u0000${expression}`;
  const hit = cronCache.get(key);
  if (hit) {
    cronCache.delete(key);
    cronCache.set(key, hit);
    return hit;
  }
  const cron = new Cron(expression, { paused: true, timezone, mode: '5-or-6-parts' });
  cronCache.set(key, cron);
  if (cronCache.size > CACHE_LIMIT) {
    const oldest = cronCache.keys().next().value as string;
    cronCache.get(oldest)?.stop();
    cronCache.delete(oldest);
  }
  return cron;
}

/** True when the IANA zone name is known to this runtime. */
export function isValidTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Why a cron expression is unusable, or null when it is fine. */
export function cronProblem(expression: string, timezone: string): string | null {
  if (!isValidTimeZone(timezone)) return `unknown time zone "${timezone}"`;
  try {
    const next = cronFor(expression, timezone).nextRun(new Date());
    if (!next) return 'the expression never fires';
    return null;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return text.replace(/^CronPattern: /, '');
  }
}

/**
 * The first fire time strictly after `afterMs`.
 * For intervals, fire times are `anchorMs + k * seconds`, so the cadence is
 * kept across restarts and late wake-ups.
 */
export function nextFireAfter(schedule: Schedule, afterMs: number, anchorMs?: number): number | null {
  switch (schedule.kind) {
    case 'manual':
      return null;
    case 'interval': {
      const step = schedule.seconds * 1000;
      const anchor = anchorMs ?? afterMs;
      if (anchor > afterMs) return anchor;
      const k = Math.floor((afterMs - anchor) / step) + 1;
      return anchor + k * step;
    }
    case 'cron': {
      const next = cronFor(schedule.expression, schedule.timezone).nextRun(new Date(afterMs));
      return next ? next.getTime() : null;
    }
  }
}

/** The next `count` fire times after `fromMs` (for previews in the editor and the CLI). */
export function nextFires(schedule: Schedule, fromMs: number, count: number): number[] {
  const out: number[] = [];
  let t = fromMs;
  let anchor: number | undefined;
  if (schedule.kind === 'interval') anchor = fromMs + schedule.seconds * 1000;
  for (let i = 0; i < count; i++) {
    const next = nextFireAfter(schedule, t, anchor);
    if (next === null) break;
    out.push(next);
    t = next;
  }
  return out;
}

/** Cron wordings already made (lists show the same few patterns thousands of times). */
const wordsCache = new Map<string, string>();

/** Human wording of a schedule: "every 60 s", "At 09:30 AM, Monday through Friday (Europe/Oslo)", "manual only". */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'manual':
      return 'manual only';
    case 'interval':
      return schedule.seconds === 1 ? 'every second' : `every ${schedule.seconds} s`;
    case 'cron': {
      const key = `${schedule.timezone}\u0000${schedule.expression}`;
      let text = wordsCache.get(key);
      if (text === undefined) {
        try {
          text = `${cronstrue.toString(schedule.expression, { use24HourTimeFormat: true, verbose: false })} (${schedule.timezone})`;
        } catch {
          text = `${schedule.expression} (${schedule.timezone})`;
        }
        if (wordsCache.size > 2000) wordsCache.clear();
        wordsCache.set(key, text);
      }
      return text;
    }
  }
}
