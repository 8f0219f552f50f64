/**
 * Where the desktop window's calls go: the engine this process hosts, or
 * the remote `jobdeck serve` of the chosen profile (over HTTP and WebSocket,
 * from the main process, so tokens stay here and no CORS is involved).
 */
import WebSocket from 'ws';
import type { JobdeckClient } from '../../shared/client/client';
import { createHttpClient, type SocketLike } from '../../shared/client/httpClient';
import type { CallContext, MethodName } from '../../shared/contract';
import { dispatch, type Result } from '../../shared/dispatch';
import { JobdeckError, toErrorData, type ErrorData } from '../../shared/errors';
import { subscriptionSchema, type EngineEvent, type Subscription } from '../../shared/events';
import type { ConnectionInfo } from '../../shared/ipc';
import type { Engine } from '../engine/engine';
import type { ProfileStore } from './profiles';

type Emit = (id: string, event: EngineEvent) => void;

interface Remote {
  profileId: string;
  url: string;
  token: string | null;
  client: JobdeckClient;
}

export class ConnectionRouter {
  private remote: Remote | null = null;
  /** Subscriptions by window, then by the renderer's id. */
  private readonly subs = new Map<number, Map<string, () => void>>();
  private state: ConnectionInfo['state'] = 'open';
  private error: ErrorData | undefined;
  private listeners = new Set<(info: ConnectionInfo) => void>();

  constructor(
    private engine: Engine,
    private readonly profiles: ProfileStore,
    private readonly local: CallContext,
  ) {}

  info(): ConnectionInfo {
    return this.remote
      ? { profileId: this.remote.profileId, target: this.remote.url, state: this.state, ...(this.error ? { error: this.error } : {}) }
      : { profileId: null, target: `local (${this.engine.dataDir})`, state: 'open' };
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private lastNotified = '';

  /** Tells listeners about a change (only when something did change). */
  private notify(): void {
    const info = this.info();
    const key = JSON.stringify(info);
    if (key === this.lastNotified) return;
    this.lastNotified = key;
    for (const l of this.listeners) l(info);
  }

  /** The remote server's URL and token, when a profile is in use (downloads need them). */
  get remoteTarget(): { url: string; token: string | null } | null {
    return this.remote ? { url: this.remote.url, token: this.remote.token } : null;
  }

  async call(method: string, input: unknown): Promise<Result<unknown>> {
    if (!this.remote) return dispatch(this.engine.handlers, method, input, this.local);
    try {
      return { ok: true, value: await this.remote.client.call(method as MethodName, input as never) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }

  subscribe(windowId: number, id: string, sub: Subscription, emit: Emit): void {
    const parsed = subscriptionSchema.safeParse(sub);
    if (!parsed.success) return;
    const forWindow = this.subs.get(windowId) ?? new Map<string, () => void>();
    this.subs.set(windowId, forWindow);
    forWindow.get(id)?.();
    const off = this.remote
      ? this.remote.client.subscribe(parsed.data, {
          onEvent: (e) => emit(id, e),
          onState: (state, error) => {
            this.state = state;
            this.error = error;
            this.notify();
          },
        })
      : this.engine.subscribe(parsed.data, (e) => emit(id, e));
    forWindow.set(id, off);
  }

  unsubscribe(windowId: number, id: string): void {
    const forWindow = this.subs.get(windowId);
    forWindow?.get(id)?.();
    forWindow?.delete(id);
  }

  /** Drops every subscription of a window (it closed or reloaded). */
  dropWindow(windowId: number): void {
    for (const off of this.subs.get(windowId)?.values() ?? []) off();
    this.subs.delete(windowId);
  }

  private dropAll(): void {
    for (const id of [...this.subs.keys()]) this.dropWindow(id);
  }

  /** Switches to a remote profile (checking it answers) or back to the local engine (null). */
  async use(profileId: string | null): Promise<ConnectionInfo> {
    if (profileId === null) {
      this.dropAll();
      this.remote?.client.close?.();
      this.remote = null;
      this.state = 'open';
      this.error = undefined;
      this.notify();
      return this.info();
    }
    const profile = this.profiles.get(profileId);
    if (!profile.token) throw new JobdeckError('VALIDATION_FAILED', `server "${profile.name}" has no token; edit it and paste one`, 'token');
    const token = profile.token;
    const client = createHttpClient({
      baseUrl: profile.url,
      token,
      openSocket: (url) => new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }) as unknown as SocketLike,
    });
    try {
      await client.call('auth.whoami', {});
    } catch (err) {
      client.close?.();
      const data = toErrorData(err);
      const why = data.code === 'UNAUTHORIZED' ? 'the server refused the token' : data.message;
      throw new JobdeckError(data.code === 'UNAUTHORIZED' ? 'UNAUTHORIZED' : 'UNAVAILABLE', `cannot use ${profile.name} (${profile.url}): ${why}`);
    }
    this.dropAll();
    this.remote?.client.close?.();
    this.remote = { profileId, url: profile.url, token, client };
    this.state = 'open';
    this.error = undefined;
    this.notify();
    return this.info();
  }

  /**
   * The engine was reopened (with or without its scheduler): calls go to the
   * new one; windows subscribed to the old one subscribe again.
   */
  setEngine(engine: Engine): void {
    if (!this.remote) this.dropAll();
    this.engine = engine;
    this.lastNotified = '';
    this.notify();
  }

  close(): void {
    this.dropAll();
    this.remote?.client.close?.();
    this.remote = null;
  }
}
