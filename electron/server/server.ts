/**
 * `jobdeck serve`: the engine over HTTP and WebSocket (Fastify). Serves the
 * native API under /api, the seeds' APIs, live events, downloads, the
 * OpenAPI document, and the console's web build at /.
 */
import cookie from '@fastify/cookie';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { JobdeckError } from '../../shared/errors';
import { WS_CLOSE } from '../../shared/events';
import type { Engine } from '../engine/engine';
import { VERSION } from '../engine/version';
import { registerApiRoutes } from './apiRoutes';
import { AuthGuard, type AuthOptions } from './auth';
import { registerConsole, nonceOf, pageHeaders } from './consoleRoutes';
import { clientErrorHandler, frameworkError, sendError } from './errors';
import { RouteTable } from './routeTable';
import { DEFAULT_EVENTS_LIMITS, EventSockets, registerEventsRoute, type EventsLimits } from './eventsRoute';
import { registerSessionRoutes } from './sessionRoutes';
import { openApiDocument } from './openapi';
import { registerBackgroundTasks } from './backgroundTasks';
import { registerScheduledJobs } from './scheduledJobs';
import { contractCall } from './seedCall';
import { chooseProtocol, registerCrossOrigin } from './crossOrigin';

export interface ServerOptions {
  engine: Engine;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7070; 0 picks a free port. */
  port?: number;
  /** HTTPS with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The pino logger for request logs (serve shares it with the engine). Default: no request logs. */
  loggerInstance?: Logger;
  auth?: AuthOptions;
  /** Folder of the console's web build; default out/renderer when it exists. */
  rendererDir?: string | null;
  /** Largest request body in bytes. Default 8 MiB. */
  bodyLimit?: number;
  /** Behind a reverse proxy: take the client's address and host from X-Forwarded-For / X-Forwarded-Host. Default false. */
  trustProxy?: boolean;
  /** Limits of the live-events WebSocket. */
  events?: Partial<EventsLimits>;
  /** Origins of pages (apps embedding jobdeck/react) allowed to call the API with a token; '*' for any. Default none. */
  allowedOrigins?: string[];
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  /** Stops serving, then closes the engine (runs get graceMs to finish). */
  close(graceMs?: number): Promise<void>;
}

function defaultRendererDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'out', 'renderer');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** Headers on every answer; the console's pages get a content security policy and isolation on top (consoleRoutes.ts). */
const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };

export async function createApp(options: ServerOptions): Promise<FastifyInstance> {
  const { engine } = options;
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 8 * 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    // A job name of 100 characters can take a few hundred once escaped in a URL.
    routerOptions: { maxParamLength: 1024 },
    // Malformed URLs and over-long path segments get the API's error shape too.
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
      const mapped = frameworkError(err);
      return sendError(reply, mapped.error, mapped.status);
    },
    clientErrorHandler,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  } as FastifyServerOptions);
  const auth = new AuthGuard(engine, options.auth);
  const sockets = new EventSockets(auth, engine, { ...DEFAULT_EVENTS_LIMITS, ...options.events });

  // JSON bodies; an empty body (the seed's trigger call) reads as none.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    void json(req, text, done);
  });
  // Common clients send an empty POST (the seeds' trigger calls) with a form or text type: read it as no body.
  app.addContentTypeParser(['application/x-www-form-urlencoded', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    done(Object.assign(new Error('send the body as JSON with Content-Type: application/json'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), undefined);
  });

  app.setErrorHandler((err, req, reply) => {
    const mapped = frameworkError(err as { code?: string; statusCode?: number; message: string });
    if (mapped.error.code === 'INTERNAL') req.log.error({ err }, 'request failed');
    return sendError(reply, mapped.error, mapped.status);
  });
  const routes = new RouteTable();
  routes.watch(app);
  app.decorate('routeList', () => routes.list());
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const allowed = routes.methodsFor(path);
    if (allowed.length && !allowed.includes(req.method)) {
      reply.header('allow', allowed.join(', '));
      return sendError(reply, new JobdeckError('VALIDATION_FAILED', `${path} does not take ${req.method}; it takes ${allowed.join(', ')}`, 'method'), 405);
    }
    return sendError(reply, new JobdeckError('NOT_FOUND', `no route ${req.method} ${path}`));
  });
  app.addHook('onSend', async (req, reply, payload) => {
    reply.headers(COMMON_HEADERS);
    if (!req.url.startsWith('/api/') && !req.url.startsWith('/scheduled-jobs/')) reply.headers(pageHeaders(nonceOf(reply)));
    return payload;
  });

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 64 * 1024, handleProtocols: chooseProtocol } });
  registerCrossOrigin(app, options.allowedOrigins ?? []);

  app.get('/api/health', async () => {
    const status = await engine.services.scheduler.status();
    return { status: 'ok', version: VERSION, scheduler: status.active ? (status.paused ? 'paused' : 'running') : 'off' };
  });
  app.get('/api/openapi.json', async () => openApiDocument(VERSION));

  registerSessionRoutes(app, engine, auth, Boolean(options.tls));
  registerApiRoutes(app, engine, auth);
  registerEventsRoute(app, engine, auth, sockets, options.allowedOrigins ?? []);
  registerBackgroundTasks(app, auth, contractCall(engine));
  registerScheduledJobs(app, auth, contractCall(engine));

  await registerConsole(app, options.rendererDir === undefined ? defaultRendererDir() : options.rendererDir);

  app.addHook('preClose', async () => {
    sockets.closeAll(WS_CLOSE.goingAway, 'server shutting down');
  });
  return app;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = await createApp(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 7070 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `${options.tls ? 'https' : 'http'}://${shownHost}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    app,
    url,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        // Give open requests (a download being read) a few seconds, then cut them.
        const closed = app.close();
        const timer = setTimeout(() => app.server.closeAllConnections(), 5000);
        await closed;
        clearTimeout(timer);
        await options.engine.close(graceMs);
      })();
      return closing;
    },
  };
}
