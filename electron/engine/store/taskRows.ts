/** Task runs as stored, and as the contract shows them. */
import { iso } from '../../../shared/dates';
import { TASK_RESULT_LIST_BYTES, type TaskFailure, type TaskKind, type TaskRun, type TaskStatus } from '../../../shared/model/workflow';

/** What a task run is now: the columns that change as it runs. */
export interface TaskState {
  status: TaskStatus;
  attempts: number;
  round: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  failure: TaskFailure | null;
  error: string | null;
  /** JSON text. */
  result: string | null;
  reused: number;
  note: string | null;
}

/** Where a task is in its run's tree: fixed when the run starts. */
export interface TaskPlace {
  idx: number;
  path: string;
  name: string;
  parent: string | null;
  depth: number;
  kind: TaskKind;
}

export interface TaskRow extends TaskPlace, TaskState {
  run_id: number;
}

export const PENDING_STATE: TaskState = {
  status: 'PENDING',
  attempts: 0,
  round: 0,
  started_at: null,
  finished_at: null,
  exit_code: null,
  failure: null,
  error: null,
  result: null,
  reused: 0,
  note: null,
};

export function toTaskRun(row: TaskPlace & TaskState, now = Date.now()): TaskRun {
  const end = row.finished_at ?? (row.started_at !== null && (row.status === 'RUNNING' || row.status === 'QUEUED') ? now : null);
  return {
    path: row.path,
    name: row.name,
    parent: row.parent,
    depth: row.depth,
    index: row.idx,
    kind: row.kind,
    status: row.status,
    attempts: row.attempts,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    durationMs: row.started_at !== null && end !== null ? Math.max(0, end - row.started_at) : null,
    exitCode: row.exit_code,
    failure: row.failure,
    error: row.error,
    result: row.result === null || row.result.length > TASK_RESULT_LIST_BYTES ? null : (JSON.parse(row.result) as unknown),
    resultTruncated: row.result !== null && row.result.length > TASK_RESULT_LIST_BYTES,
    reused: row.reused === 1,
    note: row.note,
    round: row.round,
  };
}
