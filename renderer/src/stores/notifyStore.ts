/**
 * The Notifications screen: SMTP settings and the console address, test
 * sends, recipient groups, webhooks and the delivery log; and one run's
 * deliveries for its page. Every action calls the client, then updates state;
 * a refusal that names a field comes back as that field's message.
 */
import { create } from 'zustand';
import type { Delivery, NotifyChannel, RecipientGroup, WebhookInfo } from '../../../shared/model/notify';
import { OUTBOX_STATUSES } from '../../../shared/model/notify';
import type { Role } from '../../../shared/model/misc';
import { errorText, fieldErrors } from '../lib/errors';
import { client, connectionSelectors, useConnectionStore } from './connectionStore';
import { toast } from './toastStore';

export type DeliveryStatus = (typeof OUTBOX_STATUSES)[number];

export interface NotifySettings {
  smtp: { url: string; from: string; allowSelfSigned: boolean } | null;
  smtpFromEnvironment: boolean;
  publicUrl: string | null;
  attachMaxBytes: number;
}

/** What a test send answered, for the target it was sent to ("email" or "webhook:NAME"). */
export interface TestAnswer {
  target: string;
  ok: boolean;
  answer: string;
}

/** The sections of the screen that can fail on their own. */
export type Section = 'settings' | 'test' | 'groups' | 'webhooks' | 'deliveries';

interface State {
  settings: NotifySettings | null;
  groups: RecipientGroup[];
  webhooks: WebhookInfo[];
  deliveries: Delivery[];
  status: DeliveryStatus | '';
  /** The delivery log's channel filter ('' for all). */
  channel: NotifyChannel | '';
  /** Per section, a message that is not about one field. */
  errors: Partial<Record<Section, string>>;
  /** Per section, messages by field ("smtp.url", "name", "members.1", …). */
  fields: Partial<Record<Section, Record<string, string>>>;
  tests: Record<string, TestAnswer>;
  busy: Partial<Record<string, boolean>>;
  /** The secret of the webhook just added: shown once. */
  secret: { name: string; secret: string } | null;
  /** One run's deliveries, for its page. */
  run: { runId: number; items: Delivery[] } | null;

  /** Everything the signed-in user may read. */
  load(): Promise<void>;
  loadDeliveries(): Promise<void>;
  setStatus(status: DeliveryStatus | ''): Promise<void>;
  setChannel(channel: NotifyChannel | ''): Promise<void>;
  saveSmtp(input: { url: string; from: string; allowSelfSigned: boolean } | null): Promise<boolean>;
  savePublicUrl(url: string): Promise<boolean>;
  test(target: { email: string } | { webhook: string }): Promise<void>;
  setGroup(name: string, members: string[]): Promise<boolean>;
  removeGroup(name: string): Promise<void>;
  addWebhook(input: { name: string; url: string; style: WebhookInfo['style'] }): Promise<boolean>;
  removeWebhook(name: string): Promise<void>;
  forgetSecret(): void;
  /** Groups (and, for admins, webhooks): what the job editor suggests as targets. */
  loadTargets(): Promise<void>;
  loadRun(runId: number): Promise<void>;
  closeRun(): void;
}

const can = (role: Role) => connectionSelectors.can(role)(useConnectionStore.getState());

export { splitList } from '../lib/list';

/** Bumped by every run-deliveries read and close: answers for a run no longer shown are dropped. */
let runSeq = 0;

export const useNotifyStore = create<State>()((set, get) => {
  /** Run an action of a section: clear its messages, keep field errors on a refusal. */
  async function act<T>(section: Section, key: string, fn: () => Promise<T>): Promise<T | undefined> {
    set({ busy: { ...get().busy, [key]: true }, errors: { ...get().errors, [section]: undefined }, fields: { ...get().fields, [section]: {} } });
    try {
      return await fn();
    } catch (err) {
      const fields = fieldErrors(err);
      if (Object.keys(fields).length) set({ fields: { ...get().fields, [section]: fields } });
      else set({ errors: { ...get().errors, [section]: errorText(err) } });
      return undefined;
    } finally {
      set({ busy: { ...get().busy, [key]: false } });
    }
  }

  return {
    settings: null,
    groups: [],
    webhooks: [],
    deliveries: [],
    status: '',
    channel: '',
    errors: {},
    fields: {},
    tests: {},
    busy: {},
    secret: null,
    run: null,

    async load() {
      // A fresh visit: answers, refusals and a secret from an earlier one are not shown again.
      set({ tests: {}, fields: {}, errors: {}, secret: null });
      const admin = can('admin');
      const c = client();
      const read = async <T>(section: Section, fn: () => Promise<T>, apply: (v: T) => void) => {
        try {
          apply(await fn());
          set({ errors: { ...get().errors, [section]: undefined } });
        } catch (err) {
          set({ errors: { ...get().errors, [section]: errorText(err) } });
        }
      };
      await Promise.all([
        admin ? read('settings', () => c.call('notify.settings', {}), (settings) => set({ settings })) : Promise.resolve(),
        admin ? read('webhooks', () => c.call('webhooks.list', {}), (webhooks) => set({ webhooks })) : Promise.resolve(),
        read('groups', () => c.call('recipients.list', {}), (groups) => set({ groups })),
        get().loadDeliveries(),
      ]);
    },

    async loadDeliveries() {
      const { status, channel } = get();
      set({ busy: { ...get().busy, deliveries: true } });
      try {
        const deliveries = await client().call('notify.deliveries', { status: status || undefined, channel: channel || undefined, limit: 200 });
        // Another filter was chosen meanwhile: its own read will answer.
        if (get().status === status && get().channel === channel) set({ deliveries, errors: { ...get().errors, deliveries: undefined } });
      } catch (err) {
        set({ errors: { ...get().errors, deliveries: errorText(err) } });
      } finally {
        set({ busy: { ...get().busy, deliveries: false } });
      }
    },

    async setStatus(status) {
      set({ status });
      await get().loadDeliveries();
    },

    async setChannel(channel) {
      set({ channel });
      await get().loadDeliveries();
    },

    async saveSmtp(input) {
      const settings = await act('settings', 'smtp', () => client().call('notify.configure', { smtp: input }));
      if (!settings) return false;
      set({ settings });
      toast.success(input ? 'SMTP settings saved' : 'SMTP settings cleared');
      return true;
    },

    async savePublicUrl(url) {
      const trimmed = url.trim();
      const settings = await act('settings', 'publicUrl', () => client().call('notify.configure', { publicUrl: trimmed === '' ? null : trimmed }));
      if (!settings) return false;
      set({ settings });
      toast.success(trimmed ? 'Console address saved' : 'Console address cleared');
      return true;
    },

    async test(target) {
      const key = 'email' in target ? 'email' : `webhook:${target.webhook}`;
      const input = 'email' in target ? { email: target.email.trim() } : { webhook: target.webhook };
      const { [key]: _old, ...rest } = get().tests;
      set({ tests: rest });
      const answer = await act('test', `test:${key}`, () => client().call('notify.test', input));
      if (answer) set({ tests: { ...get().tests, [key]: { target: key, ...answer } } });
    },

    async setGroup(name, members) {
      const saved = await act('groups', `group:${name}`, () => client().call('recipients.set', { name: name.trim(), members }));
      if (!saved) return false;
      const groups = get().groups.filter((g) => g.name !== saved.name);
      set({ groups: [...groups, saved].sort((a, b) => a.name.localeCompare(b.name)) });
      toast.success(`Saved group ${saved.name}`);
      return true;
    },

    async removeGroup(name) {
      const done = await act('groups', `group:${name}`, () => client().call('recipients.remove', { name }));
      if (!done) return;
      set({ groups: get().groups.filter((g) => g.name !== name) });
      toast.success(`Removed group ${name}`);
    },

    async addWebhook(input) {
      const added = await act('webhooks', 'webhook:add', () => client().call('webhooks.add', { name: input.name.trim(), url: input.url.trim(), style: input.style }));
      if (!added) return false;
      set({
        webhooks: [...get().webhooks.filter((w) => w.name !== added.webhook.name), added.webhook].sort((a, b) => a.name.localeCompare(b.name)),
        secret: { name: added.webhook.name, secret: added.secret },
      });
      return true;
    },

    async removeWebhook(name) {
      const done = await act('webhooks', `webhook:${name}`, () => client().call('webhooks.remove', { name }));
      if (!done) return;
      set({ webhooks: get().webhooks.filter((w) => w.name !== name), secret: get().secret?.name === name ? null : get().secret });
      toast.success(`Removed webhook ${name}`);
    },

    async loadTargets() {
      const c = client();
      const [groups, webhooks] = await Promise.all([
        c.call('recipients.list', {}).catch(() => null),
        can('admin') ? c.call('webhooks.list', {}).catch(() => null) : Promise.resolve(null),
      ]);
      set({ ...(groups ? { groups } : {}), ...(webhooks ? { webhooks } : {}) });
    },

    forgetSecret() {
      set({ secret: null });
    },

    async loadRun(runId) {
      const seq = ++runSeq;
      try {
        const items = await client().call('notify.deliveries', { runId, limit: 100 });
        if (seq === runSeq) set({ run: { runId, items } });
      } catch {
        // The panel is a side note of the run's page: it stays hidden when the log cannot be read.
        if (seq === runSeq) set({ run: { runId, items: [] } });
      }
    },

    closeRun() {
      runSeq++;
      set({ run: null });
    },
  };
});

export const notifySelectors = {
  /** The run's deliveries, only once read for that run. */
  runDeliveries: (runId: number) => (s: State) => (s.run?.runId === runId ? s.run.items : null),
  /** Is a delivery still on its way (queued, being sent)? */
  inFlight: (items: Delivery[]) => items.some((d) => d.status === 'pending' || d.status === 'sending'),
};
