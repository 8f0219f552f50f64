/** Turning failures into HTTP answers: {code, message, field} with the code's status. */
import type { FastifyReply } from 'fastify';
import { HTTP_STATUS, JobdeckError, toErrorData, type ErrorData } from '../../shared/errors';

export function sendError(reply: FastifyReply, err: unknown, status?: number): FastifyReply {
  const data: ErrorData = toErrorData(err);
  const retry = (err as { retryAfter?: number }).retryAfter;
  if (retry) reply.header('retry-after', String(retry));
  if (data.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="jobdeck"');
  return reply.code(status ?? HTTP_STATUS[data.code]).send(data);
}

/** Fastify's own errors (bad JSON, body too large, …) as contract errors, with the HTTP status to answer. */
export function frameworkError(err: { code?: string; statusCode?: number; message: string }): { error: JobdeckError; status?: number } {
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { error: new JobdeckError('VALIDATION_FAILED', 'send the body as JSON with Content-Type: application/json', 'body'), status: 415 };
  }
  return { error: contractError(err) };
}

function contractError(err: { code?: string; statusCode?: number; message: string }): JobdeckError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new JobdeckError('PAYLOAD_TOO_LARGE', 'the request body is larger than the server accepts');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new JobdeckError('VALIDATION_FAILED', 'Content-Length does not match the body', 'body');
    default:
      if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return new JobdeckError('VALIDATION_FAILED', `the body is not valid JSON: ${err.message}`, 'body');
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return new JobdeckError('VALIDATION_FAILED', err.message);
      }
      return new JobdeckError('INTERNAL', 'internal error; see the server log');
  }
}
