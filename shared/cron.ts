/**
 * Cron patterns and time zones: parsed and stepped by croner. No Cron
 * instance is kept per job: instances are cached per distinct (pattern,
 * zone) pair, since each one holds a large year table. Imports nothing from
 * the job model, so the model's schemas can use it.
 */
import { Cron } from 'croner';
import { cronFieldProblem } from './cronFields';

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

/**
 * Zones found valid. Asking Intl costs ~0.15 ms, and a cron schedule's zone
 * is checked three times as a job is validated: importing 10,000 jobs spent
 * more than 2 s here.
 */
const knownZones = new Set<string>();
const ZONES_KEPT = 1024;

/** True when the IANA zone name is known to this runtime. */
export function isValidTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  if (knownZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    return false;
  }
  // Bounded: the IANA database has some 600 names and aliases; spellings past the cap are just checked each time.
  if (knownZones.size < ZONES_KEPT) knownZones.add(zone);
  return true;
}

/**
 * (zone, pattern) pairs found usable. Patterns have no year field, so one
 * that fires once fires forever; finding its next fire is the costly part of
 * validating a cron schedule (~0.15 ms), done again for every job of an import.
 */
const fineCrons = new Set<string>();

/** Why a cron expression is unusable, or null when it is fine. */
export function cronProblem(expression: string, timezone: string): string | null {
  if (!isValidTimeZone(timezone)) return `unknown time zone "${timezone}"`;
  const key = `${timezone}\u0000${expression}`;
  if (fineCrons.has(key)) return null;
  const inWords = cronFieldProblem(expression);
  if (inWords) return inWords;
  try {
    const next = cronFor(expression, timezone).nextRun(new Date());
    if (!next) return 'the expression never fires';
    if (fineCrons.size >= CACHE_LIMIT) fineCrons.clear();
    fineCrons.add(key);
    return null;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    return text.replace(/^CronPattern: /, '');
  }
}
