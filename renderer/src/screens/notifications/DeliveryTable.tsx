/** Deliveries as a table: event, run, target, status, attempts, the server's last answer, time. */
import type { Delivery } from '../../../../shared/model/notify';
import { formatTime } from '../../lib/format';
import { hrefOf } from '../../stores/routeStore';

const STATUS_TEXT: Record<Delivery['status'], string> = { pending: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed' };
/** The run badges' colours, reused: sent like a success, failed like a failure. */
const STATUS_CLASS: Record<Delivery['status'], string> = { pending: 'QUEUED', sending: 'IN_PROGRESS', sent: 'SUCCEEDED', failed: 'FAILED' };

export function DeliveryStatus({ status }: { status: Delivery['status'] }) {
  return (
    <span className={`badge ${STATUS_CLASS[status]}`} data-delivery-status={status}>
      {STATUS_TEXT[status]}
    </span>
  );
}

/** When it was sent, or when it will be tried again, or when it was queued. */
function when(d: Delivery): string {
  if (d.sentAt) return formatTime(d.sentAt);
  if (d.status === 'pending' && d.nextAttemptAt && d.attempts > 0) return `retry ${formatTime(d.nextAttemptAt)}`;
  return formatTime(d.createdAt);
}

export function DeliveryTable({ items, showRun = true, label, busy }: { items: Delivery[]; showRun?: boolean; label: string; busy?: boolean }) {
  return (
    <table className="data small" aria-label={label} aria-busy={busy}>
      <thead>
        <tr>
          <th scope="col">Event</th>
          {showRun && <th scope="col">Run</th>}
          <th scope="col">Target</th>
          <th scope="col">Status</th>
          <th scope="col" className="num">
            Attempts
          </th>
          <th scope="col">Last answer</th>
          <th scope="col">Time</th>
        </tr>
      </thead>
      <tbody>
        {items.map((d) => (
          <tr key={d.id} data-testid="delivery" data-delivery-id={d.id} data-status={d.status}>
            <td title={d.subject}>{d.event}</td>
            {showRun && <td>{d.runId !== null ? <a href={hrefOf({ name: 'run', id: d.runId })}>#{d.runId}</a> : '—'}</td>}
            <td className="wrap">
              {d.target}
              {d.channel !== 'email' && <span className="muted"> ({d.channel})</span>}
            </td>
            <td>
              <DeliveryStatus status={d.status} />
            </td>
            <td className="num">{d.attempts}</td>
            <td className="mono wrap answer">{d.answer ?? '—'}</td>
            <td style={{ whiteSpace: 'nowrap' }} title={`queued ${d.createdAt}`}>
              {when(d)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
