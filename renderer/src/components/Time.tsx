/**
 * A time as the console shows every time: with its zone, relative where that
 * helps ("in 4 min", "3 h ago"), the absolute time always in the tooltip and
 * in the element's datetime.
 */
import { formatFullTime, formatRelative, formatTime } from '../lib/format';

export function Time({ iso, relative, now }: { iso: string | null | undefined; relative?: boolean; now?: number }) {
  if (!iso) return null;
  return (
    <time dateTime={iso} title={formatFullTime(iso)}>
      {relative ? formatRelative(iso, now) : formatTime(iso)}
    </time>
  );
}
