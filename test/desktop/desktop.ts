import { Downloads } from '../../electron/main/downloads';
import { registerIpcHandlers } from '../../electron/main/ipcDispatch';
import type { LocalService } from '../../electron/main/localService';
import { ProfileStore } from '../../electron/main/profiles';
import { ConnectionRouter } from '../../electron/main/router';
import { createBridge } from '../../electron/preload/bridge';
import { createIpcClient } from '../../renderer/src/api/ipcClient';
import type { Engine } from '../../electron/engine/engine';
import { FakeIpc, fakeSecrets } from '../helpers/fakeIpc';
import { tempDir } from '../helpers/temp';

export const LOCAL = { actor: 'desktop-user', role: 'superadmin' as const };

/** The desktop main process's logic around an engine, with Electron replaced by fakes. */
export function desktop(engine: Engine, answers: (string | null)[] = [], service?: (parts: { router: ConnectionRouter; profiles: ProfileStore }) => LocalService) {
  const ipc = new FakeIpc();
  const profiles = new ProfileStore(tempDir(), fakeSecrets);
  const router = new ConnectionRouter(engine, profiles, LOCAL);
  const asked: string[] = [];
  const downloads = new Downloads(router, async (suggested: string) => {
    asked.push(suggested);
    return answers.shift() ?? null;
  });
  const opened: number[] = [];
  const localService = service?.({ router, profiles });
  registerIpcHandlers(ipc.main, { router, downloads, profiles, localService, showRunFolder: async (id) => void opened.push(id) });
  const bridge = createBridge(ipc.renderer);
  return { ipc, profiles, router, bridge, client: createIpcClient(bridge), asked, opened };
}
