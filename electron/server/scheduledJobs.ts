/**
 * The scheduled-job runs API (OpenSpecimen style) as its clients call it:
 * queue a job with space-separated args, list its runs by date and status,
 * download a run's result file. An adapter over the contract's calls.
 *
 * The seed knows three statuses and promises that a job has at most one
 * IN_PROGRESS run. A run waiting to start counts as IN_PROGRESS only while
 * no other run of the job is in progress (a job with the queue policy can
 * have one of each); CANCELLED counts as FAILED. Jobdeck's own status is
 * beside it, in `jobdeckStatus`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as z from 'zod';
import type { Download } from '../../shared/contract';
import { DATE_FORMAT_HINT, parseDate } from '../../shared/dates';
import { checkRole, validationError } from '../../shared/dispatch';
import { JobdeckError } from '../../shared/errors';
import type { Job, RunStatus } from '../../shared/model/job';
import type { Run } from '../../shared/model/run';
import { describeSchedule } from '../../shared/schedule';
import type { AuthGuard } from './auth';
import { coerceFields } from './coerce';
import { sendError } from './errors';
import { parseRunId, sendDownload } from './fileRoutes';
import type { ContractCall } from './seedCall';

export const SEED_STATUS: Record<RunStatus, 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED'> = {
  QUEUED: 'IN_PROGRESS',
  IN_PROGRESS: 'IN_PROGRESS',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'FAILED',
};
const SEED_FILTER: Record<string, RunStatus[]> = {
  IN_PROGRESS: ['QUEUED', 'IN_PROGRESS'],
  SUCCEEDED: ['SUCCEEDED'],
  FAILED: ['FAILED', 'CANCELLED'],
};

/** Runs per page when the client does not say (maxResults), and at most. */
export const SEED_PAGE_DEFAULT = 100;
export const SEED_PAGE_MAX = 1000;

/** A run as the scheduled-job-runs API shows it: who executed it, when, and its output. */
export function seedRun(run: Run) {
  return {
    id: run.id,
    jobId: run.jobId,
    jobName: run.jobName,
    status: SEED_STATUS[run.status],
    jobdeckStatus: run.status,
    failure: run.failure,
    args: run.args,
    runBy: run.triggeredBy,
    user: run.user,
    trigger: run.trigger,
    queuedAt: run.queuedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    exitCode: run.exitCode,
    error: run.error,
    progress: run.progress,
    logUrl: `/api/runs/${run.id}/log`,
    resultFile: run.resultFile,
    resultFileUrl: `/scheduled-jobs/${run.jobId}/runs/${run.id}/result-file`,
  };
}

/** A scheduled job as the seed's POST answers it ("details of the scheduled job that was queued"). */
function seedJob(job: Job, run: Run) {
  return {
    id: job.id,
    name: job.name,
    description: job.description,
    group: job.group,
    runAs: job.user,
    schedule: describeSchedule(job.schedule),
    enabled: job.enabled,
    archived: job.archived,
    nextRunAt: job.nextRunAt,
    lastRun: job.lastRun,
    queuedRunId: run.id,
    queuedRun: seedRun(run),
  };
}

const seedDate = z
  .string()
  .refine((s) => /^\d{8}(T\d{4}(\d{2})?)?$/.test(s) && parseDate(s) !== null, { message: `expected 20220221 or 20220221T061500 (${DATE_FORMAT_HINT})` });
const runsQuery = z.object({
  fromDate: seedDate.optional(),
  toDate: seedDate.optional(),
  status: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']).optional(),
  startAt: z.number().int().min(0).max(100_000_000).optional(),
  maxResults: z.number().int().min(1).max(SEED_PAGE_MAX).optional(),
});
const runBody = z.object({ args: z.string().max(10_000).optional() });

/** The seed's clients send empty parameters for "not given", and parameters of their own: both are ignored. */
function knownParams(query: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of Object.keys(runsQuery.shape)) {
    const value = query[key];
    if (value === undefined || value === '' || (Array.isArray(value) && value.every((v) => v === ''))) continue;
    out[key] = value;
  }
  return out;
}

export function registerScheduledJobs(app: FastifyInstance, auth: AuthGuard, call: ContractCall): void {
  app.post('/scheduled-jobs/:jobId/runs', async (req: FastifyRequest<{ Params: { jobId: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      const jobId = parseRunId(req.params.jobId, 'jobId');
      const body = runBody.safeParse(req.body ?? {});
      if (!body.success) throw validationError(body.error.issues);
      const run = await call<Run>('runs.trigger', { jobId, args: body.data.args ?? '', trigger: 'api' }, ctx);
      const job = await call<Job>('jobs.get', { id: jobId }, ctx);
      return reply.header('location', `/scheduled-jobs/${jobId}/runs/${run.id}`).send(seedJob(job, run));
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.get('/scheduled-jobs/:jobId/runs', async (req: FastifyRequest<{ Params: { jobId: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      const jobId = parseRunId(req.params.jobId, 'jobId');
      const parsed = runsQuery.safeParse(coerceFields(runsQuery, knownParams(req.query as Record<string, string>)));
      if (!parsed.success) throw validationError(parsed.error.issues);
      const q = parsed.data;
      await call('jobs.get', { id: jobId }, ctx);
      const startAt = q.startAt ?? 0;
      const maxResults = q.maxResults ?? SEED_PAGE_DEFAULT;
      const page = await call<{ items: Run[]; total: number }>(
        'runs.list',
        { jobId, status: q.status ? SEED_FILTER[q.status] : undefined, from: q.fromDate, to: q.toDate, offset: startAt, limit: maxResults },
        ctx,
      );
      // One IN_PROGRESS run per job on this surface: a waiting run shows once the running one is done.
      const running = await call<{ total: number }>('runs.list', { jobId, status: ['IN_PROGRESS'], limit: 1 }, ctx);
      const items = running.total > 0 ? page.items.filter((r) => r.status !== 'QUEUED') : page.items;
      reply.header('x-total-count', String(page.total));
      if (startAt + page.items.length < page.total) {
        const next = new URLSearchParams({ ...knownParams(req.query as Record<string, string>), startAt: String(startAt + page.items.length), maxResults: String(maxResults) } as Record<string, string>);
        reply.header('link', `</scheduled-jobs/${jobId}/runs?${next}>; rel="next"`);
      }
      return reply.send(items.map(seedRun));
    } catch (err) {
      if (err instanceof JobdeckError && err.field === 'from') return sendError(reply, new JobdeckError(err.code, err.message.replace(/^from/, 'fromDate'), 'fromDate'));
      return sendError(reply, err);
    }
  });

  app.get('/scheduled-jobs/:jobId/runs/:runId/result-file', async (req: FastifyRequest<{ Params: { jobId: string; runId: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      checkRole('runs.download', ctx);
      const jobId = parseRunId(req.params.jobId, 'jobId');
      const run = await call<Run>('runs.get', { id: parseRunId(req.params.runId, 'runId') }, ctx);
      if (run.jobId !== jobId) throw new JobdeckError('NOT_FOUND', `run ${run.id} is not a run of job ${jobId}`, 'runId');
      // The primary file (::result), else the only one, else the first by name.
      return sendDownload(reply, await call<Download>('runs.download', { id: run.id }, ctx));
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
