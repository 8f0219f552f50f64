/**
 * Preload (sandboxed, context-isolated): exposes exactly one object to the
 * renderer, `window.jobdeck`, implementing the bridge over IPC. Nothing else
 * from Node or Electron reaches the page.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('jobdeck', createBridge(ipcRenderer));
