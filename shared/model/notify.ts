/**
 * Notifications: who hears of what. A job's rules name, per event, the
 * targets to tell: a recipient group's name, an email address, or a
 * webhook (`webhook:NAME`). Messages go through an outbox written in the
 * same transaction as the run end that caused them, and are delivered with
 * retries; the outbox is the delivery log.
 */
import * as z from 'zod';
import '../zodErrors';
import { isoTime } from './time';

export const NOTIFY_CHANNELS = ['email', 'webhook', 'desktop'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

export const NOTIFY_EVENTS = ['failure', 'success', 'recovery', 'still-failing', 'interrupted', 'long-running', 'missed', 'lock-held'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

const EMAIL = /^[^\s@,;<>"]{1,64}@[^\s@,;<>"]{1,255}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const WEBHOOK_PREFIX = 'webhook:';
/** The desktop app's native notifications (shown by the desktop app sharing the folder). */
export const DESKTOP_TARGET = 'desktop';

export const isEmailAddress = (s: string): boolean => EMAIL.test(s);

/** A target: a group name, an email address, or webhook:NAME. */
export const notifyTargetSchema = z
  .string()
  .trim()
  .min(1)
  .max(320)
  .refine((t) => EMAIL.test(t) || GROUP_NAME.test(t) || (t.startsWith(WEBHOOK_PREFIX) && GROUP_NAME.test(t.slice(WEBHOOK_PREFIX.length))), {
    message: 'a target is a group name, an email address, webhook:NAME, or desktop',
  });

export const notifySchema = z.strictObject({
  /** Per event, the targets to tell. */
  rules: z.array(z.strictObject({ event: z.enum(NOTIFY_EVENTS), to: z.array(notifyTargetSchema).min(1).max(20) })).max(20),
  /** Failures in a row before the first alert (default 1). */
  afterFailures: z.number().int().min(1).max(100).default(1),
  /** Hours between still-failing follow-ups while the failure lasts (default 1; 0: none). */
  followUpHours: z.number().min(0).max(24 * 7).default(1),
  /** Also a still-failing follow-up every N failed runs while it lasts (default: none). */
  followUpRuns: z.number().int().min(1).max(1000).optional(),
  /**
   * When a run counts as long-running: over `seconds`, or over `factor` times
   * the median of the job's last 20 successful runs (once it has 3), whichever
   * comes first. Default: 3 times the median.
   */
  longRunning: z
    .strictObject({ seconds: z.number().int().min(1).max(30 * 24 * 3600).optional(), factor: z.number().min(1.1).max(100).optional() })
    .optional(),
  /** A run that has waited this many minutes for its lock (held by another run) is a `lock-held` notice (default 30). */
  lockWaitMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
});
export type NotifyRules = z.infer<typeof notifySchema>;

// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const recipientGroupSchema = z.lazy(() =>
  z.strictObject({
    name: z.string().regex(GROUP_NAME, 'a group name uses letters, digits, _ . - (at most 64)'),
    /** Email addresses and webhook:NAME references. */
    members: z
      .array(
        z
          .string()
          .trim()
          .refine((m) => EMAIL.test(m) || m.startsWith(WEBHOOK_PREFIX) || m === DESKTOP_TARGET, { message: 'a member is an email address, webhook:NAME or desktop' }),
      )
      .max(200),
  }),
);
export type RecipientGroup = z.infer<typeof recipientGroupSchema>;

export const WEBHOOK_STYLES = ['json', 'slack', 'teams'] as const;

export const webhookSchema = z.lazy(() =>
  z.object({
    name: z.string(),
    url: z.string(),
    style: z.enum(WEBHOOK_STYLES),
    createdAt: isoTime,
  }),
);
export type WebhookInfo = z.infer<typeof webhookSchema>;

/** SMTP settings: a URL (smtp://user:pass@host:587, smtps://… for TLS from the start) and the sender's address. */
export const smtpSettingsSchema = z.lazy(() =>
  z.strictObject({
    url: z
      .string()
      .max(2000)
      .refine((u) => /^smtps?:\/\/[^/\s]+/.test(u), { message: 'the SMTP URL looks like smtp://user:password@host:587 or smtps://host:465' }),
    from: z.string().trim().min(3).max(320),
    /** Accept a server certificate that is self-signed (test servers). */
    allowSelfSigned: z.boolean().optional(),
  }),
);
export type SmtpSettings = z.infer<typeof smtpSettingsSchema>;

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;

export const deliverySchema = z.lazy(() =>
  z.object({
    id: z.number().int(),
    event: z.string(),
    jobId: z.number().int().nullable(),
    runId: z.number().int().nullable(),
    channel: z.enum(NOTIFY_CHANNELS),
    target: z.string(),
    subject: z.string(),
    status: z.enum(OUTBOX_STATUSES),
    attempts: z.number().int(),
    createdAt: isoTime,
    nextAttemptAt: isoTime.nullable(),
    sentAt: isoTime.nullable(),
    /** The server's last answer (the accepted reply, or why it failed). */
    answer: z.string().nullable(),
  }),
);
export type Delivery = z.infer<typeof deliverySchema>;
