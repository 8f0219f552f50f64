/** Rows the store contract's fixtures write directly, in the SQL both backends share (`?` placeholders). */
export const FIXTURE = {
  job: `INSERT INTO jobs (name, script, script_md5, runtime, schedule_kind, created_at, created_by, updated_at, updated_by)
        VALUES (?, 'echo', 'x', 'sh', 'manual', 0, 'test', 0, 'test') RETURNING id`,
  run: `INSERT INTO runs (job_id, status, phase, trigger, triggered_by, queued_at, started_at, owner)
        VALUES (?, 'IN_PROGRESS', 'RUNNING', 'manual', 'test', 400, 450, ?) RETURNING id`,
  lock: `INSERT INTO locks (name, run_id, job_id, owner, acquired_at) VALUES (?, ?, ?, ?, 500)`,
};
