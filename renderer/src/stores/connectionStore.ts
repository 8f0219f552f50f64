/**
 * Which engine this window talks to, who is signed in, and whether the
 * engine can be reached. Every other store calls the engine through the
 * client held here.
 */
import { create } from 'zustand';
import type { ConnectionState, JobdeckClient } from '../../../shared/client/client';
import { JobdeckError } from '../../../shared/errors';
import type { Result } from '../../../shared/dispatch';
import type { ConnectionInfo, JobdeckBridge, LocalServiceInfo, ProfileInfo, ProfileInput } from '../../../shared/ipc';
import { roleRank, type Role } from '../../../shared/model/misc';
import { createClient, signInWeb, signOutWeb } from '../api/transport';
import { errorText } from '../lib/errors';

export type Status = 'starting' | 'signed-out' | 'ready' | 'unreachable';

interface State {
  client: JobdeckClient | null;
  status: Status;
  user: { name: string; role: Role; expiresAt: string | null } | null;
  target: string;
  error: string | null;
  /** State of the live-events feed. */
  live: ConnectionState;
  desktop: boolean;
  profiles: ProfileInfo[];
  profileId: string | null;
  init(client?: JobdeckClient): Promise<void>;
  signIn(token: string): Promise<void>;
  signOut(): Promise<void>;
  setLive(state: ConnectionState, error?: string, retryInMs?: number): void;
  /** When the live feed was lost (null while it is open): what the screens show is as of then. */
  lostAt: number | null;
  /** When the feed tries again (null: unknown, or trying now). */
  retryAt: number | null;
  /** Tries to reconnect now. */
  retryNow(): void;
  /** Desktop: switch to a remote profile (or null for the local engine). */
  useProfile(id: string | null): Promise<void>;
  saveProfile(profile: ProfileInput): Promise<void>;
  removeProfile(id: string): Promise<void>;
  /** The data folder's scheduler as an OS service (desktop app). */
  serviceInfo(): Promise<LocalServiceInfo>;
  installService(port: number): Promise<LocalServiceInfo>;
  uninstallService(): Promise<LocalServiceInfo>;
}

/** A desktop bridge call's value, or its error thrown. */
async function unwrapBridge<T>(fn: (bridge: JobdeckBridge) => Promise<Result<T>>): Promise<T> {
  const bridge = window.jobdeck;
  if (!bridge) throw new JobdeckError('INVALID_STATE', 'only the desktop app installs a service');
  const result = await fn(bridge);
  if (!result.ok) throw JobdeckError.fromData(result.error);
  return result.value;
}

export const useConnectionStore = create<State>()((set, get) => ({
  client: null,
  status: 'starting',
  user: null,
  target: '',
  error: null,
  live: 'connecting',
  desktop: false,
  profiles: [],
  profileId: null,
  lostAt: null,
  retryAt: null,

  async init(client) {
    const c = client ?? get().client ?? createClient();
    const desktop = typeof window !== 'undefined' && window.jobdeck !== undefined && !client;
    set({ client: c, target: c.target, status: 'starting', error: null, desktop });
    // A one-time sign-in link (#signin=SECRET, printed by jobdeck serve on first start): exchanged for a
    // session, then taken out of the address bar and history. The secret never leaves the fragment otherwise.
    const link = !desktop && !client && typeof location !== 'undefined' ? /^#signin=([A-Za-z0-9_-]{8,200})$/.exec(location.hash) : null;
    if (link) {
      history.replaceState(null, '', `${location.pathname}${location.search}#/`);
      try {
        await signInWeb(link[1]!, 'link');
      } catch (err) {
        set({ status: 'signed-out', user: null, error: errorText(err) });
        return;
      }
    }
    if (desktop) await refreshDesktop(set);
    try {
      const user = await c.call('auth.whoami', {});
      set({ status: 'ready', user, error: null });
    } catch (err) {
      if (err instanceof JobdeckError && err.code === 'UNAUTHORIZED') set({ status: 'signed-out', user: null, error: null });
      else set({ status: 'unreachable', user: null, error: errorText(err) });
    }
  },

  async signIn(token) {
    const trimmed = token.trim();
    if (!trimmed) throw new JobdeckError('VALIDATION_FAILED', 'paste your API token', 'token');
    await signInWeb(trimmed);
    await get().init();
  },

  async signOut() {
    await signOutWeb();
    get().client?.close?.();
    set({ client: null, status: 'signed-out', user: null });
    await get().init();
  },

  setLive(live, error, retryInMs) {
    if (live === 'open') return set({ live, lostAt: null, retryAt: null });
    set({
      live,
      ...(error && live === 'closed' ? { error } : {}),
      lostAt: get().lostAt ?? Date.now(),
      retryAt: live === 'closed' && retryInMs !== undefined ? Date.now() + retryInMs : null,
    });
  },

  retryNow() {
    get().client?.reconnectNow?.();
  },

  async useProfile(id) {
    const bridge = window.jobdeck;
    if (!bridge) return;
    const result = await bridge.useProfile(id);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    // A fresh client: every screen reloads and subscribes again, from the new engine.
    get().client?.close?.();
    set({ client: null });
    await get().init();
  },

  async serviceInfo() {
    return unwrapBridge((b) => b.serviceInfo());
  },

  async installService(port) {
    const info = await unwrapBridge((b) => b.installService(port));
    // The app now talks to the service: every screen reloads from it.
    get().client?.close?.();
    set({ client: null });
    await get().init();
    return info;
  },

  async uninstallService() {
    const info = await unwrapBridge((b) => b.uninstallService());
    get().client?.close?.();
    set({ client: null });
    await get().init();
    return info;
  },

  async saveProfile(profile) {
    const bridge = window.jobdeck;
    if (!bridge) return;
    const result = await bridge.saveProfile(profile);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    await refreshDesktop(set);
  },

  async removeProfile(id) {
    const bridge = window.jobdeck;
    if (!bridge) return;
    const result = await bridge.removeProfile(id);
    if (!result.ok) throw JobdeckError.fromData(result.error);
    await refreshDesktop(set);
  },
}));

async function refreshDesktop(set: (s: Partial<State>) => void): Promise<void> {
  const bridge = window.jobdeck!;
  const [profiles, info]: [ProfileInfo[], ConnectionInfo] = await Promise.all([bridge.profiles(), bridge.connection()]);
  set({ profiles, profileId: info.profileId, target: info.target });
}

export const connectionSelectors = {
  /** Does the signed-in user have at least this role? */
  can: (role: Role) => (s: State) => s.user !== null && roleRank(s.user.role) >= roleRank(role),
};

/** The client for store actions (throws if the console is not connected). */
export function client(): JobdeckClient {
  const c = useConnectionStore.getState().client;
  if (!c) throw new JobdeckError('UNAVAILABLE', 'not connected to an engine');
  return c;
}
