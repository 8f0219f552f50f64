/**
 * Fires a job's overlap policy refused (no run was recorded for them). On a
 * shared database the other nodes check each fire of a job they do not own a
 * while after it was due and record it if no node did: without this record
 * they cannot tell a fire its owner refused from one its owner never saw
 * (it died), and ran the refused one late once its cause had gone. Kept an
 * hour past the due time (pruned at heartbeats). Keyed by due time first,
 * so pruning walks the key; a lookup gives both columns.
 */
export const name = '0010-fire-refusals';

export const sql = `
CREATE TABLE fire_refusals (
  due_at  INTEGER NOT NULL,
  job_id  INTEGER NOT NULL,
  PRIMARY KEY (due_at, job_id)
) WITHOUT ROWID;
`;
