/** Statements on recipient groups, webhooks, incidents and the outbox. Only the store's intents call the writing ones. */
import type { NotifyChannel } from '../../../../shared/model/notify';
import type { Db } from '../database';
import { StatementCache } from '../statements';

export interface OutboxRow {
  id: number;
  created_at: number;
  event: string;
  job_id: number | null;
  run_id: number | null;
  channel: NotifyChannel;
  target: string;
  /** A `report` message: the result file it carries. */
  attach: string | null;
  /** Words about what happened, for messages that have no run (a missed fire). */
  detail: string | null;
  subject: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  next_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  answer: string | null;
  sent_at: number | null;
  dedupe: string;
}

export interface IncidentRow {
  job_id: number;
  opened_at: number;
  failures: number;
  notified: number;
  last_notice_at: number | null;
  follow_ups: number;
  last_run_id: number | null;
}

export interface WebhookRow {
  name: string;
  url: string;
  style: 'json' | 'slack' | 'teams';
  secret: string;
  created_at: number;
  created_by: string;
}

export type NewOutbox = Pick<OutboxRow, 'event' | 'job_id' | 'run_id' | 'channel' | 'target' | 'dedupe'> & { attach?: string | null; detail?: string | null };

export class NotifyTable {
  private readonly q: StatementCache;

  constructor(db: Db) {
    this.q = new StatementCache(db);
  }

  // ----- groups and webhooks -----

  groups(): { name: string; members: string }[] {
    return this.q.get('SELECT name, members FROM recipient_groups ORDER BY name').all() as { name: string; members: string }[];
  }

  group(name: string): string[] | undefined {
    const row = this.q.get('SELECT members FROM recipient_groups WHERE name = ?').get(name) as { members: string } | undefined;
    return row ? (JSON.parse(row.members) as string[]) : undefined;
  }

  setGroup(name: string, members: string[], by: string, at: number): void {
    this.q
      .get(
        `INSERT INTO recipient_groups (name, members, updated_at, updated_by) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      )
      .run(name, JSON.stringify(members), at, by);
  }

  removeGroup(name: string): boolean {
    return this.q.get('DELETE FROM recipient_groups WHERE name = ?').run(name).changes === 1;
  }

  webhooks(): WebhookRow[] {
    return this.q.get('SELECT * FROM webhooks ORDER BY name').all() as WebhookRow[];
  }

  webhook(name: string): WebhookRow | undefined {
    return this.q.get('SELECT * FROM webhooks WHERE name = ?').get(name) as WebhookRow | undefined;
  }

  addWebhook(w: WebhookRow): void {
    this.q.get('INSERT INTO webhooks (name, url, style, secret, created_at, created_by) VALUES (@name, @url, @style, @secret, @created_at, @created_by)').run(w);
  }

  removeWebhook(name: string): boolean {
    return this.q.get('DELETE FROM webhooks WHERE name = ?').run(name).changes === 1;
  }

  // ----- incidents -----

  incident(jobId: number): IncidentRow | undefined {
    return this.q.get('SELECT * FROM incidents WHERE job_id = ?').get(jobId) as IncidentRow | undefined;
  }

  saveIncident(i: IncidentRow): void {
    this.q
      .get(
        `INSERT INTO incidents (job_id, opened_at, failures, notified, last_notice_at, follow_ups, last_run_id)
         VALUES (@job_id, @opened_at, @failures, @notified, @last_notice_at, @follow_ups, @last_run_id)
         ON CONFLICT(job_id) DO UPDATE SET failures = excluded.failures, notified = excluded.notified,
           last_notice_at = excluded.last_notice_at, follow_ups = excluded.follow_ups, last_run_id = excluded.last_run_id`,
      )
      .run(i);
  }

  closeIncident(jobId: number): void {
    this.q.get('DELETE FROM incidents WHERE job_id = ?').run(jobId);
  }

  /** Runs in progress (started) of jobs that have notification rules. */
  runningWithRules(): { id: number; job_id: number; started_at: number; notify: string }[] {
    return this.q
      .get(
        `SELECT r.id, r.job_id, r.started_at, j.notify FROM runs r JOIN jobs j ON j.id = r.job_id
         WHERE r.status = 'IN_PROGRESS' AND r.started_at IS NOT NULL AND j.notify <> 'null'`,
      )
      .all() as { id: number; job_id: number; started_at: number; notify: string }[];
  }

  /** Queued runs of jobs with rules that wait for a lock another run holds, with that lock. */
  waitingForLocks(): { id: number; job_id: number; queued_at: number; notify: string; lock: string; holder: number; since: number }[] {
    return this.q
      .get(
        `SELECT r.id, r.job_id, r.queued_at, j.notify, l.name AS lock, l.run_id AS holder, l.acquired_at AS since
         FROM runs r JOIN jobs j ON j.id = r.job_id JOIN locks l ON l.name = j.lock_name
         WHERE r.status = 'QUEUED' AND j.notify <> 'null' AND l.run_id <> r.id`,
      )
      .all() as { id: number; job_id: number; queued_at: number; notify: string; lock: string; holder: number; since: number }[];
  }

  /** How long the job's last successful runs took (ms), newest first. */
  recentDurations(jobId: number, n: number): number[] {
    return this.q
      .get("SELECT finished_at - started_at FROM runs WHERE job_id = ? AND status = 'SUCCEEDED' AND started_at IS NOT NULL ORDER BY id DESC LIMIT ?")
      .pluck()
      .all(jobId, n) as number[];
  }

  /** Notified incidents whose next follow-up may be due (the caller checks each job's interval). */
  notifiedIncidents(): IncidentRow[] {
    return this.q.get('SELECT * FROM incidents WHERE notified = 1').all() as IncidentRow[];
  }

  // ----- outbox -----

  /** Adds a message; false when one with the same key exists (it was queued already). */
  enqueue(m: NewOutbox, now: number): boolean {
    return (
      this.q
        .get(
          `INSERT OR IGNORE INTO outbox (created_at, event, job_id, run_id, channel, target, attach, detail, next_at, dedupe)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(now, m.event, m.job_id, m.run_id, m.channel, m.target, m.attach ?? null, m.detail ?? null, now, m.dedupe).changes === 1
    );
  }

  /** Takes up to `limit` due messages for `owner` until `until` (pending ones, and those whose lease ran out). */
  claim(owner: string, now: number, until: number, limit: number, channels: readonly NotifyChannel[]): OutboxRow[] {
    const due = this.q
      .get(
        `SELECT id FROM outbox WHERE status IN ('pending','sending') AND next_at <= ?
         AND (status = 'pending' OR lease_until < ?) AND channel IN (${channels.map(() => '?').join(',')}) ORDER BY next_at, id LIMIT ?`,
      )
      .pluck()
      .all(now, now, ...channels, limit) as number[];
    const take = this.q.get("UPDATE outbox SET status = 'sending', lease_owner = ?, lease_until = ? WHERE id = ?");
    for (const id of due) take.run(owner, until, id);
    return due.map((id) => this.get(id)!);
  }

  get(id: number): OutboxRow | undefined {
    return this.q.get('SELECT * FROM outbox WHERE id = ?').get(id) as OutboxRow | undefined;
  }

  /** Records an attempt: sent, retried at `next`, or failed for good. Only the lease holder's answer counts. */
  settle(id: number, owner: string, outcome: { status: 'sent' | 'pending' | 'failed'; subject: string; answer: string; next: number; at: number }): boolean {
    return (
      this.q
        .get(
          `UPDATE outbox SET status = @status, subject = @subject, answer = @answer, attempts = attempts + 1, next_at = @next,
           sent_at = CASE WHEN @status = 'sent' THEN @at ELSE sent_at END, lease_owner = NULL, lease_until = NULL
           WHERE id = @id AND status = 'sending' AND lease_owner = @owner`,
        )
        .run({ ...outcome, id, owner }).changes === 1
    );
  }

  list(filter: { runId?: number; status?: string; channel?: string }, limit: number): OutboxRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.channel !== undefined) {
      where.push('channel = ?');
      args.push(filter.channel);
    }
    if (filter.runId !== undefined) {
      where.push('run_id = ?');
      args.push(filter.runId);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      args.push(filter.status);
    }
    const sql = `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return this.q.get(sql).all(...args, limit) as OutboxRow[];
  }

  hasDue(now: number): boolean {
    return this.q.get("SELECT 1 FROM outbox WHERE status IN ('pending','sending') AND next_at <= ? LIMIT 1").get(now) !== undefined;
  }

  /** Messages not yet settled (sent or failed for good). */
  unsettled(): number {
    return this.q.get("SELECT COUNT(*) FROM outbox WHERE status IN ('pending','sending')").pluck().get() as number;
  }
}
