/** Conversions between store rows and contract shapes. */
import { iso } from '../../../shared/dates';
import type { Job, JobSpec, JobSummary, ParamValue, RunStatus, Schedule } from '../../../shared/model/job';
import type { FailureCode, LogLine, LogStream, Run, RunPhase, RunTrigger } from '../../../shared/model/run';

export interface JobRow {
  id: number;
  name: string;
  grp: string;
  description: string;
  script?: string;
  script_md5: string;
  runtime: string;
  params: string;
  param_values: string;
  user: string;
  schedule_kind: Schedule['kind'];
  interval_s: number | null;
  cron_expr: string | null;
  timezone: string | null;
  enabled: number;
  archived: number;
  timeout_s: number | null;
  overlap: JobSpec['overlap'];
  retry_count: number;
  retry_delay_s: number;
  misfire: JobSpec['misfire'];
  lock_name: string | null;
  retention: number;
  /** JSON: the jobs it waits for. */
  after_deps: string;
  gate_minutes: number | null;
  /** JSON: its notification rules, or null. */
  notify: string;
  /** 1: node/python3 runs may start in a pre-started interpreter. */
  warm: number;
  revision: number;
  next_fire_at: number | null;
  last_run_id: number | null;
  last_status: RunStatus | null;
  last_run_at: number | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

export const SUMMARY_COLUMNS =
  'id, name, grp, description, script_md5, runtime, params, param_values, "user", schedule_kind, interval_s, cron_expr, timezone, enabled, archived, timeout_s, overlap, retry_count, retry_delay_s, misfire, lock_name, retention, after_deps, gate_minutes, notify, warm, revision, next_fire_at, last_run_id, last_status, last_run_at, created_at, created_by, updated_at, updated_by';

export function scheduleOf(row: Pick<JobRow, 'schedule_kind' | 'interval_s' | 'cron_expr' | 'timezone'>): Schedule {
  switch (row.schedule_kind) {
    case 'interval':
      return { kind: 'interval', seconds: row.interval_s ?? 60 };
    case 'cron':
      return { kind: 'cron', expression: row.cron_expr ?? '', timezone: row.timezone ?? 'UTC' };
    default:
      return { kind: 'manual' };
  }
}

export function specOf(row: JobRow): JobSpec {
  return {
    name: row.name,
    group: row.grp,
    description: row.description,
    script: row.script ?? '',
    runtime: row.runtime,
    params: JSON.parse(row.params),
    paramValues: JSON.parse(row.param_values) as Record<string, ParamValue>,
    user: row.user,
    schedule: scheduleOf(row),
    enabled: row.enabled === 1,
    timeoutSeconds: row.timeout_s,
    overlap: row.overlap,
    retries: { count: row.retry_count, delaySeconds: row.retry_delay_s },
    misfire: row.misfire,
    lock: row.lock_name,
    retention: row.retention,
    after: JSON.parse(row.after_deps ?? '[]'),
    gate: row.gate_minutes === null || row.gate_minutes === undefined ? null : { withinMinutes: row.gate_minutes },
    notify: JSON.parse(row.notify ?? 'null'),
    warm: row.warm !== 0,
  };
}

export function toJobSummary(row: JobRow): JobSummary {
  const { script: _script, ...spec } = specOf(row);
  return {
    ...spec,
    id: row.id,
    scriptMd5: row.script_md5,
    archived: row.archived === 1,
    revision: row.revision,
    nextRunAt: iso(row.next_fire_at),
    lastRun:
      row.last_run_id !== null && row.last_status !== null && row.last_run_at !== null
        ? { id: row.last_run_id, status: row.last_status, at: iso(row.last_run_at)! }
        : null,
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
    updatedAt: iso(row.updated_at)!,
    updatedBy: row.updated_by,
  };
}

export function toJob(row: JobRow): Job {
  return { ...toJobSummary(row), script: row.script ?? '' };
}

/** Column values for a job spec (insert and update share them). */
export function specColumns(spec: JobSpec) {
  const s = spec.schedule;
  return {
    name: spec.name,
    grp: spec.group,
    description: spec.description,
    script: spec.script,
    runtime: spec.runtime,
    params: JSON.stringify(spec.params),
    param_values: JSON.stringify(spec.paramValues),
    user: spec.user,
    schedule_kind: s.kind,
    interval_s: s.kind === 'interval' ? s.seconds : null,
    cron_expr: s.kind === 'cron' ? s.expression : null,
    timezone: s.kind === 'cron' ? s.timezone : null,
    enabled: spec.enabled ? 1 : 0,
    timeout_s: spec.timeoutSeconds,
    overlap: spec.overlap,
    retry_count: spec.retries.count,
    retry_delay_s: spec.retries.delaySeconds,
    misfire: spec.misfire,
    lock_name: spec.lock,
    retention: spec.retention,
    after_deps: JSON.stringify(spec.after ?? []),
    gate_minutes: spec.gate?.withinMinutes ?? null,
    notify: JSON.stringify(spec.notify ?? null),
    warm: spec.warm === false ? 0 : 1,
  };
}

export interface RunRow {
  id: number;
  job_id: number;
  job_name: string;
  status: RunStatus;
  phase: RunPhase | null;
  trigger: RunTrigger;
  triggered_by: string;
  user: string;
  args: string;
  params: string;
  due_at: number | null;
  not_before: number | null;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  error: string | null;
  failure: FailureCode | null;
  script_md5: string | null;
  log_truncated: number;
  progress_pct: number | null;
  progress_msg: string | null;
  attempt: number;
  retry_of: number | null;
  last_seq: number;
  result_file: string | null;
  owner: string;
  pid: number | null;
  cancel_by: string | null;
  /** Re-runs of a workflow run so far. */
  round: number;
  /** Number of task runs (a workflow run, once started); null for a script run. */
  tasks: number | null;
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    jobId: row.job_id,
    jobName: row.job_name,
    status: row.status,
    phase: row.status === 'IN_PROGRESS' ? (row.phase ?? 'RUNNING') : null,
    trigger: row.trigger,
    triggeredBy: row.triggered_by,
    user: row.user,
    args: row.args,
    params: JSON.parse(row.params) as Record<string, ParamValue>,
    dueAt: iso(row.due_at),
    queuedAt: iso(row.queued_at)!,
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    exitCode: row.exit_code,
    signal: row.signal,
    error: row.error,
    failure: row.failure,
    scriptMd5: row.script_md5,
    progress: row.progress_pct === null ? null : { percent: row.progress_pct, message: row.progress_msg ?? '' },
    attempt: row.attempt,
    retryOf: row.retry_of,
    lastSeq: row.last_seq,
    logTruncated: row.log_truncated === 1,
    resultFile: row.result_file,
    cancelRequested: row.cancel_by !== null,
    round: row.round,
    tasks: row.tasks,
  };
}

export const STREAM_CODES: Record<LogStream, number> = { stdout: 1, stderr: 2, system: 0 };
export const STREAM_NAMES: LogStream[] = ['system', 'stdout', 'stderr'];

export interface LogRow {
  seq: number;
  ts: number;
  stream: number;
  text: string;
  /** Path of the workflow task that printed it. */
  task: string | null;
}

export function toLogLine(row: LogRow): LogLine {
  const line: LogLine = { seq: row.seq, ts: iso(row.ts)!, stream: STREAM_NAMES[row.stream] ?? 'system', text: row.text };
  if (row.task !== null) line.task = row.task;
  return line;
}
