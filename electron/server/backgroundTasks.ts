/**
 * The background-tasks API (Sunbird style) as its clients call it: the task
 * list and the trigger, every answer in the seed's envelope. An adapter over
 * the contract's calls.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allPages, type Page } from '../../shared/client/pages';
import { JOBS_PAGE_MAX, type CallContext } from '../../shared/contract';
import { checkRole } from '../../shared/dispatch';
import { toErrorData } from '../../shared/errors';
import type { Job, JobSummary } from '../../shared/model/job';
import type { Run } from '../../shared/model/run';
import type { AuthGuard } from './auth';
import { envelope, sendEnvelopeError } from './envelope';
import type { ContractCall } from './seedCall';

async function identifyForEnvelope(auth: AuthGuard, req: FastifyRequest, reply: FastifyReply, id: string): Promise<CallContext | null> {
  try {
    return await auth.identify(req);
  } catch (err) {
    const data = toErrorData(err);
    const retry = (err as { retryAfter?: number }).retryAfter;
    if (retry) reply.header('retry-after', String(retry));
    sendEnvelopeError(reply, id, data.code === 'RATE_LIMITED' ? 429 : data.code === 'FORBIDDEN' ? 403 : 401, data.code, data.message);
    return null;
  }
}

export function registerBackgroundTasks(app: FastifyInstance, auth: AuthGuard, call: ContractCall): void {
  app.get('/api/v1/backgroundtasks', async (req, reply) => {
    const id = 'api.backgroundtasks.read';
    const ctx = await identifyForEnvelope(auth, req, reply, id);
    if (!ctx) return reply;
    // The seed's list has no paging: every task, read a page at a time.
    const items = await allPages(
      (offset, limit) => call<Page<JobSummary>>('jobs.list', { archived: 'exclude', order: 'id', offset, limit }, ctx),
      JOBS_PAGE_MAX,
    );
    return reply.send(envelope(id, { response: items.map((j) => ({ taskGroup: j.group, taskName: j.name, description: j.description })) }));
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
      const data = toErrorData(err);
      if (data.code === 'JOB_ALREADY_RUNNING' || data.code === 'JOB_ALREADY_QUEUED') {
        return sendEnvelopeError(reply, id, 400, 'JOB_ALREADY_RUNNING', 'Job currently in running state, please try after some time');
      }
      const status = data.code === 'NOT_FOUND' ? 404 : data.code === 'INTERNAL' ? 500 : data.code === 'UNAVAILABLE' ? 503 : 400;
      return sendEnvelopeError(reply, id, status, data.code, data.message);
    }
  });
}
