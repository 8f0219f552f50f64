/** Whom the job tells of what: per event its targets, and when failures and long runs count. */
import { useEffect, useMemo } from 'react';
import { NOTIFY_EVENTS, type NotifyEvent } from '../../../../shared/model/notify';
import { useConnectionStore } from '../../stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { useNotifyStore } from '../../stores/notifyStore';
import { notifyErrorsByEvent, notifyFromForm, type NotifyForm } from '../jobForm';
import { Field } from './Field';

const EVENT_TEXT: Partial<Record<NotifyEvent, { label: string; hint: string }>> = {
  failure: { label: 'Failure', hint: 'a run failed (after the failures in a row below)' },
  success: { label: 'Success', hint: 'a run succeeded' },
  recovery: { label: 'Recovery', hint: 'first success after a notified failure (default: the failure targets)' },
  'still-failing': { label: 'Still failing', hint: 'follow-ups while the failure lasts (default: the failure targets)' },
  interrupted: { label: 'Interrupted', hint: 'a crash or restart stopped a run' },
  'long-running': { label: 'Long-running', hint: 'a run went over the limit below' },
  missed: { label: 'Missed', hint: 'a scheduled fire was missed while nothing ran' },
  'lock-held': { label: 'Lock held', hint: 'a run waited long for its lock' },
};

const { field } = jobEditorSelectors;

/** What a target field offers: the text typed so far up to its last comma, then each known target. */
function suggestions(text: string, known: string[]): string[] {
  const head = text.includes(',') ? `${text.slice(0, text.lastIndexOf(',') + 1).trimEnd()} ` : '';
  const taken = new Set(text.split(',').map((t) => t.trim()));
  return known.filter((k) => !taken.has(k)).map((k) => head + k);
}

export function NotifySection() {
  const form = useJobEditorStore(field('notify'));
  const base = useJobEditorStore(field('notifyBase'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const groups = useNotifyStore((s) => s.groups);
  const webhooks = useNotifyStore((s) => s.webhooks);
  const c = useConnectionStore((s) => s.client);
  const { setField } = useJobEditorStore.getState();

  useEffect(() => {
    if (c) void useNotifyStore.getState().loadTargets();
  }, [c]);

  const known = useMemo(() => [...groups.map((g) => g.name), ...webhooks.map((w) => `webhook:${w.name}`), 'desktop'], [groups, webhooks]);
  // Errors name rules by their place in what is saved: map them back to events.
  const byEvent = useMemo(() => notifyErrorsByEvent(notifyFromForm(form, base), errors), [form, base, errors]);
  const set = (patch: Partial<NotifyForm>) => setField('notify', { ...form, ...patch });
  const general = errors['notify.rules'] ?? errors.notify;

  return (
    <fieldset data-testid="notify-section">
      <legend>Notifications</legend>
      <p className="muted small" style={{ margin: '0 0 10px' }}>
        Targets: group names{groups.length ? ` (${groups.map((g) => g.name).join(', ')})` : ''}, email addresses, webhook:NAME or desktop, separated by commas.
      </p>
      <div className="notify-rules">
        {NOTIFY_EVENTS.map((event) => {
          const id = `notify-${event}`;
          const text = EVENT_TEXT[event] ?? { label: event, hint: '' };
          const error = byEvent[event];
          return (
            <div key={event} style={{ display: 'contents' }}>
              <label htmlFor={id}>{text.label}</label>
              <div className="field">
                <input
                  id={id}
                  className="input"
                  value={form.targets[event] ?? ''}
                  list={`${id}-list`}
                  placeholder={text.hint}
                  autoComplete="off"
                  aria-invalid={error ? true : undefined}
                  aria-describedby={error ? `${id}-error` : undefined}
                  data-event={event}
                  onChange={(e) => set({ targets: { ...form.targets, [event]: e.target.value } })}
                />
                <datalist id={`${id}-list`}>
                  {suggestions(form.targets[event] ?? '', known).map((s) => (
                    <option key={s} value={s} />
                  ))}
                </datalist>
                {error && (
                  <div className="error" id={`${id}-error`} data-field-error={id}>
                    {error}
                  </div>
                )}
              </div>
            </div>
          );
        })}
      </div>
      {general && (
        <div className="error-text" role="alert" style={{ marginTop: 8 }}>
          {general}
        </div>
      )}
      <div className="grid-2" style={{ marginTop: 12 }}>
        <Field id="notify-after" label="Failures in a row before the first alert" error={errors['notify.afterFailures']} hint="Default 1">
          <input id="notify-after" className="input narrow" type="number" min={1} max={100} placeholder="1" value={form.afterFailures} onChange={(e) => set({ afterFailures: e.target.value })} />
        </Field>
        <Field id="notify-followup" label="Hours between still-failing follow-ups" error={errors['notify.followUpHours']} hint="Default 1; 0 for none">
          <input id="notify-followup" className="input narrow" type="number" min={0} step="any" placeholder="1" value={form.followUpHours} onChange={(e) => set({ followUpHours: e.target.value })} />
        </Field>
        <Field id="notify-long-seconds" label="Long-running after (seconds)" error={errors['notify.longRunning.seconds'] ?? errors['notify.longRunning']} hint="Empty: no fixed limit">
          <input id="notify-long-seconds" className="input narrow" type="number" min={1} value={form.longSeconds} onChange={(e) => set({ longSeconds: e.target.value })} />
        </Field>
        <Field id="notify-long-factor" label="…or times the median run" error={errors['notify.longRunning.factor']} hint="Default 3 (once there are 3 successful runs)">
          <input id="notify-long-factor" className="input narrow" type="number" min={1.1} step="any" placeholder="3" value={form.longFactor} onChange={(e) => set({ longFactor: e.target.value })} />
        </Field>
      </div>
    </fieldset>
  );
}
