/**
 * Workflows and dependencies between jobs. A workflow run keeps the tree it
 * executes (its plan, with referenced jobs expanded) and a task run per task;
 * its log lines carry the path of the task that printed them. A run can be
 * re-run in place (round counts the re-runs). A job can wait for other jobs
 * (`after`), as a trigger or, with a gate window, as a condition of its
 * schedule.
 */
export const name = '0005-workflows';

export const sql = `
ALTER TABLE runs ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN tasks INTEGER;

ALTER TABLE log_lines ADD COLUMN task TEXT;
CREATE INDEX log_lines_task ON log_lines (run_id, task, seq) WHERE task IS NOT NULL;

CREATE TABLE run_plans (
  run_id     INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  only_path  TEXT,
  plan       TEXT
);

CREATE TABLE task_runs (
  run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  idx          INTEGER NOT NULL,
  path         TEXT NOT NULL,
  name         TEXT NOT NULL,
  parent       TEXT,
  depth        INTEGER NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('script','job','group')),
  status       TEXT NOT NULL CHECK (status IN ('PENDING','QUEUED','RUNNING','SUCCEEDED','FAILED','SKIPPED','CANCELLED')),
  attempts     INTEGER NOT NULL DEFAULT 0,
  round        INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER,
  finished_at  INTEGER,
  exit_code    INTEGER,
  failure      TEXT,
  error        TEXT,
  result       TEXT,
  reused       INTEGER NOT NULL DEFAULT 0,
  note         TEXT,
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX task_runs_path ON task_runs (run_id, path);

ALTER TABLE jobs ADD COLUMN after_deps TEXT NOT NULL DEFAULT '[]';
ALTER TABLE jobs ADD COLUMN gate_minutes INTEGER;
CREATE INDEX jobs_dependents ON jobs (id) WHERE after_deps <> '[]' AND gate_minutes IS NULL AND enabled = 1 AND archived = 0;
`;
