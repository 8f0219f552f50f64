/**
 * The job-list report of the Windows-service scheduler's seed: every job in
 * next-execution order, disabled and archived ones last (name, group,
 * schedule in words, next run in the server's time zone, last status), as
 * an HTML table and plain text, with the JSON export attached, so that the
 * schedule can be restored if jobs are lost.
 */
import { hostname } from 'node:os';
import { lazy, lazyPackage } from '../lazyPackage';
import type { JobSummary } from '../../../shared/model/job';
import { describeSchedule } from '../../../shared/schedule';

const liquidjs = lazyPackage<typeof import('liquidjs')>('liquidjs');
const liquid = lazy(() => new (liquidjs().Liquid)({ ownPropertyOnly: true, strictFilters: true, renderLimit: 2000 }));

const TEXT = `Jobs on {{ server }}, {{ count }} in all, in order of their next run (disabled and archived last).
Times are in {{ zone }}.

{% for j in jobs %}{{ forloop.index }}. {{ j.name }}{% if j.group != "" %} [{{ j.group }}]{% endif %}: {{ j.schedule }}; next {{ j.next }}; last {{ j.last }}{% if j.state != "enabled" %} ({{ j.state }}){% endif %}
{% endfor %}
The attached jobs-export.json restores them: jobdeck import jobs-export.json
`;

const HTML = `<p style="font-family:sans-serif">Jobs on {{ server | escape }}, {{ count }} in all, in order of their next run (disabled and archived last). Times are in {{ zone | escape }}.</p>
<table style="font-family:sans-serif;border-collapse:collapse" border="1" cellpadding="4">
<tr><th>#</th><th>Job</th><th>Group</th><th>Schedule</th><th>Next run</th><th>Last status</th><th>State</th></tr>
{% for j in jobs %}<tr><td>{{ forloop.index }}</td><td>{{ j.name | escape }}</td><td>{{ j.group | escape }}</td><td>{{ j.schedule | escape }}</td><td>{{ j.next }}</td><td>{{ j.last }}</td><td>{{ j.state }}</td></tr>
{% endfor %}</table>
<p style="font-family:sans-serif">The attached jobs-export.json restores them: <code>jobdeck import jobs-export.json</code></p>`;

function localTime(iso: string | null, zone: string): string {
  if (!iso) return '-';
  return new Intl.DateTimeFormat('sv-SE', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));
}

/** The report of these jobs (already in next-execution order). */
export function jobListReport(jobs: readonly JobSummary[], zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC') {
  const rows = jobs.map((j) => ({
    name: j.name,
    group: j.group,
    schedule: describeSchedule(j.schedule),
    next: j.archived || !j.enabled ? '-' : localTime(j.nextRunAt, zone),
    last: j.lastRun ? `${j.lastRun.status} ${localTime(j.lastRun.at, zone)}` : 'never ran',
    state: j.archived ? 'archived' : j.enabled ? 'enabled' : 'disabled',
  }));
  const ctx = { jobs: rows, count: rows.length, server: hostname(), zone };
  return {
    subject: `[Jobdeck] ${rows.length} scheduled job${rows.length === 1 ? '' : 's'} on ${hostname()}`,
    text: liquid().parseAndRenderSync(TEXT, ctx) as string,
    html: liquid().parseAndRenderSync(HTML, ctx) as string,
  };
}
