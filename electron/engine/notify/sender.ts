/**
 * Delivers the outbox: takes due messages under a lease (another process
 * sharing the folder takes them over only if this one dies), renders each
 * from what is stored about its run and job, sends it, and records the
 * server's answer. A failed attempt is retried with a growing delay (up to 8
 * attempts); a refusal a retry cannot cure fails at once. Runs never wait
 * for it: a dead SMTP server or webhook only grows the outbox. Also queues
 * the follow-ups of incidents that are still open.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { NotifyChannel, SmtpSettings } from '../../../shared/model/notify';
import type { Clock } from '../clock';
import type { DesktopNotice } from '../options';
import { outputDir } from '../paths';
import type { OutboxRow } from '../store/notifyStore';
import type { EngineStore as Store } from '../store/engineStore';
import { sendEmail, sendWebhook, webhookBody, type Answer, type Attachment } from './channels';
import { DEFAULT_TEMPLATES, render, type MessageEvent, type Templates } from './render';
import { coalesced } from '../coalesce';

export const SMTP_SETTING = 'notify.smtp';
export const PUBLIC_URL_SETTING = 'notify.publicUrl';
export const TEMPLATES_SETTING = 'notify.templates';
export const ATTACH_SETTING = 'notify.attachMaxBytes';

const ID_PREFIX_SETTING = 'notify.idPrefix';
const MAX_ATTEMPTS = 8;
const LEASE_MS = 120_000;
const PASS_MAX = 100;
/** The follow-ups chore, and how long a node keeps it without renewing (it renews on every pass). */
const FOLLOW_UPS_CHORE = 'notify.follow-ups';
const FOLLOW_UPS_LEASE_MS = 60_000;
const LOG_LINES = 20;
const ATTACH_DEFAULT = 5 * 1024 * 1024;

export interface SenderDeps {
  store: Store;
  clock: Clock;
  owner: string;
  dataDir: string;
  /** First retry delay (ms); each next one doubles, at most an hour. */
  retryMs: number;
  pollMs: number;
  env: NodeJS.ProcessEnv;
  /** How long an SMTP server may keep a message waiting at each step. */
  smtpTimeoutMs: number;
  /** Native notifications, in the desktop app only. */
  desktop?: (notice: DesktopNotice) => void;
  onError(err: unknown): void;
}

/** The SMTP settings in force: stored ones, else JOBDECK_SMTP_URL (with JOBDECK_SMTP_FROM). */
export async function smtpSettings(store: Store, env: NodeJS.ProcessEnv): Promise<SmtpSettings | null> {
  const stored = await store.settings.get<SmtpSettings | null>(SMTP_SETTING, null);
  if (stored) return stored;
  if (!env.JOBDECK_SMTP_URL) return null;
  return { url: env.JOBDECK_SMTP_URL, from: env.JOBDECK_SMTP_FROM || 'jobdeck@localhost', allowSelfSigned: env.JOBDECK_SMTP_ALLOW_SELF_SIGNED === '1' };
}

export class NotificationSender {
  private timer: NodeJS.Timeout | null = null;
  /** Whether the next pass makes follow-ups (a periodic tick asked for them). */
  private followUpsWanted = false;
  private closed = false;

  constructor(private readonly deps: SenderDeps) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.tick(), this.deps.pollMs);
    this.timer.unref();
  }

  /**
   * Looks at the outbox now, if anything is due (after a run end: cheap when it queued nothing).
   * Wakes during a look share the next one: a burst of run ends looks twice, not once each.
   */
  wake(): void {
    if (this.closed || !this.deps.store.isOpen) return;
    void this.look();
  }

  private readonly look = coalesced(async () => {
    if (this.closed || !this.deps.store.isOpen) return;
    try {
      if ((await this.deps.store.notify.hasDue(this.deps.clock.now())) && !this.closed) void this.tick(false);
    } catch (err) {
      if (!this.closed) this.deps.onError(err);
    }
  });

  /**
   * One pass: follow-ups due (periodic passes), then the due messages. Passes never overlap; a
   * tick asked for during one gets a pass after it (a message queued while a pass was finishing
   * does not wait for the next poll).
   */
  tick(followUps = true): Promise<void> {
    this.followUpsWanted ||= followUps;
    return this.passes();
  }

  private readonly passes = coalesced(async () => {
    const followUps = this.followUpsWanted;
    this.followUpsWanted = false;
    try {
      await this.pass(followUps);
    } catch (err) {
      this.deps.onError(err);
    }
  });

  private async pass(followUps: boolean): Promise<void> {
    const { store, clock } = this.deps;
    if (!store.isOpen) return;
    // Follow-ups are a cluster-wide chore: on a shared database one node at a time makes them (it keeps
    // the chore while it lives; another takes it over once its lease has run out).
    if (followUps && (store.backend === 'sqlite' || (await store.nodes.claimChore(FOLLOW_UPS_CHORE, this.deps.owner, FOLLOW_UPS_LEASE_MS)))) {
      await store.notify.followUps(clock.now());
    }
    // One message claimed at a time, just before it is sent: a slow server cannot outlast the
    // lease of messages waiting behind it (another process would then send them too).
    // Bounded: at most PASS_MAX per pass; the next pass goes on.
    for (let n = 0; n < PASS_MAX && !this.closed; n++) {
      const [row] = await store.notify.claim(this.deps.owner, clock.now(), LEASE_MS, 1, await this.channels());
      if (!row) return;
      await this.deliver(row);
    }
  }

  /**
   * What this process can deliver: email only with an SMTP server (another
   * process sharing the folder may have one in its environment), the
   * desktop only in the desktop app; the rest waits for a process that can.
   */
  private async channels(): Promise<NotifyChannel[]> {
    const out: NotifyChannel[] = ['webhook'];
    if (await smtpSettings(this.deps.store, this.deps.env)) out.push('email');
    if (this.deps.desktop) out.push('desktop');
    return out;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { store, clock } = this.deps;
    let subject = '';
    let answer: Answer;
    try {
      const built = await this.build(row);
      subject = built.subject;
      answer = await built.send();
    } catch (err) {
      answer = { ok: false, answer: (err as Error).message, permanent: true };
    }
    if (!store.isOpen) return;
    const attempts = row.attempts + 1;
    const now = clock.now();
    const status = answer.ok ? 'sent' : answer.permanent || attempts >= MAX_ATTEMPTS ? 'failed' : 'pending';
    const delay = Math.min(this.deps.retryMs * 2 ** (attempts - 1), 3_600_000);
    await store.notify.settle(row.id, this.deps.owner, { status, subject, answer: answer.answer, next: status === 'pending' ? now + delay : now, at: now });
  }

  /** Renders a message from what is stored now, and how to send it. */
  private async build(row: OutboxRow): Promise<{ subject: string; send(): Promise<Answer> }> {
    const { store } = this.deps;
    const run = row.run_id !== null ? ((await store.runs.get(row.run_id)) ?? null) : null;
    const job = row.job_id !== null ? ((await store.jobs.get(row.job_id)) ?? null) : null;
    const incident = row.job_id !== null && (row.event === 'still-failing' || row.event === 'failure') ? ((await store.notify.incidentOf(row.job_id)) ?? null) : null;
    const log = run ? await store.logs.tail(run.id, LOG_LINES) : [];
    const publicUrl = (await store.settings.get<string | null>(PUBLIC_URL_SETTING, null)) ?? this.deps.env.JOBDECK_PUBLIC_URL ?? null;
    const templates = { ...DEFAULT_TEMPLATES, ...(await store.settings.get<Partial<Templates>>(TEMPLATES_SETTING, {})) };
    const msg = render(templates, { event: row.event as MessageEvent, attach: row.attach, detail: row.detail, job, run, incident, log, publicUrl });
    const id = `msg_${await this.idPrefix()}${row.id}`;
    if (row.channel === 'desktop') {
      const show = this.deps.desktop!;
      const body = [run?.error, msg.text.split('\n')[0]].filter(Boolean).join('\n').slice(0, 300);
      return {
        subject: msg.subject,
        send: async () => {
          show({ title: msg.subject.replace(/^\[Jobdeck\] /, ''), body, runId: row.run_id });
          return { ok: true, answer: 'shown on the desktop', permanent: false };
        },
      };
    }
    if (row.channel === 'webhook') {
      const hook = await store.notify.webhook(row.target);
      if (!hook) throw new Error(`no webhook is named "${row.target}"`);
      const facts = { event: row.event, jobId: row.job_id, jobName: job?.name ?? null, runId: row.run_id, status: run?.status ?? null, error: run?.error ?? null };
      const body = webhookBody(hook.style, { subject: msg.subject, text: msg.text, facts });
      return { subject: msg.subject, send: () => sendWebhook(hook, { id, body, at: new Date() }) };
    }
    if (!row.target.includes('@')) throw new Error(`"${row.target}" is neither an email address nor a recipient group`);
    const smtp = await smtpSettings(store, this.deps.env);
    if (!smtp) throw new Error('no SMTP server is configured (jobdeck notify smtp URL, or JOBDECK_SMTP_URL)');
    const attachments = run && job ? await this.attachments(job.id, run.id, row.attach) : [];
    return {
      subject: msg.subject,
      send: () => sendEmail(smtp, { id, to: row.target, subject: msg.subject, text: msg.text, html: msg.html, attachments }, this.deps.smtpTimeoutMs),
    };
  }

  /** The run's result files up to the size limit (larger ones are left for the link). */
  private async attachments(jobId: number, runId: number, only: string | null): Promise<Attachment[]> {
    const max = await this.deps.store.settings.get<number>(ATTACH_SETTING, ATTACH_DEFAULT);
    const dir = outputDir(this.deps.dataDir, jobId, runId);
    const out: Attachment[] = [];
    let total = 0;
    for (const f of await this.deps.store.runs.files(runId)) {
      if (only !== null && f.name !== only) continue;
      const path = join(dir, f.name);
      if (total + f.size > max || !existsSync(path) || !statSync(path).isFile()) continue;
      total += f.size;
      out.push({ filename: f.name.split('/').pop()!, path });
    }
    return out;
  }

  /** Message ids are unique per data folder: a random prefix made once keeps two folders' ids apart. */
  private async idPrefix(): Promise<string> {
    const { settings } = this.deps.store;
    let prefix = await settings.get<string | null>(ID_PREFIX_SETTING, null);
    if (!prefix) {
      prefix = `${randomBytes(6).toString('hex')}_`;
      await settings.set(ID_PREFIX_SETTING, prefix);
    }
    return prefix;
  }

  /** Delivers what is due now (a closing CLI sends the messages its runs caused), for at most timeoutMs. */
  async drain(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await Promise.race([this.tick(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
