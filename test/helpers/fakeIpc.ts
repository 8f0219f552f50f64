/**
 * An in-memory stand-in for Electron's ipcMain/ipcRenderer/webContents, with
 * the same structured-clone copying, so the main-process dispatch and the
 * preload bridge are tested in plain Node.
 */
import type { IpcEventLike, IpcMainLike, IpcRendererLike, WebContentsLike } from '../../electron/main/ipcTypes';

type MainListener = (event: IpcEventLike, ...args: unknown[]) => unknown;
type RendererListener = (event: unknown, ...args: unknown[]) => void;

export class FakeIpc {
  private readonly handlers = new Map<string, MainListener>();
  private readonly mainListeners = new Map<string, MainListener[]>();
  private readonly rendererListeners = new Map<string, RendererListener[]>();
  private readonly destroyedListeners: (() => void)[] = [];
  private destroyed = false;

  readonly webContents: WebContentsLike = {
    id: 1,
    send: (channel, ...args) => {
      const copy = structuredClone(args);
      queueMicrotask(() => {
        for (const l of this.rendererListeners.get(channel) ?? []) l({}, ...copy);
      });
    },
    isDestroyed: () => this.destroyed,
    once: (_event, listener) => this.destroyedListeners.push(listener),
  };

  readonly main: IpcMainLike = {
    handle: (channel, listener) => {
      if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      this.handlers.set(channel, listener);
    },
    on: (channel, listener) => {
      this.mainListeners.set(channel, [...(this.mainListeners.get(channel) ?? []), listener]);
    },
  };

  readonly renderer: IpcRendererLike = {
    invoke: async (channel, ...args) => {
      const handler = this.handlers.get(channel);
      if (!handler) throw new Error(`No handler registered for '${channel}'`);
      return structuredClone(await handler({ sender: this.webContents }, ...structuredClone(args)));
    },
    send: (channel, ...args) => {
      const copy = structuredClone(args);
      queueMicrotask(() => {
        for (const l of this.mainListeners.get(channel) ?? []) l({ sender: this.webContents }, ...copy);
      });
    },
    on: (channel, listener) => {
      this.rendererListeners.set(channel, [...(this.rendererListeners.get(channel) ?? []), listener]);
    },
    removeListener: (channel, listener) => {
      this.rendererListeners.set(channel, (this.rendererListeners.get(channel) ?? []).filter((l) => l !== listener));
    },
  };

  /** The window closes. */
  destroy(): void {
    this.destroyed = true;
    for (const l of this.destroyedListeners.splice(0)) l();
  }
}

/** A reversible stand-in for safeStorage (tests check the token is not stored in clear). */
export const fakeSecrets = {
  isEncryptionAvailable: () => true,
  encryptString: (text: string) => Buffer.from([...Buffer.from(text)].map((b) => b ^ 0x5a)),
  decryptString: (data: Buffer) => Buffer.from([...data].map((b) => b ^ 0x5a)).toString(),
};
