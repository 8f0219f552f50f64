/** Notification intents: recipient groups, webhooks, follow-ups, and the outbox's delivery steps (each one transaction). */
import type { NotifyChannel } from '../../../shared/model/notify';
import type { NewAudit } from './tables/auditTable';
import type { OutboxRow, WebhookRow } from './tables/notifyTable';
import { queueFollowUps, queueLockWaits, queueLongRunning } from './notifyRules';
import type { Tables, Tx } from './tables';

export type { OutboxRow, WebhookRow };

export class NotifyStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  groups(): { name: string; members: string[] }[] {
    return this.t.notify.groups().map((g) => ({ name: g.name, members: JSON.parse(g.members) as string[] }));
  }

  group(name: string): string[] | undefined {
    return this.t.notify.group(name);
  }

  setGroup(name: string, members: string[], audit: NewAudit): void {
    this.tx(() => {
      this.t.notify.setGroup(name, members, audit.actor, audit.at ?? Date.now());
      this.t.audit.add(audit);
    });
  }

  removeGroup(name: string, audit: NewAudit): boolean {
    return this.tx(() => {
      const removed = this.t.notify.removeGroup(name);
      if (removed) this.t.audit.add(audit);
      return removed;
    });
  }

  webhooks(): WebhookRow[] {
    return this.t.notify.webhooks();
  }

  webhook(name: string): WebhookRow | undefined {
    return this.t.notify.webhook(name);
  }

  addWebhook(w: WebhookRow, audit: NewAudit): void {
    this.tx(() => {
      this.t.notify.addWebhook(w);
      this.t.audit.add(audit);
    });
  }

  removeWebhook(name: string, audit: NewAudit): boolean {
    return this.tx(() => {
      const removed = this.t.notify.removeWebhook(name);
      if (removed) this.t.audit.add(audit);
      return removed;
    });
  }

  incidentOf(jobId: number) {
    return this.t.notify.incident(jobId);
  }

  /** Queues the follow-ups and the long-running notices that are due. */
  followUps(now: number): number {
    return this.tx(() => queueFollowUps(this.t, now) + queueLongRunning(this.t, now) + queueLockWaits(this.t, now));
  }

  /** Takes due messages for delivery (a lease: another process takes them over only once it runs out). */
  claim(owner: string, now: number, leaseMs: number, limit: number, channels: readonly NotifyChannel[]): OutboxRow[] {
    return this.tx(() => this.t.notify.claim(owner, now, now + leaseMs, limit, channels));
  }

  settle(id: number, owner: string, outcome: Parameters<Tables['notify']['settle']>[2]): boolean {
    return this.tx(() => this.t.notify.settle(id, owner, outcome));
  }

  list(filter: { runId?: number; status?: string; channel?: string }, limit: number): OutboxRow[] {
    return this.t.notify.list(filter, limit);
  }

  /** Is a message due now? (a partial index: cheap enough after every run end) */
  hasDue(now: number): boolean {
    return this.t.notify.hasDue(now);
  }

  unsettled(): number {
    return this.t.notify.unsettled();
  }
}
