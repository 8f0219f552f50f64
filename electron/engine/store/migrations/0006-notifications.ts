/**
 * Notifications: a job's rules (who hears of which events), recipient
 * groups, webhooks with their signing secrets, a job's open incident (a
 * failure streak: opened, followed up, resolved; it survives restarts), and
 * the outbox every message goes through (written in the transaction of the
 * run end that caused it; its rows are the delivery log).
 */
export const name = '0006-notifications';

export const sql = `
ALTER TABLE jobs ADD COLUMN notify TEXT NOT NULL DEFAULT 'null';

CREATE TABLE recipient_groups (
  name        TEXT PRIMARY KEY COLLATE NOCASE,
  members     TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  updated_by  TEXT NOT NULL
);

CREATE TABLE webhooks (
  name        TEXT PRIMARY KEY COLLATE NOCASE,
  url         TEXT NOT NULL,
  style       TEXT NOT NULL CHECK (style IN ('json','slack','teams')),
  secret      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT NOT NULL
);

CREATE TABLE incidents (
  job_id          INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  opened_at       INTEGER NOT NULL,
  failures        INTEGER NOT NULL,
  notified        INTEGER NOT NULL DEFAULT 0,
  last_notice_at  INTEGER,
  follow_ups      INTEGER NOT NULL DEFAULT 0,
  last_run_id     INTEGER
);

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  created_at   INTEGER NOT NULL,
  event        TEXT NOT NULL,
  job_id       INTEGER,
  run_id       INTEGER,
  channel      TEXT NOT NULL CHECK (channel IN ('email','webhook','desktop')),
  target       TEXT NOT NULL,
  attach       TEXT,
  detail       TEXT,
  subject      TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sending','sent','failed')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      INTEGER NOT NULL,
  lease_owner  TEXT,
  lease_until  INTEGER,
  answer       TEXT,
  sent_at      INTEGER,
  dedupe       TEXT NOT NULL UNIQUE
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE status IN ('pending','sending');
CREATE INDEX outbox_run ON outbox (run_id, id);
`;
