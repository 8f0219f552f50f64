/** The run's notifications (email, webhooks, desktop) and how their delivery went; shown only when there are some. */
import { useEffect } from 'react';
import type { RunStatus } from '../../../../shared/model/job';
import { isFinished } from '../../../../shared/model/run';
import { notifySelectors, useNotifyStore } from '../../stores/notifyStore';
import { formatTime } from '../../lib/format';
import { DeliveryStatus } from '../notifications/DeliveryTable';

/** While the run goes on or a message is on its way, read again this often. */
const POLL_MS = 2000;

export function RunNotifications({ runId, status }: { runId: number; status: RunStatus }) {
  const items = useNotifyStore(notifySelectors.runDeliveries(runId));
  const { loadRun, closeRun } = useNotifyStore.getState();
  const waiting = !isFinished(status) || (items !== null && notifySelectors.inFlight(items));

  useEffect(() => {
    void loadRun(runId);
    return () => closeRun();
  }, [runId, loadRun, closeRun]);

  // A run's end queues its messages; they are sent moments later.
  useEffect(() => {
    void loadRun(runId);
    if (!waiting) return;
    const t = setInterval(() => void loadRun(runId), POLL_MS);
    return () => clearInterval(t);
  }, [runId, status, waiting, loadRun]);

  if (!items || items.length === 0) return null;
  return (
    <section className="panel panel-pad col-gap" aria-labelledby="run-notify-title" data-testid="run-notifications">
      <h3 id="run-notify-title">Notifications</h3>
      <ul className="plain-list small" aria-label="This run's notifications">
        {items.map((d) => (
          <li key={d.id} data-testid="delivery" data-delivery-id={d.id} data-status={d.status}>
            <div className="row">
              <strong>{d.event}</strong>
              <span className="grow wrap">
                → {d.target}
                {d.channel !== 'email' && <span className="muted"> ({d.channel})</span>}
              </span>
              <DeliveryStatus status={d.status} />
            </div>
            <div className="muted">
              {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
              {d.sentAt ? ` · sent ${formatTime(d.sentAt)}` : d.nextAttemptAt && d.status === 'pending' && d.attempts > 0 ? ` · next try ${formatTime(d.nextAttemptAt)}` : ''}
            </div>
            {d.answer && <div className="mono wrap">{d.answer}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
