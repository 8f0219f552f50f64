/** Notification intents: recipient groups, webhooks, follow-ups, and the outbox's delivery steps (each one transaction), for both backends. */
import type { NotifyChannel } from '../../../shared/model/notify';
import { auditTable, type NewAudit } from './tables/auditTable';
import { notifyTable, type OutboxRow, type WebhookRow } from './tables/notifyTable';
import { queueFollowUps, queueLockWaits, queueLongRunning } from './notifyRules';
import type { Performed, StorePart, Work } from './work';

export type { OutboxRow, WebhookRow };

type Settlement = { status: 'sent' | 'pending' | 'failed'; subject: string; answer: string; next: number; at: number };

const reads = {
  *groups(): Work<{ name: string; members: string[] }[]> {
    return (yield* notifyTable.groups()).map((g) => ({ name: g.name, members: JSON.parse(g.members) as string[] }));
  },
  group: notifyTable.group,
  webhooks: notifyTable.webhooks,
  webhook: notifyTable.webhook,
  incidentOf: notifyTable.incident,
  list: notifyTable.list,
  /** Is a message due now? (a partial index: cheap enough after every run end) */
  hasDue: notifyTable.hasDue,
  unsettled: notifyTable.unsettled,
};

const writes = {
  *setGroup(name: string, members: string[], audit: NewAudit): Work<void> {
    yield* notifyTable.setGroup(name, members, audit.actor, audit.at ?? Date.now());
    yield* auditTable.add(audit);
  },

  *removeGroup(name: string, audit: NewAudit): Work<boolean> {
    const removed = yield* notifyTable.removeGroup(name);
    if (removed) yield* auditTable.add(audit);
    return removed;
  },

  *addWebhook(w: WebhookRow, audit: NewAudit): Work<void> {
    yield* notifyTable.addWebhook(w);
    yield* auditTable.add(audit);
  },

  *removeWebhook(name: string, audit: NewAudit): Work<boolean> {
    const removed = yield* notifyTable.removeWebhook(name);
    if (removed) yield* auditTable.add(audit);
    return removed;
  },

  /** Queues the follow-ups and the long-running notices that are due. */
  *followUps(now: number): Work<number> {
    return (yield* queueFollowUps(now)) + (yield* queueLongRunning(now)) + (yield* queueLockWaits(now));
  },

  /** Takes due messages for delivery (a lease: another process takes them over only once it runs out). */
  claim(owner: string, now: number, leaseMs: number, limit: number, channels: readonly NotifyChannel[]): Work<OutboxRow[]> {
    return notifyTable.claim(owner, now, now + leaseMs, limit, channels);
  },

  settle(id: number, owner: string, outcome: Settlement): Work<boolean> {
    return notifyTable.settle(id, owner, outcome);
  },
};

export const notifyPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type NotifyStore = Performed<typeof reads> & Performed<typeof writes>;
