/** Interval, cron (with a plain-words reading and the next five fires) or manual only; enabled. */
import { useMemo } from 'react';
import { INTERVAL_MAX, INTERVAL_MIN } from '../../../../shared/model/job';
import { cronProblem, describeSchedule, isValidTimeZone, nextFires } from '../../../../shared/schedule';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import type { JobForm } from '../jobForm';
import { Field } from './Field';

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['UTC'];
  }
})();

type CronPreview = { problem: string } | { text: string; fires: string[] };

/** What a cron schedule means and when it fires next, or why it cannot (null when not cron). */
function cronPreview(kind: JobForm['scheduleKind'], expression: string, timezone: string): CronPreview | null {
  if (kind !== 'cron') return null;
  if (!isValidTimeZone(timezone)) return { problem: 'unknown time zone' };
  const problem = cronProblem(expression, timezone);
  if (problem) return { problem };
  const fmt = new Intl.DateTimeFormat(undefined, { timeZone: timezone, dateStyle: 'medium', timeStyle: 'medium' });
  const schedule = { kind: 'cron' as const, expression, timezone };
  return { text: describeSchedule(schedule), fires: nextFires(schedule, Date.now(), 5).map((t) => fmt.format(t)) };
}

const KIND_LABEL: Record<JobForm['scheduleKind'], string> = { interval: 'Every N seconds', cron: 'Cron', manual: 'Manual only' };

const { field } = jobEditorSelectors;

export function ScheduleSection() {
  const kind = useJobEditorStore(field('scheduleKind'));
  const enabled = useJobEditorStore(field('enabled'));
  const interval = useJobEditorStore(field('interval'));
  const cron = useJobEditorStore(field('cron'));
  const timezone = useJobEditorStore(field('timezone'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const { setField } = useJobEditorStore.getState();
  const preview = useMemo(() => cronPreview(kind, cron, timezone), [kind, cron, timezone]);

  return (
    <fieldset>
      <legend>Schedule</legend>
      <div className="row" role="radiogroup" aria-label="Schedule kind">
        {(['interval', 'cron', 'manual'] as const).map((k) => (
          <label key={k} className="row" style={{ gap: 4 }}>
            <input type="radio" name="schedule-kind" value={k} checked={kind === k} onChange={() => setField('scheduleKind', k)} />
            {KIND_LABEL[k]}
          </label>
        ))}
        <label className="row" style={{ gap: 4, marginLeft: 'auto' }}>
          <input type="checkbox" checked={enabled} onChange={(e) => setField('enabled', e.target.checked)} /> Enabled
        </label>
      </div>
      {kind === 'interval' && (
        <div style={{ marginTop: 10 }}>
          <Field id="job-interval" label="Interval (seconds)" error={errors['schedule.seconds']} hint={`${INTERVAL_MIN} to ${INTERVAL_MAX}; default 60`}>
            <input
              id="job-interval"
              className="input narrow"
              type="number"
              inputMode="numeric"
              min={INTERVAL_MIN}
              max={INTERVAL_MAX}
              step={1}
              value={interval}
              aria-invalid={errors['schedule.seconds'] ? true : undefined}
              onChange={(e) => setField('interval', e.target.value)}
            />
          </Field>
        </div>
      )}
      {kind === 'cron' && (
        <div className="grid-2" style={{ marginTop: 10 }}>
          <Field id="job-cron" label="Cron expression" error={errors['schedule.expression'] ?? (preview && 'problem' in preview ? preview.problem : undefined)} hint="5 fields, or 6 with seconds first">
            <input id="job-cron" className="input mono" value={cron} onChange={(e) => setField('cron', e.target.value)} />
          </Field>
          <Field id="job-tz" label="Time zone" error={errors['schedule.timezone']}>
            <select id="job-tz" className="input" value={timezone} onChange={(e) => setField('timezone', e.target.value)}>
              {!ZONES.includes(timezone) && <option value={timezone}>{timezone}</option>}
              {ZONES.map((z) => (
                <option key={z}>{z}</option>
              ))}
            </select>
          </Field>
          {preview && 'fires' in preview && (
            <div className="small" data-testid="cron-preview">
              <div>
                <strong>{preview.text}</strong>
              </div>
              <div className="muted">Next five fires ({timezone}):</div>
              <ol style={{ margin: 0, paddingLeft: 20 }}>
                {preview.fires.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ol>
            </div>
          )}
        </div>
      )}
    </fieldset>
  );
}
