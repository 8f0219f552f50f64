/** Notifications: email settings and test mail, recipient groups, webhooks, and the delivery log. */
import { useEffect } from 'react';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { useNotifyStore } from '../stores/notifyStore';
import { DeliveryLog } from './notifications/DeliveryLog';
import { GroupsPanel } from './notifications/GroupsPanel';
import { SmtpPanel } from './notifications/SmtpPanel';
import { WebhooksPanel } from './notifications/WebhooksPanel';

export function NotificationsScreen() {
  const isAdmin = useConnectionStore(connectionSelectors.can('admin'));
  const c = useConnectionStore((s) => s.client);
  const { load } = useNotifyStore.getState();
  useEffect(() => {
    if (c) void load();
  }, [c, load]);
  return (
    <section className="screen notify-screen" aria-labelledby="notify-title" data-testid="notifications-screen">
      <div className="screen-head">
        <h2 id="notify-title">Notifications</h2>
      </div>
      <div className="notify-grid">
        {isAdmin && <SmtpPanel />}
        <div className="col-gap">
          <GroupsPanel />
          {isAdmin && <WebhooksPanel />}
        </div>
      </div>
      <DeliveryLog />
    </section>
  );
}
