/**
 * Deleting a job with everything that is its own: its runs, their log lines,
 * result-file rows, task runs and plans, its script versions, its incident
 * and the locks its runs left. One transaction, which also writes the audit
 * entry (the audit log keeps the job's earlier entries: who did what stays
 * known) and raises the id floors, so its ids are never given out again.
 * The run folders on disk go afterwards (the service removes them). Written
 * once for both backends (work.ts).
 */
import { JobdeckError } from '../../../shared/errors';
import { raiseIdFloors } from './idFloors';
import { JOBS_VERSION } from './jobsStore';
import type { JobRow } from './rows';
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { settingsTable } from './tables/settingsTable';
import { get, run, sql, type Performed, type StorePart, type Work } from './work';

export interface JobDeletionCounts {
  runs: number;
  logLines: number;
  files: number;
}

const COUNTS = sql('SELECT COUNT(*) AS runs, COALESCE(SUM(last_seq), 0) AS "logLines" FROM runs WHERE job_id = ?');
const FILES = sql('SELECT COUNT(*) AS n FROM result_files WHERE run_id IN (SELECT id FROM runs WHERE job_id = ?)');
const ACTIVE = sql("SELECT id, status FROM runs WHERE job_id = ? AND status IN ('QUEUED','IN_PROGRESS') ORDER BY id LIMIT 1");
const DELETE_LOGS = sql('DELETE FROM log_lines WHERE run_id IN (SELECT id FROM runs WHERE job_id = ?)');
const DELETE_LOCKS = sql('DELETE FROM locks WHERE job_id = ?');
// Runs, result files, task runs, plans, script versions and the incident follow by ON DELETE CASCADE.
const DELETE_JOB = sql('DELETE FROM jobs WHERE id = ? AND revision = ?');

const writes = {
  /**
   * Deletes the job as read at `revision`; `refuse` is given every job (read
   * inside the transaction) and throws when one of them still needs this one.
   * Throws INVALID_STATE while a run of it is queued or in progress, CONFLICT
   * when it was changed since it was read.
   */
  *delete(row: JobRow, by: string, at: number, refuse: (jobs: JobRow[]) => void): Work<JobDeletionCounts> {
    // Locked first on PostgreSQL: no run of it is queued meanwhile.
    yield* jobsTable.lockForDelete(row.id);
    const active = yield* get<{ id: number; status: string }>(ACTIVE, row.id);
    if (active) {
      const what = active.status === 'QUEUED' ? 'queued' : 'in progress';
      throw new JobdeckError('INVALID_STATE', `job "${row.name}" has run #${active.id} ${what}: cancel it or let it end, then delete the job`, 'id');
    }
    refuse(yield* jobsTable.all());
    const counts = (yield* get<{ runs: number; logLines: number }>(COUNTS, row.id))!;
    const files = (yield* get<{ n: number }>(FILES, row.id))!.n;
    yield* raiseIdFloors();
    yield* run(DELETE_LOGS, row.id);
    yield* run(DELETE_LOCKS, row.id);
    if ((yield* run(DELETE_JOB, row.id, row.revision)) !== 1) {
      throw new JobdeckError('CONFLICT', `job "${row.name}" was changed while it was being deleted; look again and retry`, 'id');
    }
    const result = { runs: Number(counts.runs), logLines: Number(counts.logLines), files: Number(files) };
    yield* auditTable.add({ at, actor: by, action: 'job.delete', targetType: 'job', targetId: row.id, targetName: row.name, jobId: row.id, details: result });
    yield* settingsTable.increment(JOBS_VERSION);
    return result;
  },
};

export const jobDeletionPart: StorePart<Record<string, never>, typeof writes> = { reads: {}, writes };

export type JobDeletion = Performed<typeof writes>;
