/**
 * Schedule arithmetic and wording shared by the engine and the console.
 * Cron patterns are stepped by croner (see cron.ts); described by cronstrue.
 */
import cronstrue from 'cronstrue';
import { cronFor } from './cron';
import type { Schedule } from './model/job';

export { cronFor, cronProblem, isValidTimeZone } from './cron';

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
