/**
 * The last 7 days as charts: runs per hour (failed ones stacked on top) and
 * failures per day. Each chart also says its totals in words, for readers
 * who do not see it.
 */
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { Dashboard } from '../../../../shared/model/dashboard';
import { formatFullTime } from '../../lib/format';
import { useThemeColors } from '../../lib/themeColors';

type Hours = Dashboard['hours'];

const dayKey = (iso: string) => {
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};
const dayLabel = (iso: string) => new Date(iso).toLocaleDateString(undefined, { weekday: 'short', day: 'numeric' });

/** Hours grouped into the viewer's calendar days, oldest first. */
export function byDay(hours: Hours): { day: string; label: string; runs: number; failed: number }[] {
  const days = new Map<string, { day: string; label: string; runs: number; failed: number }>();
  for (const h of hours) {
    const key = dayKey(h.at);
    const d = days.get(key) ?? { day: key, label: dayLabel(h.at), runs: 0, failed: 0 };
    d.runs += h.runs;
    d.failed += h.failed;
    days.set(key, d);
  }
  return [...days.values()];
}

export function RunsPerHourChart({ hours }: { hours: Hours }) {
  const c = useThemeColors();
  const data = hours.map((h) => ({ at: h.at, ok: h.runs - h.failed, failed: h.failed }));
  const total = hours.reduce((n, h) => n + h.runs, 0);
  const failed = hours.reduce((n, h) => n + h.failed, 0);
  const peak = hours.reduce((m, h) => Math.max(m, h.runs), 0);
  const summary = `${total} runs in 7 days, ${failed} failed; at most ${peak} in one hour`;
  return (
    <figure className="chart" data-testid="chart-runs-per-hour">
      <figcaption>
        <strong>Runs per hour</strong> <span className="muted small">{summary}</span>
      </figcaption>
      <BarChart responsive style={{ width: '100%', height: 180 }} data={data} barCategoryGap={0} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} title={summary}>
        <CartesianGrid vertical={false} stroke={c.border} />
        <XAxis dataKey="at" tickFormatter={dayLabel} interval={23} tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} />
        <YAxis allowDecimals={false} tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} />
        <Tooltip labelFormatter={(at) => formatFullTime(String(at))} contentStyle={{ background: c.panel, borderColor: c.border, color: c.fg }} />
        <Bar dataKey="ok" name="finished or running" stackId="runs" fill={c.accent} isAnimationActive={false} />
        <Bar dataKey="failed" name="failed" stackId="runs" fill={c.fail} isAnimationActive={false} />
      </BarChart>
    </figure>
  );
}

export function FailuresPerDayChart({ hours }: { hours: Hours }) {
  const c = useThemeColors();
  const days = byDay(hours);
  const worst = days.reduce((w, d) => (d.failed > (w?.failed ?? 0) ? d : w), null as (typeof days)[number] | null);
  const summary = worst ? `most on ${worst.label}: ${worst.failed} of ${worst.runs}` : 'no failures in 7 days';
  return (
    <figure className="chart" data-testid="chart-failures-per-day">
      <figcaption>
        <strong>Failures per day</strong> <span className="muted small">{summary}</span>
      </figcaption>
      <BarChart responsive style={{ width: '100%', height: 180 }} data={days} margin={{ top: 8, right: 8, bottom: 0, left: -16 }} title={summary}>
        <CartesianGrid vertical={false} stroke={c.border} />
        <XAxis dataKey="label" tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} />
        <YAxis allowDecimals={false} tick={{ fill: c.muted, fontSize: 11 }} stroke={c.border} />
        <Tooltip contentStyle={{ background: c.panel, borderColor: c.border, color: c.fg }} />
        <Bar dataKey="failed" name="failed runs" fill={c.fail} isAnimationActive={false} />
      </BarChart>
    </figure>
  );
}
