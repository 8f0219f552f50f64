/** Display helpers: times, durations, sizes. */

let zoneFormatter: { offset: number; format: Intl.DateTimeFormat } | null = null;
/**
 * Kept: making an Intl.DateTimeFormat costs far more than using one, and every
 * time shown (two per row of a 10,000-job list while it scrolls) names its zone.
 * Made again when the machine's offset from UTC changes (its time zone was
 * changed, or a DST change passed), so the zone's name follows the hours shown.
 */
function zoneFormat(): Intl.DateTimeFormat {
  const offset = new Date().getTimezoneOffset();
  if (zoneFormatter?.offset !== offset) zoneFormatter = { offset, format: new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }) };
  return zoneFormatter.format;
}

/** The viewer's time zone as a short name ("UTC", "CET", "GMT+2") for a moment (it can change with DST). */
export function zoneName(d: Date): string {
  const part = zoneFormat().formatToParts(d).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

const pad = (n: number) => String(n).padStart(2, '0');

/** One format for every time the console shows: "HH:MM:SS ZONE" today, "YYYY-MM-DD HH:MM:SS ZONE" otherwise. */
export function formatTime(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const zone = zoneName(d);
  const day = d.toDateString() === now.toDateString() ? '' : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `;
  return `${day}${time}${zone ? ` ${zone}` : ''}`;
}

/** The full date and time with its zone, for tooltips. */
export function formatFullTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zoneName(d)}`.trim();
}

/** Relative wording for any time: "in 4 min", "12 s ago", "3 h ago". */
export function formatRelative(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  const abs = Math.abs(ms);
  let text: string;
  if (abs < 1000) return 'now';
  if (abs < 60_000) text = `${Math.round(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / 86_400_000)} d`;
  return ms > 0 ? `in ${text}` : `${text} ago`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

export function runDurationMs(run: { startedAt: string | null; finishedAt: string | null }, now = Date.now()): number | null {
  if (!run.startedAt) return null;
  return (run.finishedAt ? Date.parse(run.finishedAt) : now) - Date.parse(run.startedAt);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Relative wording for a future time: "in 12 s", "in 3 min". */
export function formatIn(iso: string | null, now = Date.now()): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - now;
  if (ms <= 0) return 'due now';
  if (ms < 60_000) return `in ${Math.ceil(ms / 1000)} s`;
  if (ms < 3_600_000) return `in ${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `in ${Math.round(ms / 3_600_000)} h`;
  return `in ${Math.round(ms / 86_400_000)} d`;
}
