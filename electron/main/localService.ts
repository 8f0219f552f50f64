/**
 * The desktop app's data folder scheduled by an operating-system service
 * instead of the app: installed with the app's own `jobdeck service`
 * command, handed the scheduler (one scheduler per data folder), reached
 * over loopback with a token of its own, and given back on uninstall.
 * Plain Node (the Electron parts come in as functions), so it is tested
 * with a real engine and a real `jobdeck serve`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobdeckError } from '../../shared/errors';
import type { LocalServiceInfo } from '../../shared/ipc';
import type { CallContext } from '../../shared/contract';
import type { Engine } from '../engine/engine';
import type { ProfileStore } from './profiles';
import type { ConnectionRouter } from './router';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface LocalServiceDeps {
  dataDir: string;
  /** Runs the app's own `jobdeck` command (the app's executable as Node). */
  jobdeck(args: string[]): Promise<CommandResult>;
  profiles: ProfileStore;
  router: ConnectionRouter;
  /** Reopens the app's engine with (true) or without (false) the scheduler. */
  hostScheduler(on: boolean): Promise<void>;
  /** A new API token of a superadmin of the data folder, for the app to reach its service. */
  issueToken(): Promise<{ id: string; token: string }>;
  revokeToken(id: string): Promise<void>;
  /** How long the service may take to answer after it is installed. */
  readyTimeoutMs?: number;
}

interface Saved {
  port: number;
  profileId: string;
  tokenId: string;
}

const PROFILE_NAME = 'This computer (service)';
const FILE_NAME = 'desktop-service.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const said = (r: CommandResult): string => (r.stderr || r.stdout).trim().replace(/^jobdeck: /, '') || `exit code ${r.code}`;

/** A new token for the app's own superadmin (desktop-USER), made in the local engine. */
export async function issueServiceToken(engine: Engine, local: CallContext): Promise<{ id: string; token: string }> {
  const name = `desktop-${local.actor}`.slice(0, 64);
  const users = await engine.handlers['users.list']({}, local);
  if (!users.some((u) => u.name === name)) {
    // Adding the user makes its first token: that one is the service's.
    const added = await engine.handlers['users.add']({ name, role: 'superadmin' }, local);
    return { id: added.user.tokens[0]!.id, token: added.token };
  }
  const created = await engine.handlers['tokens.create']({ name }, local);
  return { id: created.id, token: created.token };
}

export class LocalService {
  private readonly file: string;

  constructor(private readonly deps: LocalServiceDeps) {
    this.file = join(deps.dataDir, FILE_NAME);
  }

  /** The service the app installed for a data folder (it connects to it at start), if there is one. */
  static savedIn(dataDir: string): Saved | null {
    const file = join(dataDir, FILE_NAME);
    if (!existsSync(file)) return null;
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Saved;
    } catch {
      return null;
    }
  }

  saved(): Saved | null {
    return LocalService.savedIn(this.deps.dataDir);
  }

  private args(verb: string, port: number): string[] {
    return ['service', verb, '--user', '--data-dir', this.deps.dataDir, '--port', String(port)];
  }

  async info(): Promise<LocalServiceInfo> {
    const port = this.saved()?.port ?? 7070;
    const r = await this.deps.jobdeck([...this.args('status', port), '--json']);
    if (r.code === 2) return { available: false, reason: said(r), installed: false, running: false, state: 'unavailable', url: null, port };
    let state: { installed: boolean; running: boolean; state: string; url: string };
    try {
      state = JSON.parse(r.stdout) as typeof state;
    } catch {
      throw new JobdeckError('INTERNAL', `jobdeck service status answered: ${said(r)}`);
    }
    return { available: true, reason: null, installed: state.installed, running: state.running, state: state.state, url: state.installed ? state.url : null, port };
  }

  /** Installs the service, waits until it answers, then connects the app to it. On any failure the app keeps scheduling. */
  async install(port: number): Promise<LocalServiceInfo> {
    if (this.saved()) throw new JobdeckError('CONFLICT', 'the service is already installed; uninstall it first to change it');
    // Handing over the scheduler reopens the app's engine: runs in flight would be stopped.
    const status = await this.deps.router.call('scheduler.status', {});
    if (status.ok) {
      const { running, queued } = status.value as { running: number; queued: number };
      if (running + queued > 0) throw new JobdeckError('CONFLICT', `${running} run(s) in progress and ${queued} queued; install the service when they have finished`);
    }
    const { id: tokenId, token } = await this.deps.issueToken();
    const url = `http://127.0.0.1:${port}`;
    await this.deps.hostScheduler(false);
    try {
      const r = await this.deps.jobdeck(this.args('install', port));
      if (r.code !== 0) throw new JobdeckError(r.code === 2 ? 'INVALID_STATE' : 'UNAVAILABLE', `the service was not installed: ${said(r)}`);
      try {
        await this.waitUntilAnswers(url, token);
      } catch (err) {
        await this.deps.jobdeck(this.args('uninstall', port));
        throw err;
      }
    } catch (err) {
      await this.deps.hostScheduler(true);
      await this.deps.revokeToken(tokenId).catch(() => undefined);
      throw err;
    }
    const profile = this.deps.profiles.save({ name: PROFILE_NAME, url, token });
    writeFileSync(this.file, JSON.stringify({ port, profileId: profile.id, tokenId } satisfies Saved));
    await this.deps.router.use(profile.id);
    return this.info();
  }

  /** Removes the service and takes the scheduler back into the app. */
  async uninstall(): Promise<LocalServiceInfo> {
    const saved = this.saved();
    if (!saved) throw new JobdeckError('NOT_FOUND', 'the app has not installed a service for this data folder');
    const r = await this.deps.jobdeck(this.args('uninstall', saved.port));
    // Already gone (removed by hand) is fine; anything else leaves things as they are.
    if (r.code !== 0 && r.code !== 3) throw new JobdeckError('UNAVAILABLE', `the service was not removed: ${said(r)}`);
    await this.deps.hostScheduler(true);
    await this.deps.router.use(null);
    this.deps.profiles.remove(saved.profileId);
    await this.deps.revokeToken(saved.tokenId).catch(() => undefined);
    rmSync(this.file, { force: true });
    return this.info();
  }

  private async waitUntilAnswers(url: string, token: string): Promise<void> {
    const deadline = Date.now() + (this.deps.readyTimeoutMs ?? 30_000);
    let last = '';
    // Bounded by the deadline; each try waits for at most 2 s.
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`${url}/api/whoami`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new JobdeckError('UNAVAILABLE', `the service did not answer at ${url} in time (${last}); it was removed again`);
  }
}
