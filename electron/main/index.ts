/**
 * The desktop app's main process: hosts the engine (scheduler, store,
 * runner) with its data in userData, answers the window over IPC, keeps
 * scheduling from the tray when the window is closed. Thin on purpose: the
 * logic lives in the engine and in router/ipcDispatch/downloads/profiles.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, safeStorage, shell, Tray } from 'electron';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { CallContext } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { DesktopNotice } from '../engine/options';
import { Engine } from '../engine/engine';
import { streamLogger } from '../engine/logger';
import { runDir } from '../engine/paths';
import type { Run } from '../../shared/model/run';
import type { SchedulerStatus } from '../../shared/model/misc';
import { spawn } from 'node:child_process';
import { Downloads } from './downloads';
import { issueServiceToken, LocalService, type CommandResult } from './localService';
import { registerIpcHandlers } from './ipcDispatch';
import { electronNativeBinding } from './nativeBinding';
import { ProfileStore } from './profiles';
import { ConnectionRouter } from './router';
import { createMainWindow } from './window';

const here = import.meta.dirname;
const appRoot = join(here, '..', '..');

// Tests and side-by-side installs can point the app at another data folder.
if (process.env.JOBDECK_USER_DATA_DIR) app.setPath('userData', process.env.JOBDECK_USER_DATA_DIR);
app.setName('Jobdeck');

let engine: Engine | null = null;
let router: ConnectionRouter | null = null;
let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let quitting = false;
let failedSinceStart = 0;
let stopWatching: (() => void) | null = null;

const local: CallContext = { actor: (() => { try { return userInfo().username; } catch { return 'local'; } })(), role: 'superadmin' };

function showWindow(hash?: string): void {
  if (!win || win.isDestroyed()) win = createMainWindow(here);
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
  if (hash) void win.webContents.executeJavaScript(`location.hash = ${JSON.stringify(hash)}`);
}

function updateTray(): void {
  if (!tray || !engine) return;
  void engine.services.scheduler.status().then(drawTray, () => {});
}

function drawTray(status: SchedulerStatus): void {
  if (!tray) return;
  const text = `${status.running} running, ${status.queued} queued, ${failedSinceStart} failed since start${status.paused ? ' (paused)' : ''}`;
  tray.setToolTip(`Jobdeck: ${text}`);
  if (process.platform === 'darwin') tray.setTitle(status.running ? String(status.running) : '');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Open Jobdeck', click: () => showWindow() },
      { label: text, enabled: false },
      { type: 'separator' },
      status.active
        ? status.paused
          ? { label: 'Resume scheduler', click: () => void engine?.handlers['scheduler.resume']({}, local).then(updateTray) }
          : { label: 'Pause scheduler', click: () => void engine?.handlers['scheduler.pause']({}, local).then(updateTray) }
        : { label: 'Scheduler run by another process', enabled: false },
      { type: 'separator' },
      { label: 'Quit Jobdeck', role: 'quit' },
    ]),
  );
}

function buildMenu(): void {
  const go = (hash: string) => () => showWindow(hash);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
      {
        label: 'File',
        submenu: [
          { label: 'New Job', accelerator: 'CmdOrCtrl+N', click: go('#/jobs/new') },
          { type: 'separator' },
          { label: 'Close Window', role: 'close' },
          { label: 'Quit', accelerator: 'CmdOrCtrl+Q', role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      {
        label: 'Go',
        submenu: [
          // In the order of the console's own navigation.
          { label: 'Dashboard', accelerator: 'CmdOrCtrl+1', click: go('#/') },
          { label: 'Jobs', accelerator: 'CmdOrCtrl+2', click: go('#/jobs') },
          { label: 'Runs', accelerator: 'CmdOrCtrl+3', click: go('#/runs') },
          { label: 'Audit Log', accelerator: 'CmdOrCtrl+4', click: go('#/audit') },
          { label: 'Notifications', accelerator: 'CmdOrCtrl+5', click: go('#/notifications') },
          { label: 'Nodes', accelerator: 'CmdOrCtrl+6', click: go('#/nodes') },
        ],
      },
      { role: 'viewMenu' },
      { role: 'windowMenu' },
      {
        role: 'help',
        submenu: [
          { label: 'Data Folder', click: () => void shell.openPath(app.getPath('userData')) },
          { label: 'About Jobdeck', click: () => void dialog.showMessageBox({ message: `Jobdeck ${app.getVersion()}`, detail: `Data: ${app.getPath('userData')}` }) },
        ],
      },
    ]),
  );
}

async function start(): Promise<void> {
  const dataDir = app.getPath('userData');
  const nativeBinding = electronNativeBinding(appRoot, process.resourcesPath, app.isPackaged);
  const options = {
    dataDir,
    hostKind: 'Jobdeck desktop',
    // How the node list shows this app.
    nodeAddress: 'desktop',
    nativeBinding,
    launcherPath: join(here, 'launcher.js'),
    helperPath: app.isPackaged ? join(process.resourcesPath, 'helpers', 'jobdeck.cjs') : undefined,
    logger: streamLogger('warn', process.stderr, 'jobdeck'),
    // Jobs' notification rules naming `desktop` are shown here; a click opens the run.
    desktopNotifier: (notice: DesktopNotice) => {
      if (!Notification.isSupported()) throw new Error('this desktop does not show notifications');
      const n = new Notification({ title: notice.title, body: notice.body });
      if (notice.runId !== null) n.on('click', () => showWindow(`#/runs/${notice.runId}`));
      n.show();
    },
  };
  // The app's own jobdeck command, its executable run as Node (service install/uninstall/status).
  const jobdeckScript = join(appRoot, 'bin', 'jobdeck.cjs');
  const jobdeck = (args: string[]): Promise<CommandResult> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [jobdeckScript, ...args], {
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1', ...(nativeBinding ? { JOBDECK_NATIVE_BINDING: nativeBinding } : {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => resolve({ code: 1, stdout, stderr: err.message }));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const serviceFile = LocalService.savedIn(dataDir);
  try {
    // A service the app installed schedules this folder: the app shows it, fires nothing itself.
    engine = Engine.open(serviceFile ? { ...options, scheduler: false } : options);
  } catch (err) {
    if (err instanceof JobdeckError && err.code === 'SCHEDULER_LOCKED') {
      // Another process (jobdeck serve) schedules this folder: show its jobs, fire nothing here.
      engine = Engine.open({ ...options, scheduler: false });
      void dialog.showMessageBox({ type: 'warning', message: 'Jobdeck is not scheduling', detail: err.message });
    } else {
      dialog.showErrorBox(
        'Jobdeck cannot open its data',
        `${(err as Error).message}\n\nIf this mentions a NODE_MODULE_VERSION, build the Electron copy of better-sqlite3: npm run build:native`,
      );
      app.exit(1);
      return;
    }
  }
  const profiles = new ProfileStore(dataDir, safeStorage);
  router = new ConnectionRouter(engine, profiles, local);
  const localService = new LocalService({
    dataDir,
    jobdeck,
    profiles,
    router,
    async hostScheduler(on) {
      stopWatching?.();
      await engine!.close(10_000);
      // The service may take a moment to let go of the folder after it stopped.
      for (let attempt = 0; ; attempt++) {
        try {
          engine = Engine.open({ ...options, scheduler: on });
          break;
        } catch (err) {
          if (!(err instanceof JobdeckError && err.code === 'SCHEDULER_LOCKED') || attempt >= 30) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      router!.setEngine(engine);
      watchEngine(engine);
    },
    issueToken: () => issueServiceToken(engine!, local),
    async revokeToken(id) {
      await engine!.handlers['tokens.revoke']({ tokenId: id }, local);
    },
  });
  if (serviceFile) {
    await router.use(serviceFile.profileId).catch((err: unknown) => {
      void dialog.showMessageBox({
        type: 'warning',
        message: 'The Jobdeck service is not answering',
        detail: `${(err as Error).message}\n\nStart it (jobdeck service start), or remove it from Servers… > Run as a service, which gives the scheduler back to the app.`,
      });
    });
  }
  const downloads = new Downloads(router, async (suggested) => {
    const result = await dialog.showSaveDialog(win ?? new BrowserWindow({ show: false }), {
      defaultPath: join(app.getPath('downloads'), suggested),
    });
    return result.canceled || !result.filePath ? null : result.filePath;
  });
  registerIpcHandlers(ipcMain, {
    router,
    downloads,
    profiles,
    localService,
    async showRunFolder(runId) {
      if (router?.remoteTarget) throw new JobdeckError('INVALID_STATE', 'this run is on a remote server; its folder is there');
      const result = await router!.call('runs.get', { id: runId });
      if (!result.ok) throw JobdeckError.fromData(result.error);
      const run = result.value as Run;
      const problem = await shell.openPath(runDir(engine!.dataDir, run.jobId, runId));
      if (problem) throw new JobdeckError('NOT_FOUND', problem);
    },
  });

  watchEngine(engine);
  tray = new Tray(nativeImage.createFromPath(join(app.isPackaged ? process.resourcesPath : join(appRoot, 'resources'), 'tray.png')));
  tray.on('click', () => showWindow());
  updateTray();
  buildMenu();
  showWindow();
}

/** Tray counts and a notification when a run fails, from the engine the app hosts now. */
function watchEngine(current: Engine): void {
  stopWatching = current.subscribe({}, (event) => {
    if (event.type === 'run' && event.run.status === 'FAILED' && event.run.finishedAt) {
      failedSinceStart += 1;
      const run = event.run;
      // Jobs with notification rules say themselves whom to tell (`desktop` among them, or not).
      void current.data.jobs.get(run.jobId).then(
        (job) => {
          if (job?.notify !== 'null' || !Notification.isSupported()) return;
          const n = new Notification({ title: `Run failed: ${run.jobName}`, body: run.error ?? 'The run failed.' });
          n.on('click', () => showWindow(`#/runs/${run.id}`));
          n.show();
        },
        () => {},
      );
    }
    if (event.type === 'scheduler' || (event.type === 'run' && event.run.finishedAt)) updateTray();
  });
  updateTray();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  // Closing the window keeps Jobdeck scheduling from the tray; quit from the tray or the menu.
  app.on('window-all-closed', () => {});
  app.on('before-quit', (event) => {
    if (quitting || !engine) return;
    event.preventDefault();
    quitting = true;
    router?.close();
    void engine.close(10_000).finally(() => app.quit());
  });
  void app.whenReady().then(start);
}
