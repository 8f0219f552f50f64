/**
 * The contract client over HTTP + WebSocket, for the web console (same
 * origin, cookie session) and for Node (bearer token; tests, desktop remote
 * profiles). Calls follow each method's HTTP binding; live events share one
 * WebSocket that reconnects by itself and resumes log streams from the last
 * sequence number seen, so no line is lost or repeated.
 */
import { contract, isDownloadMethod, type Download, type Input, type MethodName, type Output } from '../contract';
import { HTTP_STATUS, isErrorData, JobdeckError, type ErrorCode, type ErrorData } from '../errors';
import { WS_CLOSE, type EngineEvent, type Subscription, type WsServerMessage } from '../events';
import type { ConnectionState, JobdeckClient, SubscribeHandlers } from './client';
import { resultFilePath } from '../methods/runs';

/** The part of a WebSocket this client uses (browser WebSocket and `ws` both fit). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export interface HttpClientOptions {
  /** Server origin, e.g. http://127.0.0.1:7070; '' for the page's own origin. */
  baseUrl: string;
  /** API token, sent as `Authorization: Bearer`. Omit to rely on the session cookie. */
  token?: string;
  fetch?: typeof fetch;
  /** Opens the events socket (default: the global WebSocket). */
  openSocket?: (url: string) => SocketLike;
  /** Reconnect delays of the events socket, doubling from min to max (ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

const OPEN = 1;

function statusCode(status: number): ErrorCode {
  const found = (Object.entries(HTTP_STATUS) as [ErrorCode, number][]).find(([, s]) => s === status);
  if (found) return found[0];
  return status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED';
}

/** The file name a Content-Disposition header suggests (RFC 6266: filename*, else filename). */
export function fileNameOf(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      /* fall through to the plain name */
    }
  }
  const plain = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header) ?? /filename\s*=\s*([^;]+)/i.exec(header);
  return plain ? plain[1]!.trim().replace(/\\(.)/g, '$1') : null;
}

export function buildRequest(method: MethodName, input: Record<string, unknown>): { verb: string; path: string; body?: string } {
  const { http } = contract[method];
  const rest: Record<string, unknown> = { ...input };
  if (http.path.endsWith('/*')) {
    // A trailing wildcard carries the `name` field as a path (each segment escaped).
    const name = rest.name;
    delete rest.name;
    const base = http.path.slice(0, -2);
    const path = base.replace(/:([A-Za-z]+)/g, (_m, key: string) => {
      const value = rest[key];
      delete rest[key];
      return encodeURIComponent(String(value));
    });
    const tail = typeof name === 'string' ? `/${name.split('/').map(encodeURIComponent).join('/')}` : '/';
    return { verb: http.method, path: `${path}${tail}` };
  }
  const path = http.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = rest[name];
    delete rest[name];
    if (value === undefined || value === null || value === '') {
      throw new JobdeckError('VALIDATION_FAILED', `${name}: is required`, name);
    }
    return encodeURIComponent(String(value));
  });
  if (http.method === 'GET' || http.method === 'DELETE') {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      params.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    const qs = params.toString();
    return { verb: http.method, path: qs ? `${path}?${qs}` : path };
  }
  return { verb: http.method, path, body: JSON.stringify(rest) };
}

/**
 * The server could not be reached at all (refused, DNS, TLS, dropped): not an
 * answer from it. Says why, from the underlying cause fetch wraps.
 */
export class ServerUnreachable extends JobdeckError {
  constructor(base: string, err: unknown) {
    super('UNAVAILABLE', `cannot reach ${base || 'the server'}: ${reasonOf(err)}`);
  }
}

function reasonOf(err: unknown): string {
  const outer = err as (Error & { cause?: Error & { code?: string } }) | undefined;
  const cause = outer?.cause;
  if (cause?.message && outer?.message === 'fetch failed') return cause.code && !cause.message.includes(cause.code) ? `${cause.message} (${cause.code})` : cause.message;
  return outer?.message ?? String(err);
}

export function createHttpClient(options: HttpClientOptions): JobdeckClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => fetch(...args));
  const headers = (json: boolean): Record<string, string> => ({
    accept: 'application/json',
    ...(json ? { 'content-type': 'application/json' } : {}),
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  });

  async function send(method: MethodName, input: Record<string, unknown>): Promise<Response> {
    const req = buildRequest(method, input);
    try {
      return await doFetch(`${base}${req.path}`, {
        method: req.verb,
        headers: headers(req.body !== undefined),
        body: req.body,
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new ServerUnreachable(base, err);
    }
  }

  /** A download answered by the server: its body is streamed by the first chunks() call; later calls fetch it again. */
  function download(method: MethodName, input: Record<string, unknown>, first: Response): Download {
    let pending: Response | null = first;
    const header = (name: string) => first.headers.get(name);
    const length = header('content-length');
    return {
      fileName: fileNameOf(header('content-disposition')) ?? 'download',
      contentType: header('content-type') ?? 'application/octet-stream',
      size: length !== null && /^\d+$/.test(length) ? Number(length) : null,
      sha256: header('x-checksum-sha256'),
      async *chunks() {
        const res = pending ?? (await send(method, input));
        pending = null;
        if (!res.ok) await failure(res);
        if (!res.body) return;
        const reader = res.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            yield value;
          }
        } finally {
          reader.releaseLock();
          await res.body.cancel().catch(() => undefined);
        }
      },
    };
  }

  async function failure(res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const data: ErrorData = isErrorData(body)
      ? body
      : { code: statusCode(res.status), message: `${res.status} ${res.statusText || 'error'} from ${base || 'the server'}` };
    throw JobdeckError.fromData(data);
  }

  async function call<M extends MethodName>(method: M, input: Input<M>): Promise<Output<M>> {
    const fields = (input ?? {}) as Record<string, unknown>;
    const res = await send(method, fields);
    if (isDownloadMethod(method)) {
      if (!res.ok) await failure(res);
      return download(method, fields, res) as Output<M>;
    }
    let body: unknown = null;
    const text = await res.text();
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (!res.ok) {
      const data: ErrorData = isErrorData(body)
        ? body
        : { code: statusCode(res.status), message: `${res.status} ${res.statusText || 'error'} from ${base || 'the server'}` };
      throw JobdeckError.fromData(data);
    }
    return body as Output<M>;
  }

  // ----- live events -----
  interface Sub {
    sub: Subscription;
    handlers: SubscribeHandlers;
    lastSeq: number | undefined;
  }
  const subs = new Map<string, Sub>();
  let socket: SocketLike | null = null;
  let nextId = 1;
  let delay = options.reconnectMinMs ?? 500;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  const notify = (state: ConnectionState, error?: ErrorData, retryInMs?: number) => {
    for (const s of subs.values()) s.handlers.onState?.(state, error, retryInMs);
  };

  const sendSubscribe = (id: string, s: Sub) => {
    const sub = s.sub.runId !== undefined && s.lastSeq !== undefined ? { ...s.sub, afterSeq: s.lastSeq } : s.sub;
    socket?.send(JSON.stringify({ type: 'subscribe', id, sub }));
  };

  const wsUrl = (): string => {
    const origin = base || ((globalThis as { location?: { origin: string } }).location?.origin ?? '');
    return `${origin.replace(/^http/, 'ws')}/api/events`;
  };

  const connect = (): void => {
    if (socket || closed || subs.size === 0) return;
    notify('connecting');
    const open = options.openSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    let ws: SocketLike;
    try {
      ws = open(wsUrl());
    } catch (err) {
      const wait = scheduleReconnect();
      notify('closed', { code: 'UNAVAILABLE', message: `cannot open the events socket: ${(err as Error).message}` }, wait);
      return;
    }
    socket = ws;
    ws.onopen = () => {
      delay = options.reconnectMinMs ?? 500;
      for (const [id, s] of subs) sendSubscribe(id, s);
      notify('open');
    };
    ws.onmessage = (ev) => {
      let msg: WsServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as WsServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'event') {
        const s = subs.get(msg.id);
        if (!s) return;
        const event: EngineEvent = msg.event;
        if (event.type === 'log' && event.lines.length) {
          const fresh = s.lastSeq === undefined ? event.lines : event.lines.filter((l) => l.seq > s.lastSeq!);
          if (fresh.length === 0) return;
          s.lastSeq = fresh[fresh.length - 1]!.seq;
          s.handlers.onEvent(fresh === event.lines ? event : { ...event, lines: fresh });
        } else s.handlers.onEvent(event);
      } else if (msg.type === 'error' && msg.id) {
        subs.get(msg.id)?.handlers.onState?.('closed', msg.error as ErrorData);
      }
    };
    ws.onclose = (ev) => {
      if (socket === ws) socket = null;
      if (ev.code === WS_CLOSE.unauthorized) {
        notify('closed', { code: 'UNAUTHORIZED', message: ev.reason || 'the server refused the token' });
        return;
      }
      const wait = scheduleReconnect();
      notify('closed', closed ? undefined : { code: 'UNAVAILABLE', message: `live events disconnected (${ev.code}); reconnecting` }, wait);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  };

  /** Schedules the next try with back-off; returns how long until it (undefined: none scheduled). */
  const scheduleReconnect = (): number | undefined => {
    if (closed || reconnectTimer || subs.size === 0) return undefined;
    const wait = delay;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, wait);
    delay = Math.min(delay * 2, options.reconnectMaxMs ?? 10_000);
    return wait;
  };

  return {
    target: base || 'this server',
    call,
    subscribe(sub, handlers) {
      const id = `s${nextId++}`;
      const entry: Sub = { sub, handlers, lastSeq: sub.runId !== undefined ? sub.afterSeq : undefined };
      subs.set(id, entry);
      if (socket && socket.readyState === OPEN) {
        sendSubscribe(id, entry);
        handlers.onState?.('open');
      } else connect();
      return () => {
        if (!subs.delete(id)) return;
        if (socket && socket.readyState === OPEN) socket.send(JSON.stringify({ type: 'unsubscribe', id }));
        if (subs.size === 0 && socket) {
          const s = socket;
          socket = null;
          s.close(1000, 'no subscriptions');
        }
      };
    },
    resultFileUrl(runId, name) {
      return `${base}${resultFilePath(runId, name)}`;
    },
    logUrl(runId) {
      return `${base}/api/runs/${runId}/log`;
    },
    reconnectNow() {
      if (!reconnectTimer) return;
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    },
    close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      subs.clear();
      socket?.close(1000, 'client closed');
      socket = null;
    },
  };
}
