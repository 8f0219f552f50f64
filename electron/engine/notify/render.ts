/**
 * A notification's words: Liquid templates (liquidjs: no code, own
 * properties only, bounded render time) over what happened. The variables
 * are documented in the README ("Notifications"); the defaults below use
 * every one, and the tests render each event with none left empty.
 */
import { hostname } from 'node:os';
import { lazy, lazyPackage } from '../lazyPackage';
import type { NotifyEvent } from '../../../shared/model/notify';
import type { JobRow, RunRow } from '../store/rows';

const liquidjs = lazyPackage<typeof import('liquidjs')>('liquidjs');
const liquid = lazy(() => new (liquidjs().Liquid)({ ownPropertyOnly: true, strictFilters: true, renderLimit: 500, memoryLimit: 10_000_000 }));

export interface Templates {
  subject: string;
  text: string;
  html: string;
}

export type MessageEvent = NotifyEvent | 'test' | 'report';

const WHAT: Record<MessageEvent, string> = {
  failure: 'failed',
  success: 'succeeded',
  recovery: 'recovered',
  'still-failing': 'is still failing',
  interrupted: 'was interrupted',
  'long-running': 'is running longer than usual',
  missed: 'missed a scheduled run',
  'lock-held': 'is waiting for a lock',
  test: 'test message',
  report: 'sent a report',
};

export const DEFAULT_TEMPLATES: Templates = {
  subject: '[Jobdeck] {{ job.name }} {{ what }}{% if attach %}: {{ attach }}{% endif %}{% if run %} (run {{ run.id }}){% endif %}',
  text: `Job: {{ job.name }}{% if job.group != "" %} ({{ job.group }}){% endif %}
Event: {{ event }} - {{ what }}
{% if detail %}{{ detail }}
{% endif %}{% if run %}Run: {{ run.id }}, {{ run.status }}{% if run.failure %} ({{ run.failure }}){% endif %}, triggered by {{ run.triggeredBy }} ({{ run.trigger }})
Started: {{ run.startedAt }}  Finished: {{ run.finishedAt }}  Duration: {{ run.duration }}
{% if run.error %}Error: {{ run.error }}
{% endif %}{% if params.size > 0 %}Parameters: {% for p in params %}{{ p[0] }}={{ p[1] }} {% endfor %}
{% endif %}{% endif %}{% if incident %}Failing since {{ incident.openedAt }} ({{ incident.failures }} failed run{% if incident.failures != 1 %}s{% endif %}, follow-up {{ incident.followUps }})
{% endif %}{% if link %}Open: {{ link }}
{% endif %}{% if log.size > 0 %}
Last log lines:
{% for l in log %}{{ l }}
{% endfor %}{% endif %}
-- Jobdeck on {{ server }}`,
  html: `<h2 style="font-family:sans-serif">{{ job.name | escape }} {{ what | escape }}</h2>
<table style="font-family:sans-serif;border-collapse:collapse">
<tr><th align="left">Event</th><td>{{ event }}</td></tr>
{% if detail %}<tr><th align="left">What</th><td>{{ detail | escape }}</td></tr>{% endif %}
{% if run %}<tr><th align="left">Run</th><td>{{ run.id }} {{ run.status }}{% if run.failure %} ({{ run.failure }}){% endif %}</td></tr>
<tr><th align="left">Duration</th><td>{{ run.duration }}</td></tr>
{% if run.error %}<tr><th align="left">Error</th><td>{{ run.error | escape }}</td></tr>{% endif %}{% endif %}
{% if link %}<tr><th align="left">Link</th><td><a href="{{ link | escape }}">{{ link | escape }}</a></td></tr>{% endif %}
</table>
{% if log.size > 0 %}<pre style="background:#f4f4f4;padding:8px">{% for l in log %}{{ l | escape }}
{% endfor %}</pre>{% endif %}
<p style="color:#888;font-family:sans-serif">Jobdeck on {{ server | escape }}</p>`,
};

export interface MessageFacts {
  event: MessageEvent;
  /** A report's file name. */
  attach?: string | null;
  /** What happened, in words, when there is no run to tell it (a missed fire). */
  detail?: string | null;
  job: Pick<JobRow, 'id' | 'name' | 'grp' | 'description'> | null;
  run: RunRow | null;
  incident: { opened_at: number; failures: number; follow_ups: number } | null;
  log: string[];
  /** The console's address, when known (JOBDECK_PUBLIC_URL or the setting). */
  publicUrl: string | null;
}

function duration(run: RunRow): string {
  if (run.started_at === null) return 'not started';
  const ms = Math.max(0, (run.finished_at ?? Date.now()) - run.started_at);
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

const time = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** The variables a template sees. */
export function contextOf(f: MessageFacts): Record<string, unknown> {
  const run = f.run;
  return {
    event: f.event,
    what: WHAT[f.event],
    attach: f.attach ?? null,
    detail: f.detail ?? null,
    job: f.job ? { id: f.job.id, name: f.job.name, group: f.job.grp, description: f.job.description } : { id: 0, name: 'Jobdeck', group: '', description: '' },
    run: run
      ? {
          id: run.id,
          status: run.status,
          failure: run.failure,
          error: run.error,
          exitCode: run.exit_code,
          trigger: run.trigger,
          triggeredBy: run.triggered_by,
          startedAt: time(run.started_at),
          finishedAt: time(run.finished_at),
          duration: duration(run),
        }
      : null,
    params: run ? Object.entries(JSON.parse(run.params) as Record<string, unknown>) : [],
    incident: f.incident ? { openedAt: time(f.incident.opened_at), failures: f.incident.failures, followUps: f.incident.follow_ups } : null,
    log: f.log,
    link: f.publicUrl && run ? `${f.publicUrl.replace(/\/+$/, '')}/#/runs/${run.id}` : (f.publicUrl ?? ''),
    server: hostname(),
  };
}

export function render(templates: Templates, facts: MessageFacts): { subject: string; text: string; html: string } {
  const ctx = contextOf(facts);
  const one = (t: string, fallback: string) => {
    try {
      return liquid().parseAndRenderSync(t, ctx) as string;
    } catch (err) {
      return `${fallback} (the template could not be rendered: ${String((err as Error).message).split('\n')[0]})`;
    }
  };
  const subject = one(templates.subject, `[Jobdeck] ${facts.job?.name ?? ''} ${WHAT[facts.event]}`).replace(/\s+/g, ' ').trim().slice(0, 300);
  return { subject, text: one(templates.text, subject), html: one(templates.html, subject) };
}
