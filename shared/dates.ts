/**
 * Date parsing shared by every transport. Run filters accept the
 * scheduled-job-runs seed's compact forms (`20220221`, `20220221T061500`) and
 * ISO 8601. Compact forms carry no zone and are read in the local time of the
 * process that parses them (the engine's host).
 */

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?)?$/;
const ISO = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export interface ParsedDate {
  /** Milliseconds since the epoch. */
  ms: number;
  /** True when only a day was given (no time of day). */
  dateOnly: boolean;
}

/** Parses a compact or ISO 8601 date; returns null when the text is neither. */
export function parseDate(text: string): ParsedDate | null {
  const s = text.trim();
  const m = COMPACT.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, se] = m;
    const year = Number(y), month = Number(mo), day = Number(d);
    const hour = h === undefined ? 0 : Number(h);
    const minute = mi === undefined ? 0 : Number(mi);
    const second = se === undefined ? 0 : Number(se);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
    const date = new Date(year, month - 1, day, hour, minute, second, 0);
    // Reject dates that rolled over (20220231 would become March 3rd).
    if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return null;
    return { ms: date.getTime(), dateOnly: h === undefined };
  }
  if (ISO.test(s)) {
    const dateOnly = s.length === 10;
    // A bare ISO day is read as local midnight, like the compact form.
    const ms = dateOnly ? new Date(`${s}T00:00:00`).getTime() : Date.parse(s.replace(' ', 'T'));
    if (Number.isNaN(ms)) return null;
    if (dateOnly) {
      const [y, mo, d] = s.split('-').map(Number) as [number, number, number];
      const check = new Date(ms);
      if (check.getFullYear() !== y || check.getMonth() !== mo - 1 || check.getDate() !== d) return null;
    }
    return { ms, dateOnly };
  }
  return null;
}

export const DATE_FORMAT_HINT = 'expected 20220221, 20220221T061500 or an ISO 8601 date such as 2022-02-21T06:15:00Z';

/**
 * The lower bound (inclusive) a `from` filter stands for.
 */
export function fromBound(p: ParsedDate): number {
  return p.ms;
}

/**
 * The upper bound (exclusive) a `to` filter stands for: a bare day covers the
 * whole of that day; a time is taken as given (plus the rest of its second).
 */
export function toBound(p: ParsedDate): number {
  if (p.dateOnly) {
    const d = new Date(p.ms);
    return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
  }
  return p.ms + (p.ms % 1000 === 0 ? 1000 : 1);
}

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
