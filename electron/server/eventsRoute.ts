/**
 * Live events over WebSocket at /api/events. A client subscribes per run
 * (with afterSeq to resume a log stream), per job, or to everything; events
 * come back tagged with the client's subscription id. A client that cannot
 * keep up is closed (4008) rather than sent a gap: it reconnects and resumes
 * from the last sequence number it saw.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { validationError } from '../../shared/dispatch';
import { toErrorData } from '../../shared/errors';
import { WS_CLOSE, wsClientMessageSchema, type WsServerMessage } from '../../shared/events';
import type { Engine } from '../engine/engine';
import type { AuthGuard } from './auth';
import { sendError } from './errors';

/** Buffered bytes beyond which a reader counts as too slow. */
const MAX_BUFFERED = 32 * 1024 * 1024;
const MAX_SUBSCRIPTIONS = 100;

export function registerEventsRoute(app: FastifyInstance, engine: Engine, auth: AuthGuard, sockets: Set<WebSocket>): void {
  app.get(
    '/api/events',
    {
      websocket: true,
      // Any signed-in user may watch events; the upgrade is refused without a valid token.
      preValidation: async (req, reply) => {
        try {
          await auth.identify(req);
        } catch (err) {
          return sendError(reply, err);
        }
      },
    },
    (socket: WebSocket) => {
      const subs = new Map<string, () => void>();
      sockets.add(socket);
      const send = (msg: WsServerMessage): void => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED) {
          socket.close(WS_CLOSE.tooSlow, 'too slow: reconnect and resume from the last sequence number');
          return;
        }
        socket.send(JSON.stringify(msg));
      };
      socket.on('message', (data) => {
        let raw: unknown;
        try {
          raw = JSON.parse(String(data));
        } catch {
          return send({ type: 'error', error: { code: 'VALIDATION_FAILED', message: 'messages must be JSON' } });
        }
        const parsed = wsClientMessageSchema.safeParse(raw);
        if (!parsed.success) return send({ type: 'error', error: validationError(parsed.error.issues).toData() });
        const msg = parsed.data;
        if (msg.type === 'ping') return send({ type: 'pong' });
        if (msg.type === 'unsubscribe') {
          subs.get(msg.id)?.();
          subs.delete(msg.id);
          return;
        }
        subs.get(msg.id)?.();
        if (subs.size >= MAX_SUBSCRIPTIONS) {
          return send({ type: 'error', id: msg.id, error: { code: 'VALIDATION_FAILED', message: `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection` } });
        }
        try {
          if (msg.sub.runId !== undefined) engine.services.runs.get(msg.sub.runId);
          send({ type: 'subscribed', id: msg.id });
          subs.set(msg.id, engine.subscribe(msg.sub, (event) => send({ type: 'event', id: msg.id, event })));
        } catch (err) {
          send({ type: 'error', id: msg.id, error: toErrorData(err) });
        }
      });
      socket.on('close', () => {
        for (const off of subs.values()) off();
        subs.clear();
        sockets.delete(socket);
      });
    },
  );
}
