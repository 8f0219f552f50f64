/**
 * The console's overview in one read: what failed, what runs, what fires
 * next, how the last week went, and what holds a lock. Every list is capped
 * (with its total beside it) so the answer stays small however large the
 * store grows.
 */
import * as z from 'zod';
import { isoTime } from './time';

/** Caps of the dashboard's lists (their totals are given beside them). */
export const DASHBOARD_LIMITS = { failing: 20, running: 50, next: 50, slowest: 8, locks: 20, textChars: 300 } as const;
/** Hours of history the charts cover: the last 7 days. */
export const DASHBOARD_HOURS = 7 * 24;

// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const dashboardSchema = z.lazy(() =>
  z.object({
    /** When the figures were read. */
    at: isoTime,
    /** Jobs not archived, by the status of their last run ('never': not run yet). */
    jobs: z.object({
      total: z.number().int(),
      disabled: z.number().int(),
      byLastStatus: z.object({
        SUCCEEDED: z.number().int(),
        FAILED: z.number().int(),
        CANCELLED: z.number().int(),
        IN_PROGRESS: z.number().int(),
        QUEUED: z.number().int(),
        never: z.number().int(),
      }),
    }),
    /** Jobs whose last run failed, most recent first, with its error and last stderr line. */
    failing: z.array(
      z.object({
        jobId: z.number().int(),
        jobName: z.string(),
        runId: z.number().int(),
        at: isoTime,
        error: z.string().nullable(),
        lastLine: z.string().nullable(),
      }),
    ),
    failingTotal: z.number().int(),
    /** Runs in progress, longest running first; `usualMs`: the median of the job's recent successful runs. */
    running: z.array(
      z.object({
        runId: z.number().int(),
        jobId: z.number().int(),
        jobName: z.string(),
        startedAt: isoTime.nullable(),
        percent: z.number().nullable(),
        message: z.string().nullable(),
        usualMs: z.number().int().nullable(),
      }),
    ),
    runningTotal: z.number().int(),
    queued: z.number().int(),
    /** The next fire of each enabled job due within 24 hours, soonest first. */
    next: z.array(z.object({ jobId: z.number().int(), jobName: z.string(), at: isoTime })),
    nextTotal: z.number().int(),
    /** Runs queued in each of the last 168 hours (oldest first), and how many of them failed. */
    hours: z.array(z.object({ at: isoTime, runs: z.number().int(), failed: z.number().int() })),
    /** Jobs with the longest average run over 7 days, with their last run's duration against it. */
    slowest: z.array(
      z.object({
        jobId: z.number().int(),
        jobName: z.string(),
        runs: z.number().int(),
        usualMs: z.number().int(),
        lastRunId: z.number().int(),
        lastMs: z.number().int(),
      }),
    ),
    locks: z.array(z.object({ name: z.string(), jobId: z.number().int(), jobName: z.string(), runId: z.number().int(), since: isoTime })),
    locksTotal: z.number().int(),
  }),
);
export type Dashboard = z.infer<typeof dashboardSchema>;
