/**
 * The rules a new run must pass, checked inside the transaction that queues
 * it (trigger, schedule, retry): the job exists and is not archived, its
 * parameters resolve, and its overlap policy allows another run.
 */
import { JobdeckError, notFound } from '../../../shared/errors';
import { paramValueProblem, type ParamDef, type ParamValue, type RunStatus } from '../../../shared/model/job';
import type { RunTrigger } from '../../../shared/model/run';
import type { JobRow, RunRow } from './rows';
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { runsTable } from './tables/runsTable';
import { tasksTable } from './tables/tasksTable';
import type { Work } from './work';

export interface QueueRequest {
  jobId: number;
  trigger: RunTrigger;
  /** Who asked (a user name, or `scheduler`). */
  by: string;
  args?: string;
  /** Parameter overrides, on top of the job's stored values and defaults. */
  params?: Record<string, ParamValue>;
  /** The params are the full set already resolved (retries reuse the failed run's). */
  useGivenParams?: boolean;
  dueAt?: number;
  notBefore?: number;
  attempt?: number;
  retryOf?: number;
  /** A workflow run of this task (path) and its subtasks only. */
  task?: string;
}

/** Triggers a person asked for (audited); the others come from the scheduler or the engine. */
const ON_DEMAND: readonly RunTrigger[] = ['manual', 'api', 'cli'];

/** The parameter values a run uses: overrides, else the job's stored values, else defaults. */
export function resolveParams(job: Pick<JobRow, 'params' | 'param_values'>, overrides: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  const defs = JSON.parse(job.params) as ParamDef[];
  const stored = JSON.parse(job.param_values) as Record<string, ParamValue>;
  for (const name of Object.keys(overrides)) {
    if (!defs.some((d) => d.name === name)) {
      throw new JobdeckError('VALIDATION_FAILED', `params.${name}: the job has no parameter named ${name}`, `params.${name}`);
    }
  }
  const out: Record<string, ParamValue> = {};
  for (const def of defs) {
    const value = overrides[def.name] ?? stored[def.name] ?? def.default;
    if (value === undefined || value === '') {
      if (def.required) throw new JobdeckError('VALIDATION_FAILED', `params.${def.name}: ${def.name} is required`, `params.${def.name}`);
      continue;
    }
    const problem = paramValueProblem(def, value);
    if (problem) throw new JobdeckError('VALIDATION_FAILED', `params.${def.name}: ${problem}`, `params.${def.name}`);
    out[def.name] = value;
  }
  return out;
}

/**
 * A job's row and its unfinished runs, read by the caller under the job's
 * row lock for several fires at once (recordFires: two statements per batch
 * instead of two per fire). insertRunOfJob adds each run it queues to
 * `active`, so a second fire of the job in the batch sees the first.
 */
export interface LockedJob {
  job: JobRow;
  active: { id: number; status: RunStatus }[];
}

/** Why the job's overlap policy refuses another run now, or null. */
function overlapProblem(job: JobRow, active: readonly { id: number; status: RunStatus }[]): JobdeckError | null {
  if (job.overlap === 'skip' && active.length > 0) {
    return new JobdeckError(
      'JOB_ALREADY_RUNNING',
      `Job "${job.name}" is currently running (run ${active[0]!.id}); try again when it has finished`,
      'jobId',
    );
  }
  const waiting = active.find((r) => r.status === 'QUEUED');
  if (job.overlap === 'queue' && waiting) {
    return new JobdeckError('JOB_ALREADY_QUEUED', `Job "${job.name}" already has a run waiting (run ${waiting.id})`, 'jobId');
  }
  return null;
}

/** Checks and inserts a QUEUED run. Call inside a write transaction. */
export function* insertRun(req: QueueRequest, owner: string, now: number): Work<RunRow> {
  return (yield* insertRunOfJob(req, owner, now)).row;
}

/**
 * insertRun, also answering the job's row as it read it (locked until the
 * transaction ends): callers need not read it again. `locked`: the job's row
 * and unfinished runs as the caller read them under that lock (not read again).
 */
export function* insertRunOfJob(req: QueueRequest, owner: string, now: number, locked?: LockedJob): Work<{ row: RunRow; job: JobRow }> {
  const job = locked ? locked.job : yield* jobsTable.getForUpdate(req.jobId);
  if (!job) throw notFound('job', req.jobId, 'jobId');
  if (job.archived) throw new JobdeckError('JOB_ARCHIVED', `job "${job.name}" is archived; unarchive it to run it`, 'jobId');
  const params = req.useGivenParams ? (req.params ?? {}) : resolveParams(job, req.params);
  const active = locked ? locked.active : yield* runsTable.active(job.id);
  const refused = overlapProblem(job, active);
  if (refused) throw refused;
  const fields = {
    jobId: job.id,
    trigger: req.trigger,
    triggeredBy: req.by,
    user: job.user,
    args: (req.args ?? '').trim(),
    params: JSON.stringify(params),
    dueAt: req.dueAt ?? null,
    notBefore: req.notBefore ?? null,
    queuedAt: now,
    attempt: req.attempt ?? 1,
    retryOf: req.retryOf ?? null,
    owner,
  };
  const id = yield* runsTable.insert(fields);
  locked?.active.push({ id, status: 'QUEUED' });
  if (req.task !== undefined) yield* tasksTable.setOnly(id, req.task);
  if (ON_DEMAND.includes(req.trigger)) {
    yield* auditTable.add({
      at: now,
      actor: req.by,
      action: 'run.trigger',
      targetType: 'run',
      targetId: id,
      targetName: job.name,
      jobId: job.id,
      details: { trigger: req.trigger, args: req.args ?? '', params },
    });
  }
  // The row as the store now holds it (reading it back would cost a query per trigger).
  const row: RunRow = {
    id,
    job_id: job.id,
    job_name: job.name,
    status: 'QUEUED',
    phase: null,
    trigger: fields.trigger,
    triggered_by: fields.triggeredBy,
    user: fields.user,
    args: fields.args,
    params: fields.params,
    due_at: fields.dueAt,
    not_before: fields.notBefore,
    queued_at: now,
    started_at: null,
    finished_at: null,
    exit_code: null,
    signal: null,
    error: null,
    failure: null,
    script_md5: null,
    log_truncated: 0,
    progress_pct: null,
    progress_msg: null,
    attempt: fields.attempt,
    retry_of: fields.retryOf,
    last_seq: 0,
    result_file: null,
    owner,
    pid: null,
    cancel_by: null,
    round: 0,
    tasks: null,
  };
  return { row, job };
}
