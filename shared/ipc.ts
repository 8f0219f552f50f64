/**
 * The desktop app's IPC bridge: what the preload script exposes to the
 * renderer as `window.jobdeck`, and the channel names main listens on. The
 * main process answers every call from the engine it hosts, or from the
 * remote server of the chosen profile; the renderer cannot tell which.
 */
import type { Result } from './dispatch';
import type { EngineEvent, Subscription } from './events';
import type { ConnectionState } from './client/client';
import type { ErrorData } from './errors';

export const IPC = {
  call: 'jobdeck:call',
  subscribe: 'jobdeck:subscribe',
  unsubscribe: 'jobdeck:unsubscribe',
  event: 'jobdeck:event',
  connection: 'jobdeck:connection',
  connectionChanged: 'jobdeck:connection-changed',
  saveResultFile: 'jobdeck:save-result-file',
  saveLog: 'jobdeck:save-log',
  showRunFolder: 'jobdeck:show-run-folder',
  profiles: 'jobdeck:profiles',
  useProfile: 'jobdeck:use-profile',
  saveProfile: 'jobdeck:save-profile',
  removeProfile: 'jobdeck:remove-profile',
  serviceInfo: 'jobdeck:service-info',
  installService: 'jobdeck:install-service',
  uninstallService: 'jobdeck:uninstall-service',
} as const;

/** The local data folder's scheduler as an operating-system service (jobdeck service …). */
export interface LocalServiceInfo {
  /** This system's service manager can install one (systemd runs, or macOS/Windows). */
  available: boolean;
  /** Why not, when it cannot. */
  reason: string | null;
  installed: boolean;
  running: boolean;
  /** The service manager's words: active (running), not installed … */
  state: string;
  /** Where the service listens (the app talks to it there once installed). */
  url: string | null;
  port: number;
}

/** A remote server the desktop app can talk to instead of its own engine. */
export interface ProfileInfo {
  id: string;
  name: string;
  url: string;
  /** Tokens never reach the renderer; it only learns whether one is stored. */
  hasToken: boolean;
}

export interface ConnectionInfo {
  /** null: the local engine. */
  profileId: string | null;
  target: string;
  state: ConnectionState;
  error?: ErrorData;
}

export interface ProfileInput {
  id?: string;
  name: string;
  url: string;
  /** Omit to keep the stored token. */
  token?: string;
}

export interface JobdeckBridge {
  call(method: string, input: unknown): Promise<Result<unknown>>;
  subscribe(id: string, sub: Subscription): void;
  unsubscribe(id: string): void;
  onEvent(listener: (id: string, event: EngineEvent) => void): () => void;
  onConnection(listener: (info: ConnectionInfo) => void): () => void;
  connection(): Promise<ConnectionInfo>;
  /** Native save dialog, then a streamed copy. Resolves to the saved path, or null if cancelled. */
  saveResultFile(runId: number, name: string): Promise<Result<string | null>>;
  saveLog(runId: number): Promise<Result<string | null>>;
  showRunFolder(runId: number): Promise<Result<null>>;
  profiles(): Promise<ProfileInfo[]>;
  useProfile(id: string | null): Promise<Result<ConnectionInfo>>;
  saveProfile(profile: ProfileInput): Promise<Result<ProfileInfo>>;
  removeProfile(id: string): Promise<Result<null>>;
  serviceInfo(): Promise<Result<LocalServiceInfo>>;
  /** Installs the service on `port`, hands it the scheduler and connects to it. */
  installService(port: number): Promise<Result<LocalServiceInfo>>;
  /** Removes the service and takes the scheduler back into the app. */
  uninstallService(): Promise<Result<LocalServiceInfo>>;
}
