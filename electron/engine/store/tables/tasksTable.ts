/** Statements on workflow runs' plans and task runs. Only the store's intents call the writing ones. */
import type { Db } from '../database';
import type { TaskPlace, TaskRow, TaskState } from '../taskRows';

export interface PlanRow {
  only_path: string | null;
  plan: string | null;
}

const STATE_COLUMNS = 'status, attempts, round, started_at, finished_at, exit_code, failure, error, result, reused, note';

export class TasksTable {
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly listStmt;
  private readonly byPath;
  private readonly planGet;
  private readonly planUpsert;
  private readonly onlyInsert;
  private readonly closeRunning;
  private readonly closePending;
  private readonly unreuse;
  private readonly countStmt;
  private readonly onlyClear;

  constructor(db: Db) {
    this.insertStmt = db.prepare(`INSERT INTO task_runs (run_id, idx, path, name, parent, depth, kind, ${STATE_COLUMNS})
      VALUES (@run_id, @idx, @path, @name, @parent, @depth, @kind, @status, @attempts, @round, @started_at, @finished_at,
      @exit_code, @failure, @error, @result, @reused, @note)`);
    this.updateStmt = db.prepare(`UPDATE task_runs SET status = @status, attempts = @attempts, round = @round,
      started_at = @started_at, finished_at = @finished_at, exit_code = @exit_code, failure = @failure, error = @error,
      result = @result, reused = @reused, note = @note WHERE run_id = @run_id AND idx = @idx`);
    this.listStmt = db.prepare('SELECT * FROM task_runs WHERE run_id = ? ORDER BY idx');
    this.byPath = db.prepare('SELECT * FROM task_runs WHERE run_id = ? AND path = ?');
    this.planGet = db.prepare('SELECT only_path, plan FROM run_plans WHERE run_id = ?');
    this.planUpsert = db.prepare(
      'INSERT INTO run_plans (run_id, plan) VALUES (?, ?) ON CONFLICT(run_id) DO UPDATE SET plan = excluded.plan',
    );
    this.onlyInsert = db.prepare('INSERT INTO run_plans (run_id, only_path) VALUES (?, ?)');
    this.closeRunning = db.prepare(`UPDATE task_runs SET status = ?, failure = ?, error = ?, finished_at = COALESCE(finished_at, ?)
      WHERE run_id = ? AND status IN ('RUNNING','QUEUED')`);
    this.closePending = db.prepare("UPDATE task_runs SET status = 'SKIPPED', note = ? WHERE run_id = ? AND status = 'PENDING'");
    this.unreuse = db.prepare('UPDATE task_runs SET reused = 0 WHERE run_id = ? AND reused = 1');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM task_runs WHERE run_id = ?').pluck();
    this.onlyClear = db.prepare('UPDATE run_plans SET only_path = NULL WHERE run_id = ?');
  }

  insertMany(runId: number, rows: readonly (TaskPlace & TaskState)[]): void {
    for (const r of rows) this.insertStmt.run({ ...r, run_id: runId });
  }

  update(runId: number, idx: number, state: TaskState): void {
    this.updateStmt.run({ ...state, run_id: runId, idx });
  }

  list(runId: number): TaskRow[] {
    return this.listStmt.all(runId) as TaskRow[];
  }

  get(runId: number, path: string): TaskRow | undefined {
    return this.byPath.get(runId, path) as TaskRow | undefined;
  }

  count(runId: number): number {
    return this.countStmt.get(runId) as number;
  }

  plan(runId: number): PlanRow | undefined {
    return this.planGet.get(runId) as PlanRow | undefined;
  }

  setPlan(runId: number, plan: string): void {
    this.planUpsert.run(runId, plan);
  }

  /** A run of one task (and its subtasks) only. */
  setOnly(runId: number, path: string): void {
    this.onlyInsert.run(runId, path);
  }

  /**
   * Closes the task runs of a run that ended without its workflow closing them
   * (cancelled before it started, interrupted): running ones get the run's
   * outcome, the ones not reached are skipped.
   */
  closeOpen(runId: number, running: { status: 'FAILED' | 'CANCELLED'; failure: string; error: string }, note: string, now: number): void {
    this.closeRunning.run(running.status, running.failure, running.error, now, runId);
    this.closePending.run(note, runId);
  }

  /** A re-run executes the tasks it reset, whatever the run first selected. */
  clearOnly(runId: number): void {
    this.onlyClear.run(runId);
  }

  clearReused(runId: number): void {
    this.unreuse.run(runId);
  }
}
