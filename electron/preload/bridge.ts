/**
 * The object the preload script exposes as `window.jobdeck`: the contract
 * over IPC and the desktop extras (save dialogs, profiles). Built on an
 * IpcRendererLike so it is tested in plain Node.
 */
import type { Result } from '../../shared/dispatch';
import type { EngineEvent, Subscription } from '../../shared/events';
import { IPC, type ConnectionInfo, type JobdeckBridge, type LocalServiceInfo, type ProfileInfo, type ProfileInput } from '../../shared/ipc';
import type { IpcRendererLike } from '../main/ipcTypes';

export function createBridge(ipc: IpcRendererLike): JobdeckBridge {
  const invoke = <T>(channel: string, ...args: unknown[]) => ipc.invoke(channel, ...args) as Promise<T>;
  const listen = <A extends unknown[]>(channel: string, fn: (...args: A) => void) => {
    const listener = (_event: unknown, ...args: unknown[]) => fn(...(args as A));
    ipc.on(channel, listener);
    return () => {
      ipc.removeListener(channel, listener);
    };
  };
  return {
    call: (method, input) => invoke<Result<unknown>>(IPC.call, method, input),
    subscribe: (id: string, sub: Subscription) => ipc.send(IPC.subscribe, id, sub),
    unsubscribe: (id: string) => ipc.send(IPC.unsubscribe, id),
    onEvent: (fn: (id: string, event: EngineEvent) => void) => listen(IPC.event, fn),
    onConnection: (fn: (info: ConnectionInfo) => void) => listen(IPC.connectionChanged, fn),
    connection: () => invoke<ConnectionInfo>(IPC.connection),
    saveResultFile: (runId, name) => invoke<Result<string | null>>(IPC.saveResultFile, runId, name),
    saveLog: (runId) => invoke<Result<string | null>>(IPC.saveLog, runId),
    showRunFolder: (runId) => invoke<Result<null>>(IPC.showRunFolder, runId),
    profiles: () => invoke<ProfileInfo[]>(IPC.profiles),
    useProfile: (id) => invoke<Result<ConnectionInfo>>(IPC.useProfile, id),
    saveProfile: (profile: ProfileInput) => invoke<Result<ProfileInfo>>(IPC.saveProfile, profile),
    removeProfile: (id) => invoke<Result<null>>(IPC.removeProfile, id),
    serviceInfo: () => invoke<Result<LocalServiceInfo>>(IPC.serviceInfo),
    installService: (port) => invoke<Result<LocalServiceInfo>>(IPC.installService, port),
    uninstallService: () => invoke<Result<LocalServiceInfo>>(IPC.uninstallService),
  };
}
