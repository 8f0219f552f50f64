/** Pure helpers over job definitions: fingerprints, next fire times, differences, copy names. */
import { createHash } from 'node:crypto';
import { NAME_MAX, type JobSpec } from '../../../shared/model/job';
import { nextFireAfter } from '../../../shared/schedule';

export const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

/** When a job with this spec fires next, counted from now; null when it does not fire. */
export function nextFireFor(spec: JobSpec, archived: boolean, now: number): number | null {
  if (!spec.enabled || archived || spec.schedule.kind === 'manual') return null;
  return nextFireAfter(spec.schedule, now);
}

export const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Fields that differ between two specs, as {from, to} (scripts by MD5). */
export function diffSpecs(before: JobSpec, after: JobSpec): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof JobSpec)[]) {
    if (sameJson(before[key], after[key])) continue;
    out[key] = key === 'script' ? { from: md5(before.script), to: md5(after.script) } : { from: before[key], to: after[key] };
  }
  return out;
}

/** Most "(copy N)" names tried before giving up. */
export const MAX_COPY_ATTEMPTS = 1000;

/**
 * Candidate names for a copy of `name`: "name (copy)", "name (copy 2)", …,
 * the base shortened (at a character boundary, trailing spaces dropped) so
 * that the suffix always fits within the name limit.
 */
export function* copyNames(name: string, max = NAME_MAX): Generator<string> {
  for (let i = 1; i <= MAX_COPY_ATTEMPTS; i++) {
    const suffix = ` (copy${i > 1 ? ` ${i}` : ''})`;
    yield `${cut(name, max - suffix.length).trimEnd()}${suffix}`;
  }
}

/** The longest start of `text` of at most `units` UTF-16 units that does not split a character. */
function cut(text: string, units: number): string {
  if (text.length <= units) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > units) break;
    out += ch;
  }
  return out;
}
