/**
 * Deleting a job with everything that is its own: its runs, their log lines,
 * result-file rows, task runs and plans, its script versions, its incident
 * and the locks its runs left. One transaction, which also writes the audit
 * entry (the audit log keeps the job's earlier entries: who did what stays
 * known) and raises the id floors, so its ids are never given out again.
 * The run folders on disk go afterwards (the service removes them).
 */
import { JobdeckError } from '../../../shared/errors';
import type { Db } from './database';
import { JOBS_VERSION } from './jobsStore';
import { raiseIdFloorsStatement } from './idFloors';
import type { JobRow } from './rows';
import type { Tables, Tx } from './tables';

export interface JobDeletionCounts {
  runs: number;
  logLines: number;
  files: number;
}

export class JobDeletion {
  private readonly countsStmt;
  private readonly filesStmt;
  private readonly activeStmt;
  private readonly logsStmt;
  private readonly locksStmt;
  private readonly jobStmt;
  private readonly raiseFloors;

  constructor(
    db: Db,
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {
    this.countsStmt = db.prepare('SELECT COUNT(*) AS runs, COALESCE(SUM(last_seq), 0) AS logLines FROM runs WHERE job_id = ?');
    this.filesStmt = db.prepare('SELECT COUNT(*) FROM result_files WHERE run_id IN (SELECT id FROM runs WHERE job_id = ?)').pluck();
    this.activeStmt = db.prepare("SELECT id, status FROM runs WHERE job_id = ? AND status IN ('QUEUED','IN_PROGRESS') ORDER BY id LIMIT 1");
    this.logsStmt = db.prepare('DELETE FROM log_lines WHERE run_id IN (SELECT id FROM runs WHERE job_id = ?)');
    this.locksStmt = db.prepare('DELETE FROM locks WHERE job_id = ?');
    // Runs, result files, task runs, plans, script versions and the incident follow by ON DELETE CASCADE.
    this.jobStmt = db.prepare('DELETE FROM jobs WHERE id = ? AND revision = ?');
    this.raiseFloors = raiseIdFloorsStatement(db);
  }

  /**
   * Deletes the job as read at `revision`; `refuse` runs inside the
   * transaction and throws when something else still needs the job. Throws
   * INVALID_STATE while a run of it is queued or in progress, CONFLICT when
   * it was changed since it was read.
   */
  delete(row: JobRow, by: string, at: number, refuse: () => void): JobDeletionCounts {
    return this.tx(() => {
      const active = this.activeStmt.get(row.id) as { id: number; status: string } | undefined;
      if (active) {
        const what = active.status === 'QUEUED' ? 'queued' : 'in progress';
        throw new JobdeckError('INVALID_STATE', `job "${row.name}" has run #${active.id} ${what}: cancel it or let it end, then delete the job`, 'id');
      }
      refuse();
      const counts = this.countsStmt.get(row.id) as { runs: number; logLines: number };
      const files = this.filesStmt.get(row.id) as number;
      this.raiseFloors();
      this.logsStmt.run(row.id);
      this.locksStmt.run(row.id);
      if (this.jobStmt.run(row.id, row.revision).changes !== 1) {
        throw new JobdeckError('CONFLICT', `job "${row.name}" was changed while it was being deleted; look again and retry`, 'id');
      }
      const result = { runs: counts.runs, logLines: counts.logLines, files };
      this.t.audit.add({ at, actor: by, action: 'job.delete', targetType: 'job', targetId: row.id, targetName: row.name, jobId: row.id, details: result });
      this.t.settings.increment(JOBS_VERSION);
      return result;
    });
  }
}
