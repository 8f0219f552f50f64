/**
 * The few Electron objects the main-process logic touches, as interfaces, so
 * the IPC dispatch, the router and the downloads run (and are tested) in
 * plain Node; index.ts passes the real ipcMain, dialog and safeStorage.
 */

export interface WebContentsLike {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  once(event: 'destroyed', listener: () => void): unknown;
}

export interface IpcEventLike {
  sender: WebContentsLike;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  on(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => void): unknown;
}

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** Asks where to save a file; resolves to a path, or null when the user cancels. */
export type SaveDialog = (suggestedName: string) => Promise<string | null>;

/** OS-backed encryption of secrets (Electron's safeStorage). */
export interface SecretBox {
  isEncryptionAvailable(): boolean;
  encryptString(text: string): Buffer;
  decryptString(data: Buffer): string;
}
