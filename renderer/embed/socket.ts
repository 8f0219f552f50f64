/**
 * The live-events WebSocket of one Jobdeck server, as the embeddable
 * component uses it: native subscriptions (`subscribe`, a job's run events)
 * and the workflow library's watch (`watchWorkflowInstance`, a run's task
 * statuses), both sent again after every reconnect. It reconnects by itself
 * after a drop, doubling its wait from 0.5 s to 10 s, at once when the
 * browser comes back online, and drops a connection that stops answering
 * its pings. A browser cannot set headers on a WebSocket: the token travels
 * as a subprotocol (`jobdeck.bearer.TOKEN`, beside `jobdeck`), never in the URL.
 */
import type { EngineEvent, Subscription } from '../../shared/events';
import type { SeedTaskStatus } from './types';

/** One task as the workflow library's messages carry it. */
export interface SeedTaskEntry {
  path: string;
  status: SeedTaskStatus;
  executionTime: number | null;
  body: string | null;
}

export type SocketState = 'connecting' | 'open' | 'closed';

/** The part of a browser WebSocket used here (tests may pass their own). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface SocketOptions {
  openSocket?: (url: string, protocols: string[]) => SocketLike;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** A ping is sent after this long without a message; no answer within it again drops the connection. */
  pingMs?: number;
  /**
   * After a connection that could not even open (a browser is not told why):
   * asks the server whether it refuses the token; a message means it does,
   * and the socket stops trying.
   */
  whyRefused?: () => Promise<string | null>;
}

/** The subprotocol the server answers with; the token rides in a second one. */
export const PROTOCOL = 'jobdeck';
export const bearerProtocol = (token: string) => `${PROTOCOL}.bearer.${token}`;
/** Close code of a refused or revoked token (shared/events.ts WS_CLOSE.unauthorized). */
const CLOSE_UNAUTHORIZED = 4401;
const OPEN = 1;

type ServerMessage =
  | { type: 'event'; id: string; event: EngineEvent }
  | { type: 'subscribed'; id: string }
  | { type: 'error'; id?: string; error: { code: string; message: string; field?: string } }
  | { type: 'pong' }
  | { type: 'setTasksStatuses'; workflowId: number; tasks: Record<string, SeedTaskEntry> }
  | { type: 'taskStarted'; workflowId: number; taskPath: string };

export interface SubHandlers {
  onEvent: (event: EngineEvent) => void;
  /** The server took the subscription (after each reconnect too): from now on no event is missed. */
  onSubscribed?: () => void;
  /** The server refused it (an unknown job, too many subscriptions). */
  onError?: (message: string) => void;
}

interface Sub extends SubHandlers {
  sub: Subscription;
}

export class EmbedSocket {
  state: SocketState = 'closed';
  error: string | null = null;
  private ws: SocketLike | null = null;
  private readonly subs = new Map<string, Sub>();
  private readonly watches = new Map<number, Set<(tasks: Record<string, SeedTaskEntry>) => void>>();
  private readonly listeners = new Set<(state: SocketState, error: string | null) => void>();
  private nextId = 1;
  private delay: number;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setTimeout> | null = null;
  private awaitingPong = false;
  private refused = false;
  private closed = false;
  private readonly online = () => this.reconnectNow();

  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly options: SocketOptions = {},
  ) {
    this.delay = options.reconnectMinMs ?? 500;
    if (typeof window !== 'undefined') window.addEventListener('online', this.online);
  }

  /** Native events of a subscription (sent again after each reconnect); returns the unsubscribe function. */
  subscribe(sub: Subscription, handlers: SubHandlers): () => void {
    const id = `e${this.nextId++}`;
    this.subs.set(id, { sub, ...handlers });
    if (this.isOpen()) this.send({ type: 'subscribe', id, sub });
    else this.connect();
    return () => {
      if (!this.subs.delete(id)) return;
      if (this.isOpen()) this.send({ type: 'unsubscribe', id });
    };
  }

  /** A workflow run's task statuses: every task, then the changes (again every task after a reconnect). */
  watch(runId: number, onTasks: (tasks: Record<string, SeedTaskEntry>) => void): () => void {
    let set = this.watches.get(runId);
    if (!set) {
      set = new Set();
      this.watches.set(runId, set);
      if (this.isOpen()) this.send({ type: 'watchWorkflowInstance', workflowId: runId });
      else this.connect();
    } else if (this.isOpen()) this.send({ type: 'watchWorkflowInstance', workflowId: runId }); // a snapshot for the newcomer
    set.add(onTasks);
    return () => {
      const s = this.watches.get(runId);
      if (!s?.delete(onTasks) || s.size > 0) return;
      this.watches.delete(runId);
      if (this.isOpen()) this.send({ type: 'unwatchWorkflowInstance', workflowId: runId });
    };
  }

  onState(listener: (state: SocketState, error: string | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Nothing uses it any more: closes it for good. */
  close(): void {
    this.closed = true;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.online);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stopPing();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      detach(ws);
      ws.close(1000, 'closed by the page');
    }
    this.setState('closed', null);
  }

  /** The connection as if it had dropped (tests, and a connection that stopped answering). */
  drop(reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null;
    detach(ws);
    try {
      ws.close(4000, reason);
    } catch {
      /* already closing */
    }
    this.lost(reason);
  }

  private isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === OPEN && this.state === 'open';
  }

  private send(msg: unknown): void {
    this.ws?.send(JSON.stringify(msg));
  }

  private setState(state: SocketState, error: string | null): void {
    this.state = state;
    this.error = error;
    for (const l of [...this.listeners]) l(state, error);
  }

  private connect(): void {
    if (this.ws || this.closed || this.refused) return;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    this.setState('connecting', this.error);
    const url = `${this.url.replace(/\/+$/, '').replace(/^http/i, 'ws')}/api/events`;
    const open = this.options.openSocket ?? ((u: string, p: string[]) => new WebSocket(u, p) as unknown as SocketLike);
    let ws: SocketLike;
    try {
      ws = open(url, [PROTOCOL, bearerProtocol(this.token)]);
    } catch (err) {
      this.lost(`cannot open ${url}: ${(err as Error).message}`);
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      opened = true;
      this.delay = this.options.reconnectMinMs ?? 500;
      this.setState('open', null);
      for (const [id, s] of this.subs) this.send({ type: 'subscribe', id, sub: s.sub });
      for (const runId of this.watches.keys()) this.send({ type: 'watchWorkflowInstance', workflowId: runId });
      this.armPing();
    };
    ws.onmessage = (ev) => {
      this.armPing();
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'event') this.subs.get(msg.id)?.onEvent(msg.event);
      else if (msg.type === 'subscribed') this.subs.get(msg.id)?.onSubscribed?.();
      else if (msg.type === 'setTasksStatuses') for (const fn of [...(this.watches.get(msg.workflowId) ?? [])]) fn(msg.tasks);
      else if (msg.type === 'error' && msg.id && this.subs.has(msg.id)) this.subs.get(msg.id)!.onError?.(msg.error.message);
      else if (msg.type === 'error') this.setState(this.state, msg.error.message);
    };
    let opened = false;
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === CLOSE_UNAUTHORIZED) return this.refuse(ev.reason || 'the server refused the token');
      const why = `live events disconnected (${ev.code}${ev.reason ? `: ${ev.reason}` : ''}); reconnecting`;
      if (opened || !this.options.whyRefused) return this.lost(why);
      // The server could not be asked either: its answer (not reachable, this origin not allowed) says more than the close code.
      void this.options.whyRefused().then(
        (refusal) => (refusal ? this.refuse(refusal) : this.lost(why)),
        (err: unknown) => this.lost(err instanceof Error ? `${err.message}; trying again` : why),
      );
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  private refuse(message: string): void {
    this.refused = true;
    this.stopPing();
    this.setState('closed', message);
  }

  private lost(error: string): void {
    this.stopPing();
    this.setState('closed', error);
    if (this.closed || this.reconnectTimer || (this.subs.size === 0 && this.watches.size === 0)) return;
    const wait = this.delay * (0.8 + Math.random() * 0.4);
    this.delay = Math.min(this.delay * 2, this.options.reconnectMaxMs ?? 10_000);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, wait);
  }

  private reconnectNow(): void {
    if (this.ws || this.closed) return;
    this.delay = this.options.reconnectMinMs ?? 500;
    this.connect();
  }

  /** After each message: a ping once it has been quiet for pingMs; no answer for another pingMs drops the connection. */
  private armPing(): void {
    this.stopPing();
    const ms = this.options.pingMs ?? 25_000;
    this.pingTimer = setTimeout(() => {
      if (!this.isOpen()) return;
      this.send({ type: 'ping' });
      this.awaitingPong = true;
      this.pingTimer = setTimeout(() => {
        if (this.awaitingPong) this.drop('the server stopped answering');
      }, ms);
    }, ms);
    this.awaitingPong = false;
  }

  private stopPing(): void {
    if (this.pingTimer) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    this.awaitingPong = false;
  }
}

function detach(ws: SocketLike): void {
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = null;
}
