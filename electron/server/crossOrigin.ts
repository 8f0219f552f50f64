/**
 * Pages of other origins (an app embedding `jobdeck/react`), allowed one by
 * one (`jobdeck serve --allow-origin`): CORS on /api for requests that carry
 * an API token (never credentials: the console's cookie is not sent across
 * origins and is not honoured from them), and the live-events socket taking
 * the token as a subprotocol, `jobdeck.bearer.TOKEN` beside `jobdeck`,
 * because a browser cannot set headers on a WebSocket (and a token in a URL
 * would end up in logs).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JobdeckError } from '../../shared/errors';
import { sendError } from './errors';

/** Does the request come from a page of this server (or from no page at all)? */
export function fromThisOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin) {
    try {
      return new URL(origin).host === req.host;
    } catch {
      return false;
    }
  }
  // Browsers send Origin on every cross-origin write; without one, ask Fetch metadata, else refuse.
  return req.headers['sec-fetch-site'] === 'same-origin';
}

export const WS_PROTOCOL = 'jobdeck';
const BEARER_PREFIX = `${WS_PROTOCOL}.bearer.`;

/** The token a WebSocket upgrade carries as a subprotocol, or null. */
export function subprotocolToken(req: FastifyRequest): string | null {
  const header = req.headers['sec-websocket-protocol'];
  if (!req.headers.upgrade || typeof header !== 'string') return null;
  for (const p of header.split(',')) {
    const name = p.trim();
    if (name.startsWith(BEARER_PREFIX)) return name.slice(BEARER_PREFIX.length);
  }
  return null;
}

/** The subprotocol the server answers with: `jobdeck` when asked for, else none. */
export const chooseProtocol = (protocols: Set<string>): string | false => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false);

export function isAllowedOrigin(origin: string, allowed: readonly string[]): boolean {
  return allowed.includes('*') || allowed.includes(origin);
}

/** Refuses an upgrade from a page of another origin that was not allowed (a token-carrying one included). */
export function checkSocketOrigin(req: FastifyRequest, allowed: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin || fromThisOrigin(req) || isAllowedOrigin(origin, allowed)) return;
  throw new JobdeckError('FORBIDDEN', `pages of ${origin} may not open live events here; start jobdeck serve with --allow-origin ${origin}`);
}

export function registerCrossOrigin(app: FastifyInstance, allowed: readonly string[]): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !req.url.startsWith('/api/') || fromThisOrigin(req)) return;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!isAllowedOrigin(origin, allowed)) {
      if (!preflight) return;
      return sendError(reply, new JobdeckError('FORBIDDEN', `pages of ${origin} may not call this API; start jobdeck serve with --allow-origin ${origin}`), 403);
    }
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    reply.header('access-control-expose-headers', 'content-disposition, retry-after');
    if (preflight) {
      reply.header('access-control-allow-methods', 'GET, POST, PATCH, DELETE');
      reply.header('access-control-allow-headers', 'authorization, content-type');
      reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
  });
}
