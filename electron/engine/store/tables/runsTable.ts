/** Statements on runs and their result files. Only the store's intents call the writing ones. */
import type { RunStatus } from '../../../../shared/model/job';
import type { FailureCode, RunPhase, RunTrigger } from '../../../../shared/model/run';
import type { Db } from '../database';
import type { RunRow } from '../rows';
import { nextIdSql } from '../idFloors';
import { StatementCache } from '../statements';

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

/** How a run ended. */
export interface RunEnd {
  status: Extract<RunStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  failure: FailureCode | null;
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

export class RunsTable {
  private readonly q: StatementCache;
  private readonly insertStmt;
  private readonly byId;
  private readonly activeForJob;
  private readonly inProgressForJob;
  private readonly claimStmt;
  private readonly runningStmt;
  private readonly phaseStmt;
  private readonly progressStmt;
  private readonly truncatedStmt;
  private readonly lastSeqStmt;
  private readonly endStmt;
  private readonly cancelStmt;
  private readonly fileInsert;
  private readonly filesStmt;
  private readonly fileStmt;
  private readonly reopenStmt;
  private readonly tasksStmt;

  constructor(db: Db) {
    this.q = new StatementCache(db);
    this.insertStmt = db.prepare(`INSERT INTO runs (id, job_id, status, trigger, triggered_by, user, args, params, due_at,
      not_before, queued_at, attempt, retry_of, owner) VALUES (${nextIdSql('runs')}, @jobId, 'QUEUED', @trigger, @triggeredBy, @user, @args,
      @params, @dueAt, @notBefore, @queuedAt, @attempt, @retryOf, @owner)`);
    this.byId = db.prepare(`${RUN_SELECT} WHERE r.id = ?`);
    this.activeForJob = db.prepare("SELECT id, status FROM runs WHERE job_id = ? AND status IN ('QUEUED','IN_PROGRESS') ORDER BY id");
    this.inProgressForJob = db.prepare("SELECT id FROM runs WHERE job_id = ? AND status = 'IN_PROGRESS'").pluck();
    this.claimStmt = db.prepare(
      // A re-run keeps the script version of its first round.
      "UPDATE runs SET status = 'IN_PROGRESS', phase = 'STARTING', script_md5 = COALESCE(script_md5, ?) WHERE id = ? AND status = 'QUEUED'",
    );
    this.runningStmt = db.prepare(
      // A re-run keeps the start of its first round (its reused tasks started then).
      "UPDATE runs SET phase = 'RUNNING', started_at = COALESCE(started_at, ?), pid = ? WHERE id = ? AND status = 'IN_PROGRESS'",
    );
    this.phaseStmt = db.prepare("UPDATE runs SET phase = ?, last_seq = MAX(last_seq, ?) WHERE id = ? AND status = 'IN_PROGRESS'");
    this.progressStmt = db.prepare('UPDATE runs SET progress_pct = ?, progress_msg = ?, last_seq = MAX(last_seq, ?) WHERE id = ?');
    this.truncatedStmt = db.prepare('UPDATE runs SET log_truncated = 1 WHERE id = ?');
    this.lastSeqStmt = db.prepare('UPDATE runs SET last_seq = MAX(last_seq, ?) WHERE id = ?');
    this.endStmt = db.prepare(`UPDATE runs SET status = @status, phase = NULL, failure = @failure, finished_at = @finishedAt,
      exit_code = @exitCode, signal = @signal, error = @error, last_seq = MAX(last_seq, @lastSeq), result_file = @resultFile
      WHERE id = @id AND status IN ('QUEUED','IN_PROGRESS')`);
    this.cancelStmt = db.prepare('UPDATE runs SET cancel_by = COALESCE(cancel_by, ?) WHERE id = ?');
    this.fileInsert = db.prepare('INSERT OR REPLACE INTO result_files (run_id, name, size, sha256, is_primary) VALUES (?, ?, ?, ?, ?)');
    this.filesStmt = db.prepare('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? ORDER BY is_primary DESC, name');
    this.fileStmt = db.prepare('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? AND name = ?');
    this.reopenStmt = db.prepare(`UPDATE runs SET status = 'QUEUED', phase = NULL, round = round + 1, finished_at = NULL,
      exit_code = NULL, signal = NULL, error = NULL, failure = NULL, cancel_by = NULL, owner = ?, not_before = NULL,
      progress_pct = NULL, progress_msg = NULL, pid = NULL WHERE id = ? AND status IN ('SUCCEEDED','FAILED','CANCELLED')`);
    this.tasksStmt = db.prepare('UPDATE runs SET tasks = ? WHERE id = ?');
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

  /** The job's IN_PROGRESS run, if any (the database allows one). */
  inProgress(jobId: number): number | undefined {
    return this.inProgressForJob.get(jobId) as number | undefined;
  }

  /** QUEUED -> IN_PROGRESS (STARTING); false when the run was no longer queued. */
  claim(id: number, scriptMd5: string): boolean {
    return this.claimStmt.run(scriptMd5, id).changes === 1;
  }

  running(id: number, at: number, pid: number | null): void {
    this.runningStmt.run(at, pid, id);
  }

  phase(id: number, phase: RunPhase, lastSeq: number): void {
    this.phaseStmt.run(phase, lastSeq, id);
  }

  setProgress(id: number, percent: number, message: string, lastSeq: number): void {
    this.progressStmt.run(percent, message, lastSeq, id);
  }

  markTruncated(id: number): void {
    this.truncatedStmt.run(id);
  }

  raiseLastSeq(id: number, seq: number): void {
    this.lastSeqStmt.run(seq, id);
  }

  /** Records the end of a run that has not ended yet; false when it had. */
  end(id: number, e: RunEnd): boolean {
    return this.endStmt.run({ ...e, id }).changes === 1;
  }

  /** A finished run -> QUEUED in its next round (a re-run); false when it had not finished. */
  reopen(id: number, owner: string): boolean {
    return this.reopenStmt.run(owner, id).changes === 1;
  }

  /** When the job's latest run was queued (null: it never ran). */
  latestQueuedAt(jobId: number): number | null {
    return this.q.get('SELECT MAX(queued_at) FROM runs WHERE job_id = ?').pluck().get(jobId) as number | null;
  }

  /** The job's latest run finished after `since` (with that status, if given). */
  finishedSince(jobId: number, since: number, status: RunStatus | null): { id: number; status: RunStatus; finished_at: number } | undefined {
    const statuses = status ? [status] : ['SUCCEEDED', 'FAILED', 'CANCELLED'];
    return this.q
      .get(
        `SELECT id, status, finished_at FROM runs WHERE job_id = ? AND finished_at > ? AND status IN (${statuses.map(() => '?').join(',')})
         ORDER BY finished_at DESC LIMIT 1`,
      )
      .get(jobId, since, ...statuses) as { id: number; status: RunStatus; finished_at: number } | undefined;
  }

  /** The job's latest finished run, whatever its status. */
  lastFinished(jobId: number): { id: number; status: RunStatus; finished_at: number } | undefined {
    return this.finishedSince(jobId, -1, null);
  }

  setTasks(id: number, count: number): void {
    this.tasksStmt.run(count, id);
  }

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
    return this.q.get("SELECT DISTINCT owner FROM runs WHERE status IN ('QUEUED','IN_PROGRESS')").pluck().all() as string[];
  }

  /** Runs of this owner with a cancel request pending. */
  cancelRequested(owner: string): { id: number; cancel_by: string }[] {
    return this.q
      .get("SELECT id, cancel_by FROM runs WHERE owner = ? AND cancel_by IS NOT NULL AND status IN ('QUEUED','IN_PROGRESS')")
      .all(owner) as { id: number; cancel_by: string }[];
  }

  /** Ids of a job's finished runs beyond the newest `keep`. */
  /** Up to `limit` of a job's finished runs beyond its newest `keep`. */
  beyondRetention(jobId: number, keep: number, limit: number): number[] {
    return this.q
      .get(`SELECT id FROM runs WHERE job_id = ? AND status IN ('SUCCEEDED','FAILED','CANCELLED') ORDER BY id DESC LIMIT ? OFFSET ?`)
      .pluck()
      .all(jobId, limit, keep) as number[];
  }

  /**
   * Which of these runs are finished: one query for a batch, instead of a row
   * read each. CROSS JOIN keeps the ids' order of lookup (by rowid); left to
   * itself, SQLite may walk the status index over every finished run.
   */
  finishedAmong(ids: readonly number[]): Set<number> {
    const rows = this.q
      .get("SELECT r.id FROM json_each(?) AS j CROSS JOIN runs AS r ON r.id = j.value WHERE r.status IN ('SUCCEEDED','FAILED','CANCELLED')")
      .pluck()
      .all(JSON.stringify(ids)) as number[];
    return new Set(rows);
  }

  delete(id: number): void {
    // Only a finished run: one re-run meanwhile is kept.
    this.q.get("DELETE FROM runs WHERE id = ? AND status IN ('SUCCEEDED','FAILED','CANCELLED')").run(id);
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
