/** Runs and their result files. */
import type { RunStatus } from '../../../shared/model/job';
import type { RunTrigger } from '../../../shared/model/run';
import type { Db } from './database';
import type { RunRow } from './rows';
import { StatementCache } from './statements';

const RUN_SELECT = 'SELECT r.*, j.name AS job_name FROM runs r JOIN jobs j ON j.id = r.job_id';

export interface NewRun {
  jobId: number;
  trigger: RunTrigger;
  triggeredBy: string;
  user: string;
  args: string;
  params: string;
  dueAt: number | null;
  notBefore: number | null;
  queuedAt: number;
  attempt: number;
  retryOf: number | null;
  owner: string;
}

export interface RunListFilter {
  jobId?: number;
  statuses?: RunStatus[];
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

export interface RunFinish {
  status: RunStatus;
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  lastSeq: number;
  resultFile: string | null;
}

export interface ResultFileRow {
  name: string;
  size: number;
  sha256: string;
  is_primary: number;
}

export class RunsRepo {
  private readonly q: StatementCache;
  private readonly insertStmt;
  private readonly byId;
  private readonly activeForJob;
  private readonly startStmt;
  private readonly spawnedStmt;
  private readonly progressStmt;
  private readonly finishStmt;
  private readonly cancelStmt;
  private readonly fileInsert;
  private readonly filesStmt;
  private readonly fileStmt;

  constructor(private readonly db: Db) {
    this.q = new StatementCache(db);
    this.insertStmt = db.prepare(`INSERT INTO runs (job_id, status, trigger, triggered_by, user, args, params, due_at,
      not_before, queued_at, attempt, retry_of, owner) VALUES (@jobId, 'QUEUED', @trigger, @triggeredBy, @user, @args,
      @params, @dueAt, @notBefore, @queuedAt, @attempt, @retryOf, @owner)`);
    this.byId = db.prepare(`${RUN_SELECT} WHERE r.id = ?`);
    this.activeForJob = db.prepare(
      "SELECT id, status FROM runs WHERE job_id = ? AND status IN ('QUEUED','IN_PROGRESS') ORDER BY id",
    );
    this.startStmt = db.prepare("UPDATE runs SET status = 'IN_PROGRESS' WHERE id = ? AND status = 'QUEUED'");
    this.spawnedStmt = db.prepare('UPDATE runs SET started_at = ?, pid = ? WHERE id = ?');
    this.progressStmt = db.prepare('UPDATE runs SET progress_pct = ?, progress_msg = ?, last_seq = MAX(last_seq, ?) WHERE id = ?');
    this.finishStmt = db.prepare(`UPDATE runs SET status = @status, finished_at = @finishedAt, exit_code = @exitCode,
      signal = @signal, error = @error, last_seq = MAX(last_seq, @lastSeq), result_file = @resultFile WHERE id = @id`);
    this.cancelStmt = db.prepare('UPDATE runs SET cancel_by = COALESCE(cancel_by, ?) WHERE id = ?');
    this.fileInsert = db.prepare(
      'INSERT OR REPLACE INTO result_files (run_id, name, size, sha256, is_primary) VALUES (?, ?, ?, ?, ?)',
    );
    this.filesStmt = db.prepare('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? ORDER BY is_primary DESC, name');
    this.fileStmt = db.prepare('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? AND name = ?');
  }

  insert(run: NewRun): number {
    return Number(this.insertStmt.run(run).lastInsertRowid);
  }

  get(id: number): RunRow | undefined {
    return this.byId.get(id) as RunRow | undefined;
  }

  /** QUEUED and IN_PROGRESS runs of a job, oldest first. */
  active(jobId: number): { id: number; status: RunStatus }[] {
    return this.activeForJob.all(jobId) as { id: number; status: RunStatus }[];
  }

  /** QUEUED -> IN_PROGRESS; false when the run was no longer queued. */
  markStarted(id: number): boolean {
    return this.startStmt.run(id).changes === 1;
  }

  markSpawned(id: number, at: number, pid: number): void {
    this.spawnedStmt.run(at, pid, id);
  }

  setProgress(id: number, percent: number, message: string, lastSeq: number): void {
    this.progressStmt.run(percent, message, lastSeq, id);
  }

  finish(id: number, f: RunFinish): void {
    this.finishStmt.run({ ...f, id });
  }

  /** Records a cancel request for the process that owns the run to act on. */
  requestCancel(id: number, by: string): void {
    this.cancelStmt.run(by, id);
  }

  list(filter: RunListFilter): { rows: RunRow[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.jobId !== undefined) {
      where.push('r.job_id = ?');
      args.push(filter.jobId);
    }
    if (filter.statuses && filter.statuses.length > 0) {
      where.push(`r.status IN (${filter.statuses.map(() => '?').join(',')})`);
      args.push(...filter.statuses);
    }
    if (filter.fromMs !== undefined) {
      where.push('r.queued_at >= ?');
      args.push(filter.fromMs);
    }
    if (filter.toMs !== undefined) {
      where.push('r.queued_at < ?');
      args.push(filter.toMs);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.q
      .get(`${RUN_SELECT} ${clause} ORDER BY r.queued_at DESC, r.id DESC LIMIT ? OFFSET ?`)
      .all(...args, filter.limit, filter.offset) as RunRow[];
    const total =
      filter.offset === 0 && rows.length < filter.limit
        ? rows.length
        : (this.q.get(`SELECT COUNT(*) AS n FROM runs r ${clause}`).get(...args) as { n: number }).n;
    return { rows, total };
  }

  /** Unfinished runs, optionally only those of one owner. */
  unfinished(owner?: string): RunRow[] {
    return owner === undefined
      ? (this.q.get(`${RUN_SELECT} WHERE r.status IN ('QUEUED','IN_PROGRESS') ORDER BY r.id`).all() as RunRow[])
      : (this.q.get(`${RUN_SELECT} WHERE r.owner = ? AND r.status IN ('QUEUED','IN_PROGRESS') ORDER BY r.id`).all(owner) as RunRow[]);
  }

  unfinishedOwners(): string[] {
    return (this.q.get("SELECT DISTINCT owner FROM runs WHERE status IN ('QUEUED','IN_PROGRESS')").all() as { owner: string }[]).map(
      (r) => r.owner,
    );
  }

  /** Runs of this owner with a cancel request pending. */
  cancelRequested(owner: string): { id: number; cancel_by: string }[] {
    return this.q
      .get("SELECT id, cancel_by FROM runs WHERE owner = ? AND cancel_by IS NOT NULL AND status IN ('QUEUED','IN_PROGRESS')")
      .all(owner) as { id: number; cancel_by: string }[];
  }

  counts(owner: string): { queued: number; running: number } {
    const rows = this.q
      .get("SELECT status, COUNT(*) AS n FROM runs WHERE owner = ? AND status IN ('QUEUED','IN_PROGRESS') GROUP BY status")
      .all(owner) as { status: RunStatus; n: number }[];
    return {
      queued: rows.find((r) => r.status === 'QUEUED')?.n ?? 0,
      running: rows.find((r) => r.status === 'IN_PROGRESS')?.n ?? 0,
    };
  }

  /** Ids of a job's finished runs beyond the newest `keep`. */
  beyondRetention(jobId: number, keep: number): number[] {
    return (
      this.q
        .get(
          `SELECT id FROM runs WHERE job_id = ? AND status IN ('SUCCEEDED','FAILED','CANCELLED')
           ORDER BY id DESC LIMIT -1 OFFSET ?`,
        )
        .all(jobId, keep) as { id: number }[]
    ).map((r) => r.id);
  }

  delete(id: number): void {
    this.q.get('DELETE FROM runs WHERE id = ?').run(id);
  }

  addFile(runId: number, name: string, size: number, sha256: string, primary: boolean): void {
    this.fileInsert.run(runId, name, size, sha256, primary ? 1 : 0);
  }

  files(runId: number): ResultFileRow[] {
    return this.filesStmt.all(runId) as ResultFileRow[];
  }

  file(runId: number, name: string): ResultFileRow | undefined {
    return this.fileStmt.get(runId, name) as ResultFileRow | undefined;
  }
}
