/**
 * Cron mistakes said in words, with 1-based field positions and each
 * field's range ("field 2 (hour): 25 is out of range 0–23"), checked before
 * croner sees the pattern (its own messages count from 0 and name its
 * internal fields). Forms this check does not know (L, W, #, ?) are left to
 * croner.
 */
interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const SECOND: Field = { name: 'second', min: 0, max: 59 };
const FIVE: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

const ITEM = /^(\*|\d+|[A-Za-z]{3})(?:-(\d+|[A-Za-z]{3}))?(?:\/(\d+))?$/;

function value(text: string, field: Field): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const i = field.names?.indexOf(text.toUpperCase() as never) ?? -1;
  if (i < 0) return null;
  return field.names === MONTHS ? i + 1 : i;
}

function fieldProblem(text: string, field: Field, position: number): string | null {
  const at = `field ${position} (${field.name})`;
  for (const item of text.split(',')) {
    if (item === '') return `${at}: an empty item in "${text}" (a comma too many?)`;
    const m = ITEM.exec(item);
    // L, W, # and ? forms: croner checks those.
    if (!m) {
      if (/^[0-9A-Za-z*?#/,-]+$/.test(item) && /[LW#?]/i.test(item)) continue;
      return `${at}: "${item}" is not a number, a range (1-5), a step (*/15) or a list`;
    }
    const [, start, end, step] = m;
    for (const part of [start, end]) {
      if (part === undefined || part === '*') continue;
      const n = value(part, field);
      if (n === null) return `${at}: "${part}" is not a number${field.names ? ` or a name (${field.names[0]}–${field.names[field.names.length - 1]})` : ''}`;
      if (n < field.min || n > field.max) return `${at}: ${part} is out of range ${field.min}–${field.max}`;
    }
    if (start !== '*' && end !== undefined && value(start!, field)! > value(end, field)!) return `${at}: the range ${start}-${end} runs backwards`;
    if (step !== undefined && Number(step) === 0) return `${at}: a step of 0 never moves on; use 1 or more`;
  }
  return null;
}

/** The first mistake in a cron pattern's fields, in words, or null when its fields look right. */
export function cronFieldProblem(expression: string): string | null {
  const parts = expression.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 5 && parts.length !== 6) {
    return `a cron expression has 5 fields (minute hour day-of-month month day-of-week) or 6 (a second first); this one has ${parts.length}`;
  }
  const fields = parts.length === 6 ? [SECOND, ...FIVE] : FIVE;
  for (const [i, text] of parts.entries()) {
    const problem = fieldProblem(text, fields[i]!, i + 1);
    if (problem) return problem;
  }
  return null;
}
