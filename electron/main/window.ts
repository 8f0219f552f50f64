/** The app window, locked down: context isolation, sandbox, no Node, no navigation, no new windows. */
import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';

export function createMainWindow(dir: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Jobdeck',
    backgroundColor: '#0d1117',
    webPreferences: {
      preload: join(dir, '..', 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  const page = join(dir, '..', 'renderer', 'index.html');
  // External links open in the OS browser; the app never opens windows of its own.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    const u = new URL(url);
    if (u.protocol === 'file:' && decodeURIComponent(u.pathname).endsWith('/renderer/index.html')) return;
    event.preventDefault();
    if (/^https?:$/.test(u.protocol)) void shell.openExternal(url);
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  void win.loadFile(page);
  return win;
}
