/** Notification settings, recipient groups, webhooks, test sends and the delivery log. */
import { randomBytes } from 'node:crypto';
import type { CallContext, ParsedInput } from '../../../shared/contract';
import { iso } from '../../../shared/dates';
import { JobdeckError, notFound } from '../../../shared/errors';
import type { JobSummary } from '../../../shared/model/job';
import { isEmailAddress, type Delivery, type RecipientGroup, type SmtpSettings, type WebhookInfo } from '../../../shared/model/notify';
import { jobListReport } from '../notify/jobListReport';
import type { Clock } from '../clock';
import { newWebhookSecret, sendEmail, sendWebhook, webhookBody } from '../notify/channels';
import { DEFAULT_TEMPLATES, render, type Templates } from '../notify/render';
import { ATTACH_SETTING, PUBLIC_URL_SETTING, SMTP_SETTING, smtpSettings, TEMPLATES_SETTING } from '../notify/sender';
import type { OutboxRow, WebhookRow } from '../store/notifyStore';
import type { EngineStore as Store } from '../store/engineStore';

const ATTACH_DEFAULT = 5 * 1024 * 1024;

/** An SMTP URL as shown: its password replaced. */
const maskUrl = (url: string): string => url.replace(/^(smtps?:\/\/[^:/@]+:)[^@]*@/, '$1***@');

const toWebhook = (w: WebhookRow): WebhookInfo => ({ name: w.name, url: w.url, style: w.style, createdAt: iso(w.created_at)! });

const toDelivery = (r: OutboxRow): Delivery => ({
  id: r.id,
  event: r.event,
  jobId: r.job_id,
  runId: r.run_id,
  channel: r.channel,
  target: r.target,
  subject: r.subject,
  status: r.status,
  attempts: r.attempts,
  createdAt: iso(r.created_at)!,
  nextAttemptAt: r.status === 'pending' ? iso(r.next_at) : null,
  sentAt: iso(r.sent_at),
  answer: r.answer,
});

export class NotifyService {
  constructor(private readonly deps: { store: Store; clock: Clock; env: NodeJS.ProcessEnv; wake(): void }) {}

  async settings() {
    const { store, env } = this.deps;
    const smtp = await store.settings.get<SmtpSettings | null>(SMTP_SETTING, null);
    return {
      smtp: smtp ? { url: maskUrl(smtp.url), from: smtp.from, allowSelfSigned: smtp.allowSelfSigned ?? false } : null,
      smtpFromEnvironment: !smtp && Boolean(env.JOBDECK_SMTP_URL),
      publicUrl: await store.settings.get<string | null>(PUBLIC_URL_SETTING, null),
      attachMaxBytes: await store.settings.get<number>(ATTACH_SETTING, ATTACH_DEFAULT),
      templates: await store.settings.get<Partial<Templates>>(TEMPLATES_SETTING, {}),
    };
  }

  async configure(input: ParsedInput<'notify.configure'>, ctx: CallContext) {
    const { store, clock } = this.deps;
    const audit = (what: string) => ({ at: clock.now(), actor: ctx.actor, action: 'notify.configure', targetType: 'notify' as const, targetName: what });
    if (input.templates) {
      // A template that does not render is refused now, not found out when a job fails.
      const probe = { ...DEFAULT_TEMPLATES, ...input.templates };
      for (const [key, value] of Object.entries(input.templates)) {
        if (value === undefined) continue;
        const out = render({ ...probe, [key]: value }, { event: 'test', job: null, run: null, incident: null, log: [], publicUrl: null });
        const rendered = key === 'subject' ? out.subject : key === 'text' ? out.text : out.html;
        if (rendered.includes('the template could not be rendered')) throw new JobdeckError('VALIDATION_FAILED', `templates.${key}: ${rendered}`, `templates.${key}`);
      }
    }
    if (input.smtp !== undefined) await store.settings.set(SMTP_SETTING, input.smtp ? await this.keepPassword(input.smtp) : null, audit('smtp'));
    if (input.publicUrl !== undefined) await store.settings.set(PUBLIC_URL_SETTING, input.publicUrl, audit('publicUrl'));
    if (input.attachMaxBytes !== undefined) await store.settings.set(ATTACH_SETTING, input.attachMaxBytes, audit('attachMaxBytes'));
    if (input.templates !== undefined) await store.settings.set(TEMPLATES_SETTING, input.templates ?? {}, audit('templates'));
    return this.settings();
  }

  /**
   * A URL given back as shown (its password ***) keeps the stored password,
   * when user and server are the same: the from-address can be changed
   * without typing the password again.
   */
  private async keepPassword(smtp: SmtpSettings): Promise<SmtpSettings> {
    const stored = await this.deps.store.settings.get<SmtpSettings | null>(SMTP_SETTING, null);
    if (!stored || !smtp.url.includes(':***@')) return smtp;
    if (maskUrl(stored.url) !== smtp.url) {
      throw new JobdeckError('VALIDATION_FAILED', 'smtp.url: give the password (*** stands for the stored one only with the same user and server)', 'smtp.url');
    }
    return { ...smtp, url: stored.url };
  }

  /** Sends a test message at once (not through the outbox) and answers with what the server said. */
  async test(input: ParsedInput<'notify.test'>): Promise<{ ok: boolean; answer: string }> {
    const { store, env } = this.deps;
    const msg = render({ ...DEFAULT_TEMPLATES, ...(await store.settings.get<Partial<Templates>>(TEMPLATES_SETTING, {})) }, {
      event: 'test',
      job: null,
      run: null,
      incident: null,
      log: [],
      publicUrl: (await store.settings.get<string | null>(PUBLIC_URL_SETTING, null)) ?? env.JOBDECK_PUBLIC_URL ?? null,
    });
    const id = `msg_test_${randomBytes(8).toString('hex')}`;
    if (input.webhook !== undefined) {
      const hook = await store.notify.webhook(input.webhook);
      if (!hook) throw notFound('webhook', input.webhook, 'webhook');
      const answer = await sendWebhook(hook, { id, body: webhookBody(hook.style, { subject: msg.subject, text: msg.text, facts: { event: 'test' } }), at: new Date() });
      return { ok: answer.ok, answer: answer.answer };
    }
    const smtp = await smtpSettings(store, env);
    if (!smtp) throw new JobdeckError('INVALID_STATE', 'no SMTP server is configured: set one (jobdeck notify smtp URL --from ADDRESS) or JOBDECK_SMTP_URL', 'email');
    const answer = await sendEmail(smtp, { id, to: input.email!, subject: msg.subject, text: msg.text, html: msg.html, attachments: [] });
    return { ok: answer.ok, answer: answer.answer };
  }

  /** Mails the job-list report now to addresses and groups (expanded), the JSON export attached. */
  async jobList(to: readonly string[], jobs: readonly JobSummary[], exported: unknown): Promise<{ ok: boolean; answer: string; jobs: number; to: string[] }> {
    const { store, env } = this.deps;
    const addresses = new Set<string>();
    for (const target of to) {
      if (isEmailAddress(target)) addresses.add(target);
      else {
        const members = await store.notify.group(target);
        if (!members) throw new JobdeckError('NOT_FOUND', `to: "${target}" is neither an email address nor a recipient group`, 'to');
        for (const m of members) if (isEmailAddress(m)) addresses.add(m);
      }
    }
    if (addresses.size === 0) throw new JobdeckError('VALIDATION_FAILED', 'to: the groups given have no email addresses', 'to');
    const smtp = await smtpSettings(store, env);
    if (!smtp) throw new JobdeckError('INVALID_STATE', 'no SMTP server is configured: set one (jobdeck notify smtp URL --from ADDRESS) or JOBDECK_SMTP_URL', 'to');
    const report = jobListReport(jobs);
    const answer = await sendEmail(smtp, {
      id: `msg_joblist_${randomBytes(8).toString('hex')}`,
      to: [...addresses].join(', '),
      ...report,
      attachments: [{ filename: 'jobs-export.json', content: `${JSON.stringify(exported, null, 2)}\n`, contentType: 'application/json' }],
    });
    return { ok: answer.ok, answer: answer.answer, jobs: jobs.length, to: [...addresses] };
  }

  async deliveries(input: ParsedInput<'notify.deliveries'>): Promise<Delivery[]> {
    return (await this.deps.store.notify.list({ runId: input.runId, status: input.status, channel: input.channel }, input.limit ?? 100)).map(toDelivery);
  }

  groups(): Promise<RecipientGroup[]> {
    return this.deps.store.notify.groups();
  }

  async setGroup(group: RecipientGroup, ctx: CallContext): Promise<RecipientGroup> {
    const members = [...new Set(group.members)];
    await this.deps.store.notify.setGroup(group.name, members, {
      at: this.deps.clock.now(),
      actor: ctx.actor,
      action: 'recipients.set',
      targetType: 'notify',
      targetName: group.name,
      details: { members },
    });
    return { name: group.name, members };
  }

  async removeGroup(name: string, ctx: CallContext): Promise<void> {
    const removed = await this.deps.store.notify.removeGroup(name, { at: this.deps.clock.now(), actor: ctx.actor, action: 'recipients.remove', targetType: 'notify', targetName: name });
    if (!removed) throw notFound('recipient group', name, 'name');
  }

  async webhooks(): Promise<WebhookInfo[]> {
    return (await this.deps.store.notify.webhooks()).map(toWebhook);
  }

  async addWebhook(input: ParsedInput<'webhooks.add'>, ctx: CallContext): Promise<{ webhook: WebhookInfo; secret: string }> {
    const { store, clock } = this.deps;
    if (await store.notify.webhook(input.name)) throw new JobdeckError('NAME_TAKEN', `a webhook is already named "${input.name}"`, 'name');
    const row: WebhookRow = { name: input.name, url: input.url, style: input.style ?? 'json', secret: newWebhookSecret(randomBytes(32)), created_at: clock.now(), created_by: ctx.actor };
    await store.notify.addWebhook(row, { at: row.created_at, actor: ctx.actor, action: 'webhooks.add', targetType: 'notify', targetName: input.name, details: { url: input.url, style: row.style } });
    return { webhook: toWebhook(row), secret: row.secret };
  }

  async removeWebhook(name: string, ctx: CallContext): Promise<void> {
    const removed = await this.deps.store.notify.removeWebhook(name, { at: this.deps.clock.now(), actor: ctx.actor, action: 'webhooks.remove', targetType: 'notify', targetName: name });
    if (!removed) throw notFound('webhook', name, 'name');
  }
}
