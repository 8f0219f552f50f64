/**
 * The background-tasks seed's answer envelope (Sunbird style): every answer
 * of its routes, errors included, is {id, ver, ts, params, responseCode,
 * result}.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/** "2018-11-27 14:45:34:869+0530": the seed's timestamp form, in the server's local time. */
export function envelopeTime(d = new Date()): string {
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}:${pad(d.getMilliseconds(), 3)}` +
    `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`
  );
}

/** The envelope's responseCode for an HTTP status (4xx not listed: CLIENT_ERROR). */
const RESPONSE_CODES: Record<number, string> = { 401: 'UNAUTHORIZED', 404: 'RESOURCE_NOT_FOUND', 500: 'SERVER_ERROR', 503: 'SERVER_ERROR' };

export function envelope(id: string, result: unknown, error?: { err: string; errmsg: string; status: number }) {
  return {
    id,
    ver: 'v1',
    ts: envelopeTime(),
    params: {
      resmsgid: null,
      msgid: randomUUID(),
      err: error ? error.err : null,
      status: error ? 'failure' : 'success',
      errmsg: error ? error.errmsg : null,
    },
    responseCode: error ? (RESPONSE_CODES[error.status] ?? 'CLIENT_ERROR') : 'OK',
    result,
  };
}

export function sendEnvelopeError(reply: FastifyReply, id: string, status: number, err: string, errmsg: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="jobdeck"');
  return reply.code(status).send(envelope(id, {}, { err, errmsg, status }));
}

/** Routes answered with the envelope. */
export const isEnvelopeRoute = (url: string): boolean => url.startsWith('/api/v1/backgroundtasks');

/** The envelope id of a background-tasks route ("api.backgroundtasks.read" or ".trigger"). */
export const envelopeIdOf = (method: string, url: string): string =>
  method === 'POST' && url.startsWith('/api/v1/backgroundtasks/trigger') ? 'api.backgroundtasks.trigger' : 'api.backgroundtasks.read';
