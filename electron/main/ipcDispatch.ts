/**
 * The main process's IPC handlers: one dispatch from the contract to the
 * engine (or the remote server), every argument checked by the shared
 * schemas, every answer a result object. Written against IpcMainLike so it
 * runs in plain Node for tests.
 */
import { isDownloadMethod, isMethodName } from '../../shared/contract';
import type { Result } from '../../shared/dispatch';
import { JobdeckError, toErrorData } from '../../shared/errors';
import { subscriptionSchema } from '../../shared/events';
import { IPC, type ProfileInput } from '../../shared/ipc';
import type { Downloads } from './downloads';
import type { IpcMainLike, WebContentsLike } from './ipcTypes';
import type { ProfileStore } from './profiles';
import type { LocalService } from './localService';
import type { ConnectionRouter } from './router';

export interface IpcDeps {
  router: ConnectionRouter;
  downloads: Downloads;
  profiles: ProfileStore;
  /** Opens a run's folder in the OS file manager (local engine only). */
  showRunFolder(runId: number): Promise<void>;
  /** The data folder's scheduler as an OS service (absent: the app cannot install one). */
  localService?: LocalService;
}

async function result<T>(fn: () => Promise<T> | T): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}

function runIdArg(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new JobdeckError('VALIDATION_FAILED', 'runId: must be a numeric id', 'runId');
  }
  return value;
}

function nameArg(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new JobdeckError('VALIDATION_FAILED', 'name: give a result file name', 'name');
  }
  return value;
}

export function registerIpcHandlers(ipc: IpcMainLike, deps: IpcDeps): void {
  const { router } = deps;
  const windows = new Map<number, WebContentsLike>();
  // Connection changes (a remote server dropping, a profile switch) reach every window.
  router.onConnection((info) => {
    for (const w of windows.values()) if (!w.isDestroyed()) w.send(IPC.connectionChanged, info);
  });

  ipc.handle(IPC.call, (_e, method, input) => {
    if (typeof method !== 'string') return { ok: false, error: { code: 'VALIDATION_FAILED', message: 'method: must be a method name', field: 'method' } };
    // A download is a stream: it reaches the window as a saved file (saveResultFile, saveLog), never through a call.
    if (isMethodName(method) && isDownloadMethod(method)) {
      return { ok: false, error: { code: 'VALIDATION_FAILED', message: `${method} saves a file: use the save dialog (saveResultFile or saveLog)`, field: 'method' } };
    }
    return router.call(method, input);
  });

  ipc.on(IPC.subscribe, (event, id, sub) => {
    const parsed = subscriptionSchema.safeParse(sub);
    if (typeof id !== 'string' || !parsed.success) return;
    const sender = event.sender;
    const windowId = sender.id;
    if (!windows.has(windowId)) {
      windows.set(windowId, sender);
      sender.once('destroyed', () => {
        windows.delete(windowId);
        router.dropWindow(windowId);
      });
    }
    router.subscribe(windowId, id, parsed.data, (subId, ev) => {
      if (!sender.isDestroyed()) sender.send(IPC.event, subId, ev);
    });
  });

  ipc.on(IPC.unsubscribe, (event, id) => {
    if (typeof id === 'string') router.unsubscribe(event.sender.id, id);
  });

  ipc.handle(IPC.connection, () => router.info());
  ipc.handle(IPC.saveResultFile, (_e, runId, name) => result(() => deps.downloads.saveResultFile(runIdArg(runId), nameArg(name))));
  ipc.handle(IPC.saveLog, (_e, runId) => result(() => deps.downloads.saveLog(runIdArg(runId))));
  ipc.handle(IPC.showRunFolder, (_e, runId) => result(async () => {
    await deps.showRunFolder(runIdArg(runId));
    return null;
  }));
  ipc.handle(IPC.profiles, () => deps.profiles.list());
  ipc.handle(IPC.useProfile, (_e, id) =>
    result(() => {
      if (id !== null && typeof id !== 'string') throw new JobdeckError('VALIDATION_FAILED', 'id: must be a profile id or null', 'id');
      return router.use(id);
    }),
  );
  const service = () => {
    if (!deps.localService) throw new JobdeckError('INVALID_STATE', 'this build of the app cannot install a service');
    return deps.localService;
  };
  ipc.handle(IPC.serviceInfo, () => result(() => service().info()));
  ipc.handle(IPC.installService, (_e, port) =>
    result(() => {
      if (typeof port !== 'number' || !Number.isInteger(port) || port < 1024 || port > 65535) {
        throw new JobdeckError('VALIDATION_FAILED', 'port: a whole number from 1024 to 65535', 'port');
      }
      return service().install(port);
    }),
  );
  ipc.handle(IPC.uninstallService, () => result(() => service().uninstall()));
  ipc.handle(IPC.saveProfile, (_e, profile) => result(() => deps.profiles.save(profile as ProfileInput)));
  ipc.handle(IPC.removeProfile, (_e, id) =>
    result(async () => {
      if (typeof id !== 'string') throw new JobdeckError('VALIDATION_FAILED', 'id: must be a profile id', 'id');
      if (router.info().profileId === id) await router.use(null);
      deps.profiles.remove(id);
      return null;
    }),
  );
}
