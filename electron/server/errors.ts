/**
 * Turning failures into HTTP answers: {code, message, field} with the code's
 * status, or the seed's envelope on the background-tasks routes, whatever
 * failed (a handler, the framework, the URL).
 */
import type { FastifyReply } from 'fastify';
import { HTTP_STATUS, JobdeckError, toErrorData, type ErrorData } from '../../shared/errors';
import { envelopeIdOf, isEnvelopeRoute, sendEnvelopeError } from './envelope';

export function sendError(reply: FastifyReply, err: unknown, status?: number): FastifyReply {
  const data: ErrorData = toErrorData(err);
  const code = status ?? HTTP_STATUS[data.code];
  const retry = (err as { retryAfter?: number }).retryAfter;
  if (retry) reply.header('retry-after', String(retry));
  const { method, url } = reply.request;
  if (isEnvelopeRoute(url)) return sendEnvelopeError(reply, envelopeIdOf(method, url), code, data.code, data.message);
  if (data.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer realm="jobdeck"');
  // A download that failed before its first byte had set a file's headers: the error is JSON.
  for (const h of ['content-type', 'content-length', 'content-disposition', 'x-checksum-sha256']) reply.removeHeader(h);
  return reply.code(code).send(data);
}

/** Fastify's own errors (bad JSON, body too large, a malformed URL, …) as contract errors, with the HTTP status to answer. */
export function frameworkError(err: { code?: string; statusCode?: number; message: string }): { error: JobdeckError; status?: number } {
  // Ours, raised where a handler's result is sent (a download whose source failed before its first byte).
  if (err instanceof JobdeckError) return { error: err };
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new JobdeckError('VALIDATION_FAILED', 'send the body as JSON with Content-Type: application/json', 'body'), status: 415 };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { error: new JobdeckError('VALIDATION_FAILED', 'a part of the URL is longer than the server accepts', 'url'), status: 414 };
    case 'FST_ERR_BAD_URL':
      return { error: new JobdeckError('VALIDATION_FAILED', 'the URL is malformed (a bad %-escape?)', 'url') };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new JobdeckError('PAYLOAD_TOO_LARGE', 'the request body is larger than the server accepts') };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: new JobdeckError('VALIDATION_FAILED', 'Content-Length does not match the body', 'body') };
    default:
      if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        return { error: new JobdeckError('VALIDATION_FAILED', `the body is not valid JSON: ${err.message}`, 'body') };
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return { error: new JobdeckError('VALIDATION_FAILED', err.message), status: err.statusCode };
      }
      return { error: new JobdeckError('INTERNAL', 'internal error; see the server log') };
  }
}

/** Reasons Node's HTTP parser gives up on a request before any route sees it. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'the request headers are larger than the server accepts'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [431, 'the request headers are larger than the server accepts'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request took too long to arrive'],
};

/**
 * Answers a request Node could not even parse (over-large headers, a broken
 * request line) in the same {code, message} shape, then closes the connection.
 */
export function clientErrorHandler(err: { code?: string }, socket: import('node:net').Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, `the request is malformed (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ code: status === 408 ? 'UNAVAILABLE' : 'VALIDATION_FAILED', message });
  const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
