/**
 * Downloads: result files (streamed, never from outside the run's folder)
 * and a run's whole log as a .log file.
 */
import { create as contentDisposition } from 'content-disposition';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkRole } from '../../shared/dispatch';
import { JobdeckError, notFound } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import { logFileName, logTextStream } from '../engine/logText';
import { openResultFile } from '../engine/resultFile';
import type { AuthGuard } from './auth';
import { sendError } from './errors';

export function parseRunId(text: string, field = 'id'): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) throw new JobdeckError('VALIDATION_FAILED', `${field}: must be a numeric id`, field);
  return Number(text);
}

/** Streams one result file of a run with its type, length and a download name. */
export async function sendResultFile(engine: Engine, reply: FastifyReply, runId: number, name: string | null): Promise<FastifyReply> {
  const file = await openResultFile(engine.store, engine.dataDir, runId, name);
  const base = file.name.split('/').pop()!;
  return reply
    .header('content-type', file.contentType)
    .header('content-length', String(file.size))
    .header('content-disposition', contentDisposition(base))
    .header('x-content-type-options', 'nosniff')
    .header('x-checksum-sha256', file.sha256)
    .send(file.stream());
}

export function registerFileRoutes(app: FastifyInstance, engine: Engine, auth: AuthGuard): void {
  app.get('/api/runs/:id/files/*', async (req: FastifyRequest<{ Params: { id: string; '*': string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      checkRole('runs.cancel', ctx); // downloads need the admin role, like trigger and cancel
      const name = req.params['*'];
      if (!name) throw new JobdeckError('VALIDATION_FAILED', 'name: give a file name after /files/', 'name');
      return await sendResultFile(engine, reply, parseRunId(req.params.id), name);
    } catch (err) {
      return sendError(reply, err);
    }
  });

  // The whole log as text: "2026-11-23T10:00:00.000Z OUT line".
  app.get('/api/runs/:id/log', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    try {
      const ctx = await auth.identify(req);
      checkRole('runs.logs', ctx);
      const id = parseRunId(req.params.id);
      const run = engine.store.runs.get(id);
      if (!run) throw notFound('run', id);
      const fileName = logFileName(run.job_name, id);
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('content-disposition', contentDisposition(fileName))
        .send(logTextStream(engine, id));
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
