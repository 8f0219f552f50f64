/** Fires a job's overlap policy refused (see the SQLite store's migration 0010-fire-refusals). Released migrations are never edited. */
export const name = '0004-fire-refusals';

export const sql = `
CREATE TABLE fire_refusals (
  due_at  BIGINT NOT NULL,
  job_id  BIGINT NOT NULL,
  PRIMARY KEY (due_at, job_id)
);
`;
