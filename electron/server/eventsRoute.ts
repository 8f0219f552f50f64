/**
 * Live events over WebSocket at /api/events. A client subscribes per run
 * (with afterSeq to resume a log stream), per job, or to everything; events
 * come back tagged with the client's subscription id. Bounded everywhere: a
 * caller and an address may hold only a few sockets, each socket a hundred
 * subscriptions and a few megabytes of unsent data, all sockets together a
 * fixed budget. A client that cannot keep up is closed (4008) and dropped at
 * once, rather than sent a gap: it reconnects and resumes from the last
 * sequence number it saw. A socket whose token or session stops working is
 * closed (4401).
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { validationError } from '../../shared/dispatch';
import { JobdeckError, toErrorData } from '../../shared/errors';
import { WS_CLOSE, wsClientMessageSchema, type WsServerMessage } from '../../shared/events';
import type { Engine } from '../engine/engine';
import type { AuthGuard, Identity } from './auth';
import { sendError } from './errors';
import { contractCall } from './seedCall';
import { checkSocketOrigin } from './crossOrigin';
import { handleSeedMessage, isSeedSocketMessage, type SeedSocketReply } from './workflowSocket';

export interface EventsLimits {
  /** Sockets one token or session may hold open. Default 8. */
  perCaller: number;
  /** Sockets one address may hold open. Default 32. */
  perAddress: number;
  /** Unsent bytes a socket may hold before it counts as too slow. Default 4 MiB. */
  bufferedPerSocket: number;
  /** Unsent bytes all sockets together may hold; the slowest goes first beyond it. Default 64 MiB. */
  bufferedTotal: number;
  /** Subscriptions per socket. Default 100. */
  subscriptions: number;
  /** How often every socket's credential is checked again (ms). Default 2000. */
  recheckMs: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsLimits = {
  perCaller: 8,
  perAddress: 32,
  bufferedPerSocket: 4 * 1024 * 1024,
  bufferedTotal: 64 * 1024 * 1024,
  subscriptions: 100,
  recheckMs: 2000,
};

/** A socket's close handshake waits behind unsent data; a reader that does not read is cut after this. */
const CLOSE_WAIT_MS = 1000;

interface Conn {
  socket: WebSocket;
  identity: Identity;
  ip: string;
  subs: Map<string, () => void>;
  closed: boolean;
}

export class EventSockets {
  readonly conns = new Set<Conn>();
  private timer: NodeJS.Timeout | null = null;
  private readonly offCredentials: () => void;

  constructor(
    private readonly auth: AuthGuard,
    engine: Engine,
    readonly limits: EventsLimits,
  ) {
    this.offCredentials = engine.services.users.onCredentialsChanged(() => this.recheck());
    this.timer = setInterval(() => this.recheck(), limits.recheckMs);
    this.timer.unref();
  }

  countFor(identity: Identity, ip: string): { caller: number; address: number } {
    let caller = 0;
    let address = 0;
    for (const c of this.conns) {
      if (c.identity.secret === identity.secret) caller++;
      if (c.ip === ip) address++;
    }
    return { caller, address };
  }

  /** Stops a connection's subscriptions now and closes it; a socket that does not take the close frame is cut. */
  drop(conn: Conn, code: number, reason: string): void {
    if (conn.closed) return;
    conn.closed = true;
    for (const off of conn.subs.values()) off();
    conn.subs.clear();
    this.conns.delete(conn);
    try {
      conn.socket.close(code, reason);
    } catch {
      /* already closing */
    }
    setTimeout(() => {
      if (conn.socket.readyState !== conn.socket.CLOSED) conn.socket.terminate();
    }, CLOSE_WAIT_MS).unref();
  }

  /** Closes the sockets whose credential stopped working. */
  recheck(): void {
    for (const c of [...this.conns]) {
      this.auth.stillValid(c.identity).then(
        (valid) => {
          if (!valid) this.drop(c, WS_CLOSE.unauthorized, 'the token or session is no longer valid');
        },
        // The store could not say (it is closing): the socket goes, as for a credential that stopped working.
        () => this.drop(c, WS_CLOSE.unauthorized, 'the token or session could not be checked'),
      );
    }
  }

  /** Total unsent bytes; beyond the budget the connection holding the most is closed. */
  enforceBudget(): void {
    let total = 0;
    let worst: Conn | null = null;
    for (const c of this.conns) {
      total += c.socket.bufferedAmount;
      if (!worst || c.socket.bufferedAmount > worst.socket.bufferedAmount) worst = c;
    }
    if (total > this.limits.bufferedTotal && worst) this.drop(worst, WS_CLOSE.tooSlow, 'too slow: reconnect and resume from the last sequence number');
  }

  closeAll(code: number, reason: string): void {
    for (const c of [...this.conns]) this.drop(c, code, reason);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.offCredentials();
  }
}

export function registerEventsRoute(app: FastifyInstance, engine: Engine, auth: AuthGuard, sockets: EventSockets, allowedOrigins: readonly string[] = []): void {
  const { limits } = sockets;
  const call = contractCall(engine);
  app.route({
    method: 'GET',
    url: '/api/events',
    // The upgrade is refused without a valid token, from another origin with the cookie, or beyond the limits.
    preValidation: async (req, reply) => {
      try {
        checkSocketOrigin(req, allowedOrigins);
        const identity = await auth.identify(req);
        const { caller, address } = sockets.countFor(identity, req.ip);
        if (caller >= limits.perCaller || address >= limits.perAddress) {
          throw new JobdeckError(
            'RATE_LIMITED',
            `too many live-event connections (${caller >= limits.perCaller ? `${limits.perCaller} per token or session` : `${limits.perAddress} per address`}); close one first`,
          );
        }
        (req as { jobdeckIdentity?: Identity }).jobdeckIdentity = identity;
      } catch (err) {
        return sendError(reply, err);
      }
    },
    // A plain GET (no Upgrade header) is told how to use the route.
    handler: async () => ({
      websocket: '/api/events',
      send: [
        '{"type":"subscribe","id":"a","sub":{"runId":7,"afterSeq":0}}', '{"type":"subscribe","id":"b","sub":{"jobId":3}}', '{"type":"subscribe","id":"c","sub":{}}', '{"type":"unsubscribe","id":"a"}', '{"type":"ping"}',
        '{"type":"watchWorkflowInstance","workflowId":7}',
        '{"type":"runTask","workflowId":7,"taskPath":"#.load.eu"}',
      ],
      closeCodes: { 4401: 'the token or session stopped working', 4008: 'too slow: reconnect and resume with afterSeq', 1001: 'the server is shutting down' },
    }),
    wsHandler: (socket: WebSocket, req) => {
      const conn: Conn = { socket, identity: (req as { jobdeckIdentity?: Identity }).jobdeckIdentity!, ip: req.ip, subs: new Map(), closed: false };
      sockets.conns.add(conn);
      const send = (msg: WsServerMessage | SeedSocketReply): void => {
        if (conn.closed || socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > limits.bufferedPerSocket) {
          sockets.drop(conn, WS_CLOSE.tooSlow, 'too slow: reconnect and resume from the last sequence number');
          return;
        }
        socket.send(JSON.stringify(msg));
        sockets.enforceBudget();
      };
      // Messages are handled one at a time, in the order they came (each may wait for the store).
      let handling: Promise<void> = Promise.resolve();
      socket.on('message', (data) => {
        handling = handling.then(() => onMessage(data)).catch(() => sockets.drop(conn, WS_CLOSE.unauthorized, 'the token or session could not be checked'));
      });
      const onMessage = async (data: unknown): Promise<void> => {
        if (conn.closed) return;
        let raw: unknown;
        try {
          raw = JSON.parse(String(data));
        } catch {
          return send({ type: 'error', error: { code: 'VALIDATION_FAILED', message: 'messages must be JSON' } });
        }
        if (isSeedSocketMessage(raw)) {
          if (!(await auth.stillValid(conn.identity))) return sockets.drop(conn, WS_CLOSE.unauthorized, 'the token or session is no longer valid');
          void handleSeedMessage(raw, { subs: conn.subs, maxSubscriptions: limits.subscriptions, ctx: conn.identity, send, isClosed: () => conn.closed }, engine, call);
          return;
        }
        const parsed = wsClientMessageSchema.safeParse(raw);
        if (!parsed.success) return send({ type: 'error', error: validationError(parsed.error.issues).toData() });
        const msg = parsed.data;
        if (msg.type === 'ping') return send({ type: 'pong' });
        if (msg.type === 'unsubscribe') {
          conn.subs.get(msg.id)?.();
          conn.subs.delete(msg.id);
          return;
        }
        if (!(await auth.stillValid(conn.identity))) return sockets.drop(conn, WS_CLOSE.unauthorized, 'the token or session is no longer valid');
        if (!conn.subs.has(msg.id) && conn.subs.size >= limits.subscriptions) {
          return send({ type: 'error', id: msg.id, error: { code: 'VALIDATION_FAILED', message: `at most ${limits.subscriptions} subscriptions per connection; unsubscribe one first` } });
        }
        try {
          if (msg.sub.runId !== undefined) await engine.services.runs.get(msg.sub.runId);
          if (msg.sub.jobId !== undefined) await engine.services.jobs.get(msg.sub.jobId);
        } catch (err) {
          const data = toErrorData(err);
          return send({ type: 'error', id: msg.id, error: { ...data, field: msg.sub.runId !== undefined ? 'runId' : 'jobId' } });
        }
        if (conn.closed) return;
        conn.subs.get(msg.id)?.();
        send({ type: 'subscribed', id: msg.id });
        conn.subs.set(msg.id, engine.subscribe(msg.sub, (event) => send({ type: 'event', id: msg.id, event })));
      };
      socket.on('close', () => {
        conn.closed = true;
        for (const off of conn.subs.values()) off();
        conn.subs.clear();
        sockets.conns.delete(conn);
      });
    },
  });
}
