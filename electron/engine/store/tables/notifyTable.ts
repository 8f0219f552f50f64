/** Statements on recipient groups, webhooks, incidents and the outbox. Both backends; only the store's intents call the writing ones. */
import type { NotifyChannel } from '../../../../shared/model/notify';
import { all, dynamicSql, get, run, sql, type Work } from '../work';

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

// Group and webhook names match without ASCII case (SQLite's NOCASE columns; PostgreSQL's lower(… "C") unique indexes).
const NAME_IS = { sqlite: 'name = ?', pg: 'lower(name COLLATE "C") = lower(? COLLATE "C")' };
const BY_NAME_ORDER = { sqlite: 'ORDER BY name', pg: 'ORDER BY lower(name COLLATE "C")' };

const GROUPS = sql(`SELECT name, members FROM recipient_groups ${BY_NAME_ORDER.sqlite}`, `SELECT name, members FROM recipient_groups ${BY_NAME_ORDER.pg}`);
const GROUP = sql(`SELECT members FROM recipient_groups WHERE ${NAME_IS.sqlite}`, `SELECT members FROM recipient_groups WHERE ${NAME_IS.pg}`);
const SET_GROUP = sql(
  `INSERT INTO recipient_groups (name, members, updated_at, updated_by) VALUES (?, ?, ?, ?)
   ON CONFLICT(name) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  `INSERT INTO recipient_groups (name, members, updated_at, updated_by) VALUES (?, ?, ?, ?)
   ON CONFLICT ((lower(name COLLATE "C"))) DO UPDATE SET members = excluded.members, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
);
const REMOVE_GROUP = sql(`DELETE FROM recipient_groups WHERE ${NAME_IS.sqlite}`, `DELETE FROM recipient_groups WHERE ${NAME_IS.pg}`);
const WEBHOOKS = sql(`SELECT * FROM webhooks ${BY_NAME_ORDER.sqlite}`, `SELECT * FROM webhooks ${BY_NAME_ORDER.pg}`);
const WEBHOOK = sql(`SELECT * FROM webhooks WHERE ${NAME_IS.sqlite}`, `SELECT * FROM webhooks WHERE ${NAME_IS.pg}`);
const ADD_WEBHOOK = sql('INSERT INTO webhooks (name, url, style, secret, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)');
const REMOVE_WEBHOOK = sql(`DELETE FROM webhooks WHERE ${NAME_IS.sqlite}`, `DELETE FROM webhooks WHERE ${NAME_IS.pg}`);
const INCIDENT = sql('SELECT * FROM incidents WHERE job_id = ?');
const SAVE_INCIDENT = sql(
  `INSERT INTO incidents (job_id, opened_at, failures, notified, last_notice_at, follow_ups, last_run_id) VALUES (?, ?, ?, ?, ?, ?, ?)
   ON CONFLICT(job_id) DO UPDATE SET failures = excluded.failures, notified = excluded.notified,
     last_notice_at = excluded.last_notice_at, follow_ups = excluded.follow_ups, last_run_id = excluded.last_run_id`,
);
const CLOSE_INCIDENT = sql('DELETE FROM incidents WHERE job_id = ?');
const RUNNING_WITH_RULES = sql(`SELECT r.id, r.job_id, r.started_at, j.notify FROM runs r JOIN jobs j ON j.id = r.job_id
  WHERE r.status = 'IN_PROGRESS' AND r.started_at IS NOT NULL AND j.notify <> 'null'`);
const WAITING_FOR_LOCKS = sql(`SELECT r.id, r.job_id, r.queued_at, j.notify, l.name AS lock, l.run_id AS holder, l.acquired_at AS since
  FROM runs r JOIN jobs j ON j.id = r.job_id JOIN locks l ON l.name = j.lock_name
  WHERE r.status = 'QUEUED' AND j.notify <> 'null' AND l.run_id <> r.id`);
const RECENT_DURATIONS = sql("SELECT finished_at - started_at AS ms FROM runs WHERE job_id = ? AND status = 'SUCCEEDED' AND started_at IS NOT NULL ORDER BY id DESC LIMIT ?");
const NOTIFIED_INCIDENTS = sql('SELECT * FROM incidents WHERE notified = 1');
const ENQUEUE = sql(`INSERT INTO outbox (created_at, event, job_id, run_id, channel, target, attach, detail, next_at, dedupe)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
const TAKE = sql("UPDATE outbox SET status = 'sending', lease_owner = ?, lease_until = ? WHERE id = ?");
const OUTBOX_ROW = sql('SELECT * FROM outbox WHERE id = ?');
const SETTLE = sql(`UPDATE outbox SET status = ?, subject = ?, answer = ?, attempts = attempts + 1, next_at = ?,
  sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, lease_owner = NULL, lease_until = NULL
  WHERE id = ? AND status = 'sending' AND lease_owner = ?`);
const HAS_DUE = sql("SELECT 1 AS one FROM outbox WHERE status IN ('pending','sending') AND next_at <= ? LIMIT 1");
const UNSETTLED = sql("SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending','sending')");

export const notifyTable = {
  // ----- groups and webhooks -----

  groups(): Work<{ name: string; members: string }[]> {
    return all(GROUPS);
  },

  *group(name: string): Work<string[] | undefined> {
    const row = yield* get<{ members: string }>(GROUP, name);
    return row ? (JSON.parse(row.members) as string[]) : undefined;
  },

  *setGroup(name: string, members: string[], by: string, at: number): Work<void> {
    yield* run(SET_GROUP, name, JSON.stringify(members), at, by);
  },

  *removeGroup(name: string): Work<boolean> {
    return (yield* run(REMOVE_GROUP, name)) === 1;
  },

  webhooks(): Work<WebhookRow[]> {
    return all<WebhookRow>(WEBHOOKS);
  },

  webhook(name: string): Work<WebhookRow | undefined> {
    return get<WebhookRow>(WEBHOOK, name);
  },

  *addWebhook(w: WebhookRow): Work<void> {
    yield* run(ADD_WEBHOOK, w.name, w.url, w.style, w.secret, w.created_at, w.created_by);
  },

  *removeWebhook(name: string): Work<boolean> {
    return (yield* run(REMOVE_WEBHOOK, name)) === 1;
  },

  // ----- incidents -----

  incident(jobId: number): Work<IncidentRow | undefined> {
    return get<IncidentRow>(INCIDENT, jobId);
  },

  *saveIncident(i: IncidentRow): Work<void> {
    yield* run(SAVE_INCIDENT, i.job_id, i.opened_at, i.failures, i.notified, i.last_notice_at, i.follow_ups, i.last_run_id);
  },

  *closeIncident(jobId: number): Work<void> {
    yield* run(CLOSE_INCIDENT, jobId);
  },

  /** Runs in progress (started) of jobs that have notification rules. */
  runningWithRules(): Work<{ id: number; job_id: number; started_at: number; notify: string }[]> {
    return all(RUNNING_WITH_RULES);
  },

  /** Queued runs of jobs with rules that wait for a lock another run holds, with that lock. */
  waitingForLocks(): Work<{ id: number; job_id: number; queued_at: number; notify: string; lock: string; holder: number; since: number }[]> {
    return all(WAITING_FOR_LOCKS);
  },

  /** How long the job's last successful runs took (ms), newest first. */
  *recentDurations(jobId: number, n: number): Work<number[]> {
    return (yield* all<{ ms: number }>(RECENT_DURATIONS, jobId, n)).map((r) => r.ms);
  },

  /** Notified incidents whose next follow-up may be due (the caller checks each job's interval). */
  notifiedIncidents(): Work<IncidentRow[]> {
    return all<IncidentRow>(NOTIFIED_INCIDENTS);
  },

  // ----- outbox -----

  /** Adds a message; false when one with the same key exists (it was queued already). */
  *enqueue(m: NewOutbox, now: number): Work<boolean> {
    return (yield* run(ENQUEUE, now, m.event, m.job_id, m.run_id, m.channel, m.target, m.attach ?? null, m.detail ?? null, now, m.dedupe)) === 1;
  },

  /**
   * Takes up to `limit` due messages for `owner` until `until` (pending ones,
   * and those whose lease ran out). On PostgreSQL the rows are locked as they
   * are chosen, skipping those another node is taking.
   */
  *claim(owner: string, now: number, until: number, limit: number, channels: readonly NotifyChannel[]): Work<OutboxRow[]> {
    const select = `SELECT id FROM outbox WHERE status IN ('pending','sending') AND next_at <= ?
      AND (status = 'pending' OR lease_until < ?) AND channel IN (${channels.map(() => '?').join(',')}) ORDER BY next_at, id LIMIT ?`;
    const due = yield* all<{ id: number }>(dynamicSql(select, `${select} FOR UPDATE SKIP LOCKED`), now, now, ...channels, limit);
    const taken: OutboxRow[] = [];
    for (const { id } of due) {
      yield* run(TAKE, owner, until, id);
      taken.push((yield* get<OutboxRow>(OUTBOX_ROW, id))!);
    }
    return taken;
  },

  get(id: number): Work<OutboxRow | undefined> {
    return get<OutboxRow>(OUTBOX_ROW, id);
  },

  /** Records an attempt: sent, retried at `next`, or failed for good. Only the lease holder's answer counts. */
  *settle(id: number, owner: string, o: { status: 'sent' | 'pending' | 'failed'; subject: string; answer: string; next: number; at: number }): Work<boolean> {
    return (yield* run(SETTLE, o.status, o.subject, o.answer, o.next, o.status, o.at, id, owner)) === 1;
  },

  list(filter: { runId?: number; status?: string; channel?: string }, limit: number): Work<OutboxRow[]> {
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
    return all<OutboxRow>(dynamicSql(`SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`), ...args, limit);
  },

  *hasDue(now: number): Work<boolean> {
    return (yield* get(HAS_DUE, now)) !== undefined;
  },

  /** Messages not yet settled (sent or failed for good). */
  *unsettled(): Work<number> {
    return (yield* get<{ n: number }>(UNSETTLED))!.n;
  },
};
