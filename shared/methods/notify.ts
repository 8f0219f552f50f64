/** The contract's calls on notifications: SMTP and templates, recipient groups, webhooks, test sends, the delivery log. */
import * as z from 'zod';
import {
  deliverySchema,
  NOTIFY_CHANNELS,
  OUTBOX_STATUSES,
  recipientGroupSchema,
  smtpSettingsSchema,
  WEBHOOK_STYLES,
  webhookSchema,
} from '../model/notify';
import { empty, id, limit, m, ok } from './common';

// Made when first used (z.lazy), as the schemas of answers: see run.ts.
const templatesSchema = z.lazy(() =>
  z.strictObject({
    subject: z.string().max(2000).optional(),
    text: z.string().max(50_000).optional(),
    html: z.string().max(100_000).optional(),
  }),
);

const settingsSchema = z.lazy(() =>
  z.object({
    /** Stored SMTP settings, the password in the URL replaced by ***. */
    smtp: z.object({ url: z.string(), from: z.string(), allowSelfSigned: z.boolean() }).nullable(),
    /** No stored settings, but JOBDECK_SMTP_URL is set (it is used). */
    smtpFromEnvironment: z.boolean(),
    publicUrl: z.string().nullable(),
    attachMaxBytes: z.number().int(),
    templates: templatesSchema,
  }),
);

const webhookName = z.lazy(() => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a webhook name uses letters, digits, _ . - (at most 64)'));

export const notifyMethods = {
  'notify.settings': m({
    summary: 'Notification settings: SMTP server (password hidden), console address for links, attachment limit, templates',
    role: 'admin',
    http: { method: 'GET', path: '/api/notify/settings' },
    input: () => empty,
    output: () => settingsSchema,
  }),
  'notify.configure': m({
    summary: 'Change notification settings (only the fields given; null clears)',
    role: 'superadmin',
    http: { method: 'PATCH', path: '/api/notify/settings' },
    input: () => z.strictObject({
      smtp: smtpSettingsSchema.nullable().optional(),
      publicUrl: z.string().url().max(2000).nullable().optional(),
      attachMaxBytes: z.number().int().min(0).max(50 * 1024 * 1024).optional(),
      templates: templatesSchema.nullable().optional(),
    }),
    output: () => settingsSchema,
  }),
  'notify.test': m({
    summary: "Send a test message now to an address or a webhook, and answer with the server's reply",
    role: 'admin',
    http: { method: 'POST', path: '/api/notify/test' },
    input: () => z
      .strictObject({ email: z.string().email().max(320).optional(), webhook: webhookName.optional() })
      .refine((v) => (v.email === undefined) !== (v.webhook === undefined), { message: 'give email or webhook', path: ['email'] }),
    output: () => z.object({ ok: z.boolean(), answer: z.string() }),
  }),
  'notify.jobList': m({
    summary: 'Email the list of jobs in next-execution order (disabled and archived last) with the JSON export attached',
    role: 'admin',
    http: { method: 'POST', path: '/api/notify/job-list' },
    input: () => z.strictObject({
      /** Addresses and group names. */
      to: z.array(z.string().trim().min(1).max(320)).min(1).max(50),
    }),
    output: () => z.object({ ok: z.boolean(), answer: z.string(), jobs: z.number().int(), to: z.array(z.string()) }),
  }),
  'notify.deliveries': m({
    summary: 'The delivery log: messages queued, sent, being retried or failed, newest first',
    role: 'viewer',
    http: { method: 'GET', path: '/api/notify/deliveries' },
    input: () => z.strictObject({ runId: id.optional(), status: z.enum(OUTBOX_STATUSES).optional(), channel: z.enum(NOTIFY_CHANNELS).optional(), limit: limit(1000).optional() }),
    output: () => z.array(deliverySchema),
  }),
  'recipients.list': m({
    summary: 'Recipient groups and their members',
    role: 'viewer',
    http: { method: 'GET', path: '/api/recipients' },
    input: () => empty,
    output: () => z.array(recipientGroupSchema),
  }),
  'recipients.set': m({
    summary: 'Create a recipient group or replace its members',
    role: 'admin',
    http: { method: 'POST', path: '/api/recipients' },
    input: () => recipientGroupSchema,
    output: () => recipientGroupSchema,
  }),
  'recipients.remove': m({
    summary: 'Remove a recipient group',
    role: 'admin',
    http: { method: 'DELETE', path: '/api/recipients/:name' },
    input: () => z.strictObject({ name: recipientGroupSchema.unwrap().shape.name }),
    output: () => ok,
  }),
  'webhooks.list': m({
    summary: 'Webhooks (without their secrets)',
    role: 'admin',
    http: { method: 'GET', path: '/api/webhooks' },
    input: () => empty,
    output: () => z.array(webhookSchema),
  }),
  'webhooks.add': m({
    summary: 'Add a webhook; its signing secret is shown once, in the answer',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/webhooks' },
    input: () => z.strictObject({
      name: webhookName,
      url: z
        .string()
        .url()
        .max(2000)
        .refine((u) => /^https?:\/\//.test(u), { message: 'a webhook URL is http:// or https://' }),
      style: z.enum(WEBHOOK_STYLES).optional(),
    }),
    output: () => z.object({ webhook: webhookSchema, secret: z.string() }),
  }),
  'webhooks.remove': m({
    summary: 'Remove a webhook',
    role: 'superadmin',
    http: { method: 'DELETE', path: '/api/webhooks/:name' },
    input: () => z.strictObject({ name: webhookName }),
    output: () => ok,
  }),
} as const;
