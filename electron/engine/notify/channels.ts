/**
 * Delivering one message: email over SMTP (nodemailer, with timeouts so a
 * stalled server cannot hold a sender), or a webhook POST signed the
 * Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature:
 * HMAC-SHA256 with the webhook's secret; the `standardwebhooks` package).
 * Each answer is what the server said; `permanent` marks refusals a retry
 * cannot cure (a 5xx SMTP reply, a 4xx HTTP status but 408 and 429).
 */
import type { Transporter } from 'nodemailer';
import { lazyPackage } from '../lazyPackage';
import type { SmtpSettings } from '../../../shared/model/notify';

export interface Answer {
  ok: boolean;
  /** What the server answered (its reply line, or the error). */
  answer: string;
  permanent: boolean;
}

export type Attachment = { filename: string; path: string } | { filename: string; content: string; contentType: string };

/** How long an SMTP server may keep a message waiting at each step (connect, greeting, each reply), by default. */
export const SMTP_TIMEOUT_MS = 20_000;
const WEBHOOK_TIMEOUT_MS = 10_000;
const ANSWER_MAX = 500;

const nodemailer = lazyPackage<typeof import('nodemailer')>('nodemailer');
const standardWebhooks = lazyPackage<typeof import('standardwebhooks')>('standardwebhooks');

const clip = (s: string) => (s.length > ANSWER_MAX ? `${s.slice(0, ANSWER_MAX)}…` : s);

/** One transport per SMTP configuration (connections are not pooled: messages are few). */
const transports = new Map<string, Transporter>();

function transportFor(smtp: SmtpSettings, smtpTimeoutMs: number): Transporter {
  const key = `${smtpTimeoutMs}:${JSON.stringify(smtp)}`;
  let t = transports.get(key);
  if (!t) {
    const { createTransport } = nodemailer();
    t = createTransport({
      url: smtp.url,
      connectionTimeout: smtpTimeoutMs,
      greetingTimeout: smtpTimeoutMs,
      socketTimeout: smtpTimeoutMs,
      tls: smtp.allowSelfSigned ? { rejectUnauthorized: false } : undefined,
    } as Parameters<typeof createTransport>[0]);
    if (transports.size > 20) transports.clear();
    transports.set(key, t);
  }
  return t;
}

export async function sendEmail(
  smtp: SmtpSettings,
  message: { id: string; to: string; subject: string; text: string; html: string; attachments: Attachment[] },
  timeoutMs = SMTP_TIMEOUT_MS,
): Promise<Answer> {
  try {
    const info = (await transportFor(smtp, timeoutMs).sendMail({
      from: smtp.from,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments,
      // The same message keeps the same id: a receiver can tell a re-delivery after a crash.
      messageId: `<${message.id}@jobdeck>`,
    })) as { response?: string };
    return { ok: true, answer: clip(info.response ?? 'accepted'), permanent: false };
  } catch (err) {
    const e = err as Error & { responseCode?: number; response?: string; code?: string };
    const answer = clip(e.response ?? `${e.code ? `${e.code}: ` : ''}${e.message}`);
    return { ok: false, answer, permanent: typeof e.responseCode === 'number' && e.responseCode >= 500 };
  }
}

/** The body a webhook of this style receives. */
export function webhookBody(style: 'json' | 'slack' | 'teams', m: { subject: string; text: string; facts: Record<string, unknown> }): string {
  if (style === 'slack') return JSON.stringify({ text: `*${m.subject}*\n${m.text}` });
  if (style === 'teams') return JSON.stringify({ '@type': 'MessageCard', '@context': 'https://schema.org/extensions', summary: m.subject, title: m.subject, text: m.text.replace(/\n/g, '\n\n') });
  return JSON.stringify({ type: 'jobdeck.notification', subject: m.subject, text: m.text, ...m.facts });
}

export async function sendWebhook(hook: { url: string; secret: string }, message: { id: string; body: string; at: Date }): Promise<Answer> {
  const signature = new (standardWebhooks().Webhook)(hook.secret).sign(message.id, message.at, message.body);
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(message.at.getTime() / 1000)),
        'webhook-signature': signature,
        'user-agent': 'Jobdeck',
      },
      body: message.body,
      redirect: 'error',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    const text = (await res.text().catch(() => '')).slice(0, 200);
    const answer = clip(`HTTP ${res.status}${text ? `: ${text}` : ''}`);
    if (res.ok) return { ok: true, answer, permanent: false };
    return { ok: false, answer, permanent: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 };
  } catch (err) {
    return { ok: false, answer: clip(fetchProblem(err as Parameters<typeof fetchProblem>[0])), permanent: false };
  }
}

/** Why a request did not get an answer, from the cause fetch wraps ("fetch failed" says nothing). */
function fetchProblem(e: Error & { cause?: Error & { code?: string; errors?: (Error & { code?: string })[] } }): string {
  if (e.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  const cause = e.cause?.errors?.[0] ?? e.cause;
  if (!cause) return e.message;
  return cause.code ? `${cause.code}: ${cause.message}` : cause.message || e.message;
}

/** A new webhook secret in the Standard Webhooks form (whsec_ + base64 of 32 random bytes). */
export function newWebhookSecret(random: Buffer): string {
  return `whsec_${random.toString('base64')}`;
}
