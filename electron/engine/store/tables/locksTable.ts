/** Named locks: jobs that share a lock name never run at the same time. */
import type { Db } from '../database';

export interface LockRow {
  name: string;
  run_id: number;
  job_id: number;
  owner: string;
  acquired_at: number;
  job_name: string;
  run_status: string | null;
}

export class LocksTable {
  private readonly acquireStmt;
  private readonly releaseStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly breakStmt;

  constructor(db: Db) {
    this.acquireStmt = db.prepare(
      'INSERT INTO locks (name, run_id, job_id, owner, acquired_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING',
    );
    this.releaseStmt = db.prepare('DELETE FROM locks WHERE name = ? AND run_id = ?');
    this.listStmt = db.prepare(`SELECT l.*, j.name AS job_name, r.status AS run_status FROM locks l
      JOIN jobs j ON j.id = l.job_id LEFT JOIN runs r ON r.id = l.run_id ORDER BY l.name`);
    this.getStmt = db.prepare(`SELECT l.*, j.name AS job_name, r.status AS run_status FROM locks l
      JOIN jobs j ON j.id = l.job_id LEFT JOIN runs r ON r.id = l.run_id WHERE l.name = ?`);
    this.breakStmt = db.prepare('DELETE FROM locks WHERE name = ?');
  }

  /** Takes the lock for a run; false when someone else holds it. */
  acquire(name: string, runId: number, jobId: number, owner: string, at: number): boolean {
    return this.acquireStmt.run(name, runId, jobId, owner, at).changes === 1;
  }

  release(name: string, runId: number): void {
    this.releaseStmt.run(name, runId);
  }

  list(): LockRow[] {
    return this.listStmt.all() as LockRow[];
  }

  get(name: string): LockRow | undefined {
    return this.getStmt.get(name) as LockRow | undefined;
  }

  break(name: string): boolean {
    return this.breakStmt.run(name).changes === 1;
  }
}
