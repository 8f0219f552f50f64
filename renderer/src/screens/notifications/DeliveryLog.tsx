/** The delivery log: every message, newest first, filtered by status and channel. */
import { NOTIFY_CHANNELS, OUTBOX_STATUSES, type NotifyChannel } from '../../../../shared/model/notify';
import { useNotifyStore, type DeliveryStatus } from '../../stores/notifyStore';
import { DeliveryTable } from './DeliveryTable';

const LABEL: Record<DeliveryStatus, string> = { pending: 'Queued or retrying', sending: 'Sending', sent: 'Sent', failed: 'Failed' };

export function DeliveryLog() {
  const items = useNotifyStore((s) => s.deliveries);
  const status = useNotifyStore((s) => s.status);
  const channel = useNotifyStore((s) => s.channel);
  const error = useNotifyStore((s) => s.errors.deliveries);
  const busy = useNotifyStore((s) => s.busy.deliveries);
  const { setStatus, setChannel, loadDeliveries } = useNotifyStore.getState();
  return (
    <section className="panel col-gap" aria-labelledby="deliveries-title" data-testid="delivery-log">
      <div className="row panel-pad" style={{ paddingBottom: 0 }}>
        <h3 id="deliveries-title" className="grow">
          Delivery log
        </h3>
        <label htmlFor="delivery-status" className="small">
          Status
        </label>
        <select id="delivery-status" className="input" value={status} onChange={(e) => void setStatus(e.target.value as DeliveryStatus | '')}>
          <option value="">All</option>
          {OUTBOX_STATUSES.map((s) => (
            <option key={s} value={s}>
              {LABEL[s]}
            </option>
          ))}
        </select>
        <label htmlFor="delivery-channel" className="small">
          Channel
        </label>
        <select id="delivery-channel" className="input" value={channel} onChange={(e) => void setChannel(e.target.value as NotifyChannel | '')}>
          <option value="">All</option>
          {NOTIFY_CHANNELS.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
        <button type="button" className="btn small" disabled={busy} onClick={() => void loadDeliveries()}>
          Refresh
        </button>
      </div>
      {error && (
        <div className="alert" role="alert" style={{ margin: '0 16px' }}>
          {error}
        </div>
      )}
      <div style={{ overflow: 'auto' }}>
        <DeliveryTable items={items} label="Deliveries" busy={busy} />
        {!busy && items.length === 0 && <div className="empty">No messages{status ? ` ${LABEL[status].toLowerCase()}` : ''}.</div>}
      </div>
    </section>
  );
}
