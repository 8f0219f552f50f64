/** Statements on workflow runs' plans and task runs. Both backends; only the store's intents call the writing ones. */
import type { TaskPlace, TaskRow, TaskState } from '../taskRows';
import { all, get, run, sql, type Work } from '../work';

export interface PlanRow {
  only_path: string | null;
  plan: string | null;
}

const STATE_COLUMNS = 'status, attempts, round, started_at, finished_at, exit_code, failure, error, result, reused, note';

const INSERT = sql(`INSERT INTO task_runs (run_id, idx, path, name, parent, depth, kind, ${STATE_COLUMNS})
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
const UPDATE = sql(`UPDATE task_runs SET status = ?, attempts = ?, round = ?, started_at = ?, finished_at = ?, exit_code = ?,
  failure = ?, error = ?, result = ?, reused = ?, note = ? WHERE run_id = ? AND idx = ?`);
const LIST = sql('SELECT * FROM task_runs WHERE run_id = ? ORDER BY idx');
const BY_PATH = sql('SELECT * FROM task_runs WHERE run_id = ? AND path = ?');
const PLAN = sql('SELECT only_path, plan FROM run_plans WHERE run_id = ?');
const SET_PLAN = sql('INSERT INTO run_plans (run_id, plan) VALUES (?, ?) ON CONFLICT(run_id) DO UPDATE SET plan = excluded.plan');
const SET_ONLY = sql('INSERT INTO run_plans (run_id, only_path) VALUES (?, ?)');
const CLOSE_RUNNING = sql(`UPDATE task_runs SET status = ?, failure = ?, error = ?, finished_at = COALESCE(finished_at, ?)
  WHERE run_id = ? AND status IN ('RUNNING','QUEUED')`);
const CLOSE_PENDING = sql("UPDATE task_runs SET status = 'SKIPPED', note = ? WHERE run_id = ? AND status = 'PENDING'");
const UNREUSE = sql('UPDATE task_runs SET reused = 0 WHERE run_id = ? AND reused = 1');
const COUNT = sql('SELECT COUNT(*) AS n FROM task_runs WHERE run_id = ?');
const CLEAR_ONLY = sql('UPDATE run_plans SET only_path = NULL WHERE run_id = ?');

const stateValues = (s: TaskState) => [s.status, s.attempts, s.round, s.started_at, s.finished_at, s.exit_code, s.failure, s.error, s.result, s.reused, s.note];

export const tasksTable = {
  *insertMany(runId: number, rows: readonly (TaskPlace & TaskState)[]): Work<void> {
    for (const r of rows) yield* run(INSERT, runId, r.idx, r.path, r.name, r.parent, r.depth, r.kind, ...stateValues(r));
  },

  *update(runId: number, idx: number, state: TaskState): Work<void> {
    yield* run(UPDATE, ...stateValues(state), runId, idx);
  },

  list(runId: number): Work<TaskRow[]> {
    return all<TaskRow>(LIST, runId);
  },

  get(runId: number, path: string): Work<TaskRow | undefined> {
    return get<TaskRow>(BY_PATH, runId, path);
  },

  *count(runId: number): Work<number> {
    return (yield* get<{ n: number }>(COUNT, runId))!.n;
  },

  plan(runId: number): Work<PlanRow | undefined> {
    return get<PlanRow>(PLAN, runId);
  },

  *setPlan(runId: number, plan: string): Work<void> {
    yield* run(SET_PLAN, runId, plan);
  },

  /** A run of one task (and its subtasks) only. */
  *setOnly(runId: number, path: string): Work<void> {
    yield* run(SET_ONLY, runId, path);
  },

  /**
   * Closes the task runs of a run that ended without its workflow closing them
   * (cancelled before it started, interrupted): running ones get the run's
   * outcome, the ones not reached are skipped.
   */
  *closeOpen(runId: number, running: { status: 'FAILED' | 'CANCELLED'; failure: string; error: string }, note: string, now: number): Work<void> {
    yield* run(CLOSE_RUNNING, running.status, running.failure, running.error, now, runId);
    yield* run(CLOSE_PENDING, note, runId);
  },

  /** A re-run executes the tasks it reset, whatever the run first selected. */
  *clearOnly(runId: number): Work<void> {
    yield* run(CLEAR_ONLY, runId);
  },

  *clearReused(runId: number): Work<void> {
    yield* run(UNREUSE, runId);
  },
};
