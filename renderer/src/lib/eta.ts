/**
 * How long a running run still has: from its own progress when it reports
 * some (elapsed × remaining ÷ done), else from its job's usual duration.
 */
export interface Eta {
  /** Milliseconds left; negative: past the usual duration by that much. */
  leftMs: number;
  basis: 'progress' | 'usual';
}

export function estimateEta(startedAt: string | null, percent: number | null, usualMs: number | null, now: number): Eta | null {
  if (!startedAt) return null;
  const elapsed = Math.max(0, now - Date.parse(startedAt));
  if (percent !== null && percent >= 1 && percent < 100 && elapsed > 0) return { leftMs: Math.round((elapsed * (100 - percent)) / percent), basis: 'progress' };
  if (usualMs !== null) return { leftMs: usualMs - elapsed, basis: 'usual' };
  return null;
}
