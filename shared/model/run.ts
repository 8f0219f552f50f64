/** Runs, their log lines and result files. */
import * as z from 'zod';
import { isoTime } from './time';
import { paramValue, runStatusSchema, type RunStatus } from './job';

/** `dependency`: the jobs it runs after have finished (the job's `after` list). */
export const RUN_TRIGGERS = ['schedule', 'manual', 'api', 'cli', 'retry', 'catch-up', 'dependency'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const FINISHED_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isFinished = (s: RunStatus): boolean => FINISHED_STATUSES.includes(s);

/**
 * Where an IN_PROGRESS run is in its life: its process is being started,
 * is running, or has exited and its outcome is being recorded.
 */
export const RUN_PHASES = ['STARTING', 'RUNNING', 'FINISHING'] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/**
 * Why a run did not succeed, beside the human message in `error`:
 * - EXIT: the script exited with a non-zero code;
 * - SIGNAL: the script was killed by a signal Jobdeck did not send;
 * - TIMEOUT: stopped at the job's timeout;
 * - CANCELLED: cancelled by a user or by the engine's shutdown;
 * - INTERRUPTED: the Jobdeck process running it stopped before it finished;
 * - SPAWN_FAILED: the runtime could not be started (not installed, bad command line);
 * - PREPARE_FAILED: the run's folder could not be made (disk full, permissions);
 * - LAUNCHER_DIED: the process that started the script died while it ran.
 * - TASK_FAILED: a workflow's task failed without continueOnFailure (the task run says how).
 * - SKIPPED: a gated job did not run: its dependencies had not succeeded within the window.
 */
export const FAILURE_CODES = [
  'EXIT',
  'SIGNAL',
  'TIMEOUT',
  'CANCELLED',
  'INTERRUPTED',
  'SPAWN_FAILED',
  'PREPARE_FAILED',
  'LAUNCHER_DIED',
  /** A workflow task failed (its own failure is on the task run). */
  'TASK_FAILED',
  /** Not run: a gated job's dependencies had not succeeded in time. */
  'SKIPPED',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** Failures a retry cannot cure: the same run would fail the same way (and a cancel is a decision). */
export const FINAL_FAILURES: readonly FailureCode[] = ['SPAWN_FAILED', 'CANCELLED', 'SKIPPED'];
export const isRetryable = (failure: FailureCode | null): boolean => failure !== null && !FINAL_FAILURES.includes(failure);


// Schemas of answers, events and rarely used inputs are made when first used (z.lazy): a process
// builds only those it checks against, so a `jobdeck` command's start skips the rest (~10 ms of `run`'s).
export const progressSchema = z.lazy(() => z.object({ percent: z.number(), message: z.string() }));
export type Progress = z.infer<typeof progressSchema>;

export const runSchema = z.lazy(() =>
  z.object({
    id: z.number().int(),
    jobId: z.number().int(),
    jobName: z.string(),
    status: runStatusSchema,
    /** Where an IN_PROGRESS run is (null otherwise). */
    phase: z.enum(RUN_PHASES).nullable(),
    trigger: z.enum(RUN_TRIGGERS),
    /** Who asked for the run (a user, or `scheduler`). */
    triggeredBy: z.string(),
    /** The job's associated user at trigger time: the user the run's actions are attributed to. */
    user: z.string(),
    args: z.string(),
    params: z.record(z.string(), paramValue),
    /** When a scheduled run was due; null for on-demand runs. */
    dueAt: isoTime.nullable(),
    queuedAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    error: z.string().nullable(),
    /** Why a FAILED or CANCELLED run did not succeed (null otherwise). */
    failure: z.enum(FAILURE_CODES).nullable(),
    /** MD5 of the script version the run executes (null until it starts). */
    scriptMd5: z.string().nullable(),
    progress: progressSchema.nullable(),
    attempt: z.number().int(),
    retryOf: z.number().int().nullable(),
    /** Highest log sequence number written so far. */
    lastSeq: z.number().int(),
    /** True when the run printed more than the log limit and later lines were not kept. */
    logTruncated: z.boolean(),
    /** Name of the primary result file, if any. */
    resultFile: z.string().nullable(),
    cancelRequested: z.boolean(),
    /** How many times this (workflow) run was re-run in place; 0 for its first round. */
    round: z.number().int(),
    /** Number of tasks of a workflow run once it started; null for a script run. */
    tasks: z.number().int().nullable(),
  }),
);
export type Run = z.infer<typeof runSchema>;

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export const logLineSchema = z.lazy(() =>
  z.object({
    seq: z.number().int(),
    ts: isoTime,
    stream: z.enum(LOG_STREAMS),
    text: z.string(),
    /** Path of the workflow task that printed the line (#.load.eu); absent for a script run. */
    task: z.string().optional(),
  }),
);
export type LogLine = z.infer<typeof logLineSchema>;

export const resultFileSchema = z.lazy(() =>
  z.object({
    name: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    primary: z.boolean(),
  }),
);
export type ResultFile = z.infer<typeof resultFileSchema>;

export const logPageSchema = z.lazy(() =>
  z.object({
    lines: z.array(logLineSchema),
    /** Sequence number of the last line returned (or afterSeq when none). */
    lastSeq: z.number().int(),
    /** True when the run has finished and no lines after lastSeq exist. */
    done: z.boolean(),
  }),
);
export type LogPage = z.infer<typeof logPageSchema>;

const STAGE: Record<RunStatus, number> = { QUEUED: 0, IN_PROGRESS: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/**
 * Of two snapshots of the same run, the later one. Answers to calls and live
 * events can arrive in either order; within a round a run never goes back
 * from finished to running, nor from running to queued, and its log only
 * grows. A re-run (a later round) starts over from queued.
 */
export function laterRunState(current: Run | null | undefined, incoming: Run): Run {
  if (!current || current.id !== incoming.id) return incoming;
  if (current.round !== incoming.round) return incoming.round > current.round ? incoming : current;
  const a = STAGE[current.status];
  const b = STAGE[incoming.status];
  if (a !== b) return b > a ? incoming : current;
  if (a === 2) return incoming;
  return incoming.lastSeq >= current.lastSeq || incoming.progress !== null ? incoming : current;
}
