/** Runs, their log lines and result files. */
import { z } from 'zod';
import { paramValue, runStatusSchema, type RunStatus } from './job';

export const RUN_TRIGGERS = ['schedule', 'manual', 'api', 'cli', 'retry', 'catch-up'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const FINISHED_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isFinished = (s: RunStatus): boolean => FINISHED_STATUSES.includes(s);

const isoTime = z.string().describe('ISO 8601 time');

export const progressSchema = z.object({ percent: z.number(), message: z.string() });
export type Progress = z.infer<typeof progressSchema>;

export const runSchema = z.object({
  id: z.number().int(),
  jobId: z.number().int(),
  jobName: z.string(),
  status: runStatusSchema,
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
  progress: progressSchema.nullable(),
  attempt: z.number().int(),
  retryOf: z.number().int().nullable(),
  /** Highest log sequence number written so far. */
  lastSeq: z.number().int(),
  /** Name of the primary result file, if any. */
  resultFile: z.string().nullable(),
  cancelRequested: z.boolean(),
});
export type Run = z.infer<typeof runSchema>;

export const LOG_STREAMS = ['stdout', 'stderr', 'system'] as const;
export type LogStream = (typeof LOG_STREAMS)[number];

export const logLineSchema = z.object({
  seq: z.number().int(),
  ts: isoTime,
  stream: z.enum(LOG_STREAMS),
  text: z.string(),
});
export type LogLine = z.infer<typeof logLineSchema>;

export const resultFileSchema = z.object({
  name: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  primary: z.boolean(),
});
export type ResultFile = z.infer<typeof resultFileSchema>;

export const logPageSchema = z.object({
  lines: z.array(logLineSchema),
  /** Sequence number of the last line returned (or afterSeq when none). */
  lastSeq: z.number().int(),
  /** True when the run has finished and no lines after lastSeq exist. */
  done: z.boolean(),
});
export type LogPage = z.infer<typeof logPageSchema>;

const STAGE: Record<RunStatus, number> = { QUEUED: 0, IN_PROGRESS: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };

/**
 * Of two snapshots of the same run, the later one. Answers to calls and live
 * events can arrive in either order; a run never goes back from finished to
 * running, nor from running to queued, and its log only grows.
 */
export function laterRunState(current: Run | null | undefined, incoming: Run): Run {
  if (!current || current.id !== incoming.id) return incoming;
  const a = STAGE[current.status];
  const b = STAGE[incoming.status];
  if (a !== b) return b > a ? incoming : current;
  if (a === 2) return incoming;
  return incoming.lastSeq >= current.lastSeq || incoming.progress !== null ? incoming : current;
}
