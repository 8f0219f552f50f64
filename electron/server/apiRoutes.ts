/**
 * The native API: every contract method at its HTTP binding, dispatched
 * through the same validation, role checks and handlers as IPC and the CLI.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { contract, isDownloadMethod, METHOD_NAMES, type Download, type MethodName } from '../../shared/contract';
import { dispatch } from '../../shared/dispatch';
import { JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import type { AuthGuard } from './auth';
import { coerceFields } from './coerce';
import { sendError } from './errors';
import { sendDownload } from './fileRoutes';

type Params = Record<string, string>;
type Query = Record<string, string | string[] | undefined>;

function inputOf(method: MethodName, req: FastifyRequest): Record<string, unknown> {
  const spec = contract[method];
  const { '*': rest, ...params } = req.params as Params;
  // A trailing wildcard (a result file's path) is the call's `name`.
  const path = coerceFields(spec.input, rest ? { ...params, name: rest } : params);
  if (spec.http.method === 'GET' || spec.http.method === 'DELETE') {
    return { ...coerceFields(spec.input, req.query as Query), ...path };
  }
  // No body reads as {}; a body that is JSON but not an object (null, a list, a number) is refused.
  const body = req.body === undefined ? {} : req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new JobdeckError('VALIDATION_FAILED', 'the body must be a JSON object', 'body');
  }
  return { ...(body as Record<string, unknown>), ...path };
}

export function registerApiRoutes(app: FastifyInstance, engine: Engine, auth: AuthGuard): void {
  for (const method of METHOD_NAMES) {
    const { http } = contract[method];
    app.route({
      method: http.method,
      url: http.path,
      handler: async (req, reply) => {
        try {
          const ctx = await auth.identify(req);
          const result = await dispatch(engine.handlers, method, inputOf(method, req), ctx);
          if (!result.ok) return sendError(reply, result.error);
          if (isDownloadMethod(method)) return sendDownload(reply, result.value as Download);
          return reply.code(method === 'jobs.create' || method === 'users.add' ? 201 : 200).send(result.value);
        } catch (err) {
          return sendError(reply, err);
        }
      },
    });
  }
}
