/** The first schema. Released migrations are never edited; add a new file instead. */
export const name = '0001-init';

export const sql = `
CREATE TABLE jobs (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL COLLATE NOCASE UNIQUE,
  grp             TEXT NOT NULL DEFAULT '',
  description     TEXT NOT NULL DEFAULT '',
  script          TEXT NOT NULL,
  script_md5      TEXT NOT NULL,
  runtime         TEXT NOT NULL,
  params          TEXT NOT NULL DEFAULT '[]',
  param_values    TEXT NOT NULL DEFAULT '{}',
  user            TEXT NOT NULL DEFAULT '',
  schedule_kind   TEXT NOT NULL CHECK (schedule_kind IN ('interval','cron','manual')),
  interval_s      INTEGER,
  cron_expr       TEXT,
  timezone        TEXT,
  enabled         INTEGER NOT NULL DEFAULT 1,
  archived        INTEGER NOT NULL DEFAULT 0,
  timeout_s       INTEGER,
  overlap         TEXT NOT NULL DEFAULT 'skip',
  retry_count     INTEGER NOT NULL DEFAULT 0,
  retry_delay_s   INTEGER NOT NULL DEFAULT 60,
  misfire         TEXT NOT NULL DEFAULT 'run-once',
  lock_name       TEXT,
  retention       INTEGER NOT NULL DEFAULT 500,
  revision        INTEGER NOT NULL DEFAULT 1,
  next_fire_at    INTEGER,
  last_run_id     INTEGER,
  last_status     TEXT,
  last_run_at     INTEGER,
  created_at      INTEGER NOT NULL,
  created_by      TEXT NOT NULL,
  updated_at      INTEGER NOT NULL,
  updated_by      TEXT NOT NULL
);
CREATE INDEX jobs_order ON jobs (archived, enabled, next_fire_at);

CREATE TABLE script_versions (
  job_id    INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  version   INTEGER NOT NULL,
  script    TEXT NOT NULL,
  md5       TEXT NOT NULL,
  saved_by  TEXT NOT NULL,
  saved_at  INTEGER NOT NULL,
  PRIMARY KEY (job_id, version)
) WITHOUT ROWID;

CREATE TABLE runs (
  id                INTEGER PRIMARY KEY,
  job_id            INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  status            TEXT NOT NULL CHECK (status IN ('QUEUED','IN_PROGRESS','SUCCEEDED','FAILED','CANCELLED')),
  trigger           TEXT NOT NULL,
  triggered_by      TEXT NOT NULL,
  user              TEXT NOT NULL DEFAULT '',
  args              TEXT NOT NULL DEFAULT '',
  params            TEXT NOT NULL DEFAULT '{}',
  due_at            INTEGER,
  not_before        INTEGER,
  queued_at         INTEGER NOT NULL,
  started_at        INTEGER,
  finished_at       INTEGER,
  exit_code         INTEGER,
  signal            TEXT,
  error             TEXT,
  progress_pct      REAL,
  progress_msg      TEXT,
  attempt           INTEGER NOT NULL DEFAULT 1,
  retry_of          INTEGER,
  last_seq          INTEGER NOT NULL DEFAULT 0,
  result_file       TEXT,
  owner             TEXT NOT NULL,
  pid               INTEGER,
  cancel_by         TEXT
);
CREATE INDEX runs_job_time ON runs (job_id, queued_at);
CREATE INDEX runs_job_status_time ON runs (job_id, status, queued_at);
CREATE INDEX runs_status_time ON runs (status, queued_at);
CREATE INDEX runs_time ON runs (queued_at);
CREATE INDEX runs_unfinished ON runs (owner, status) WHERE status IN ('QUEUED','IN_PROGRESS');

CREATE TABLE log_lines (
  run_id  INTEGER NOT NULL,
  seq     INTEGER NOT NULL,
  ts      INTEGER NOT NULL,
  stream  INTEGER NOT NULL,
  text    TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE result_files (
  run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  size     INTEGER NOT NULL,
  sha256   TEXT NOT NULL,
  is_primary INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE locks (
  name         TEXT PRIMARY KEY,
  run_id       INTEGER NOT NULL,
  job_id       INTEGER NOT NULL,
  owner        TEXT NOT NULL,
  acquired_at  INTEGER NOT NULL
);

CREATE TABLE audit (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  target_type  TEXT NOT NULL,
  target_id    TEXT,
  target_name  TEXT,
  job_id       INTEGER,
  details      TEXT
);
CREATE INDEX audit_job ON audit (job_id, id);
CREATE INDEX audit_actor ON audit (actor, id);

CREATE TABLE users (
  name        TEXT PRIMARY KEY COLLATE NOCASE,
  role        TEXT NOT NULL CHECK (role IN ('viewer','admin','superadmin')),
  created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
  id            TEXT PRIMARY KEY,
  user_name     TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
  hash          TEXT NOT NULL UNIQUE,
  created_at    INTEGER NOT NULL,
  last_used_at  INTEGER,
  revoked_at    INTEGER
);

CREATE TABLE settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
`;
