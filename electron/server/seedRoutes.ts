/**
 * The APIs of the systems Jobdeck replaces, as their clients call them:
 * the background-tasks API (Sunbird-style envelope) and the scheduled-job
 * runs API (OpenSpecimen-style). Adapters over the same contract handlers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CallContext } from '../../shared/contract';
import { DATE_FORMAT_HINT, parseDate } from '../../shared/dates';
import { checkRole, dispatch, validationError } from '../../shared/dispatch';
import { JobdeckError, toErrorData, type ErrorData } from '../../shared/errors';
import { allPages, type Page } from '../../shared/client/pages';
import { JOBS_PAGE_MAX } from '../../shared/contract';
import type { Job, JobSummary, RunStatus } from '../../shared/model/job';
import type { Run } from '../../shared/model/run';
import type { Engine } from '../engine/engine';
import type { AuthGuard } from './auth';
import { coerceFields } from './coerce';
import { envelope, sendEnvelopeError } from './envelope';
import { sendError } from './errors';
import { parseRunId, sendDownload } from './fileRoutes';
import type { Download } from '../../shared/contract';

// ----- background tasks (envelope) -----

async function identifyForEnvelope(auth: AuthGuard, req: FastifyRequest, reply: FastifyReply, id: string): Promise<CallContext | null> {
  try {
    return await auth.identify(req);
  } catch (err) {
    const data = toErrorData(err);
    const retry = (err as { retryAfter?: number }).retryAfter;
    if (retry) reply.header('retry-after', String(retry));
    sendEnvelopeError(reply, id, data.code === 'RATE_LIMITED' ? 429 : 401, data.code, data.message);
    return null;
  }
}

// ----- scheduled job runs -----

/** The seed's three statuses: our QUEUED counts as IN_PROGRESS, CANCELLED as FAILED. */
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

/** A run as the scheduled-job-runs API shows it: who executed it, when, and its output. */
export function seedRun(run: Run) {
  return {
    id: run.id,
    jobId: run.jobId,
    jobName: run.jobName,
    status: SEED_STATUS[run.status],
    jobdeckStatus: run.status,
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
    resultFileUrl: run.resultFile ? `/scheduled-jobs/${run.jobId}/runs/${run.id}/result-file` : null,
  };
}

const seedDate = z
  .string()
  .refine((s) => /^\d{8}(T\d{4}(\d{2})?)?$/.test(s) && parseDate(s) !== null, { message: `expected 20220221 or 20220221T061500 (${DATE_FORMAT_HINT})` });
const runsQuery = z.strictObject({
  fromDate: seedDate.optional(),
  toDate: seedDate.optional(),
  status: z.enum(['IN_PROGRESS', 'SUCCEEDED', 'FAILED']).optional(),
  startAt: z.number().int().min(0).optional(),
  maxResults: z.number().int().min(1).max(1000).optional(),
});
const runBody = z.strictObject({ args: z.string().max(10_000).optional() });

export function registerSeedRoutes(app: FastifyInstance, engine: Engine, auth: AuthGuard): void {
  const call = async <T>(method: Parameters<typeof dispatch>[1], input: unknown, ctx: CallContext): Promise<T> => {
    const result = await dispatch(engine.handlers, method, input, ctx);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    return result.value as T;
  };

  app.get('/api/v1/backgroundtasks', async (req, reply) => {
    const id = 'api.backgroundtasks.read';
    const ctx = await identifyForEnvelope(auth, req, reply, id);
    if (!ctx) return reply;
    // The seed's list has no paging: every task, read a page at a time.
    const items = await allPages(
      (offset, limit) => call<Page<JobSummary>>('jobs.list', { archived: 'exclude', order: 'id', offset, limit }, ctx),
      JOBS_PAGE_MAX,
    );
    return reply.send(
      envelope(id, { response: items.map((j) => ({ taskGroup: j.group, taskName: j.name, description: j.description })) }),
    );
  });

  app.post('/api/v1/backgroundtasks/trigger/:taskName', async (req: FastifyRequest<{ Params: { taskName: string } }>, reply) => {
    const id = 'api.backgroundtasks.trigger';
    const ctx = await identifyForEnvelope(auth, req, reply, id);
    if (!ctx) return reply;
    try {
      checkRole('runs.trigger', ctx);
    } catch {
      // As the seed says: 401 when the caller is not an admin.
      return sendEnvelopeError(reply, id, 401, 'UNAUTHORIZED', `${ctx.actor} is ${ctx.role}; triggering tasks needs the admin role`);
    }
    const name = req.params.taskName;
    try {
      // Archived jobs are not listed as tasks, so they are not found as one either.
      const job = await call<Job>('jobs.find', { name }, ctx).catch(() => null);
      if (!job || job.archived) return sendEnvelopeError(reply, id, 404, 'NOT_FOUND', `no background task named "${name}"`);
      const run = await call<Run>('runs.trigger', { jobId: job.id, trigger: 'api' }, ctx);
      reply.header('location', `/api/runs/${run.id}`);
      return reply.send(envelope(id, { response: 'SUCCESS' }));
    } catch (err) {
      const data: ErrorData = toErrorData(err);
      if (data.code === 'JOB_ALREADY_RUNNING' || data.code === 'JOB_ALREADY_QUEUED') {
        return sendEnvelopeError(reply, id, 400, 'JOB_ALREADY_RUNNING', 'Job currently in running state, please try after some time');
      }
      const status = data.code === 'NOT_FOUND' ? 404 : data.code === 'INTERNAL' ? 500 : 400;
      return sendEnvelopeError(reply, id, status, data.code, data.message);
    }
  });

  app.post('/scheduled-jobs/:jobId/runs', async (req: FastifyRequest<{ Params: { jobId: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      const jobId = parseRunId(req.params.jobId, 'jobId');
      const body = runBody.safeParse(req.body ?? {});
      if (!body.success) throw validationError(body.error.issues);
      const run = await call<Run>('runs.trigger', { jobId, args: body.data.args ?? '', trigger: 'api' }, ctx);
      return reply.send(seedRun(run));
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.get('/scheduled-jobs/:jobId/runs', async (req: FastifyRequest<{ Params: { jobId: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      const jobId = parseRunId(req.params.jobId, 'jobId');
      const parsed = runsQuery.safeParse(coerceFields(runsQuery, req.query as Record<string, string>));
      if (!parsed.success) throw validationError(parsed.error.issues);
      const q = parsed.data;
      await call('jobs.get', { id: jobId }, ctx);
      const page = await call<{ items: Run[] }>(
        'runs.list',
        {
          jobId,
          status: q.status ? SEED_FILTER[q.status] : undefined,
          from: q.fromDate,
          to: q.toDate,
          offset: q.startAt,
          limit: q.maxResults ?? 100,
        },
        ctx,
      );
      return reply.send(page.items.map(seedRun));
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
      return sendDownload(reply, await call<Download>('runs.download', { id: run.id }, ctx));
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
