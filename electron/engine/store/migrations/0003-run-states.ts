/**
 * The run state machine's columns: a run's phase while IN_PROGRESS, a failure
 * code beside the message, the script version it ran, whether its log was cut
 * at the size limit. The database itself now refuses a second IN_PROGRESS run
 * of a job and a second run for the same scheduled fire.
 */
export const name = '0003-run-states';

export const sql = `
ALTER TABLE runs ADD COLUMN phase TEXT CHECK (phase IN ('STARTING','RUNNING','FINISHING'));
ALTER TABLE runs ADD COLUMN failure TEXT;
ALTER TABLE runs ADD COLUMN script_md5 TEXT;
ALTER TABLE runs ADD COLUMN log_truncated INTEGER NOT NULL DEFAULT 0;

UPDATE runs SET phase = 'RUNNING' WHERE status = 'IN_PROGRESS';
UPDATE runs SET failure = CASE
    WHEN status = 'CANCELLED' THEN 'CANCELLED'
    WHEN error = 'interrupted' THEN 'INTERRUPTED'
    WHEN error LIKE 'timeout after %' THEN 'TIMEOUT'
    WHEN error LIKE 'exit code %' THEN 'EXIT'
    WHEN error LIKE 'killed by %' THEN 'SIGNAL'
    WHEN error LIKE 'could not prepare the run folder%' THEN 'PREPARE_FAILED'
    WHEN error LIKE 'the launcher process died%' THEN 'LAUNCHER_DIED'
    WHEN error LIKE 'could not start%' THEN 'SPAWN_FAILED'
    ELSE 'EXIT' END
  WHERE status IN ('FAILED', 'CANCELLED');

-- A store written before this index may hold two IN_PROGRESS runs of one job
-- (the old in-memory checks raced); all but the newest were interrupted.
UPDATE runs SET status = 'FAILED', phase = NULL, failure = 'INTERRUPTED', error = 'interrupted',
    finished_at = COALESCE(finished_at, started_at, queued_at)
  WHERE status = 'IN_PROGRESS'
    AND id NOT IN (SELECT MAX(id) FROM runs WHERE status = 'IN_PROGRESS' GROUP BY job_id);
CREATE UNIQUE INDEX runs_one_in_progress ON runs (job_id) WHERE status = 'IN_PROGRESS';

-- Two runs for one fire cannot be told apart afterwards; keep both, forget the later ones' due time.
UPDATE runs SET due_at = NULL WHERE trigger IN ('schedule', 'catch-up') AND due_at IS NOT NULL
  AND id NOT IN (SELECT MIN(id) FROM runs WHERE trigger IN ('schedule', 'catch-up') AND due_at IS NOT NULL GROUP BY job_id, due_at);
CREATE UNIQUE INDEX runs_one_per_fire ON runs (job_id, due_at) WHERE trigger IN ('schedule', 'catch-up') AND due_at IS NOT NULL;
`;
