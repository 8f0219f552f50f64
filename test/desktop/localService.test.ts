/**
 * The desktop app installing its data folder's scheduler as a service, then
 * talking to it, and taking it back. The app side is real (engine, IPC
 * bridge, router, profiles); so is the service: the unit `jobdeck service`
 * generates is read and its ExecStart run as systemd would, since systemd
 * does not run here. The real command's own refusal where systemd is absent
 * is checked too: the app then keeps scheduling, nothing lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parse } from 'shell-quote';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../electron/engine/engine';
import { issueServiceToken, LocalService, type CommandResult } from '../../electron/main/localService';
import { cli } from '../helpers/cli';
import { recordEngineError, until } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { desktop, LOCAL } from './desktop';

const services: ChildProcess[] = [];
afterEach(() => {
  for (const s of services.splice(0)) if (s.exitCode === null) s.kill('SIGKILL');
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** A stand-in for systemd: install runs the generated unit's ExecStart; uninstall stops it (SIGTERM, as KillMode=mixed does). */
function serviceManager() {
  let child: ChildProcess | null = null;
  let url = '';
  return async (args: string[]): Promise<CommandResult> => {
    const [, verb, ...rest] = args;
    if (verb === 'install') {
      const unit = await cli(['service', 'print', ...rest]);
      const exec = /^ExecStart=(.*)$/m.exec(unit.stdout)![1]!;
      const [program, ...argv] = parse(exec) as string[];
      child = spawn(program!, argv, { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: '' } });
      services.push(child);
      url = `http://127.0.0.1:${rest[rest.indexOf('--port') + 1]}`;
      return { code: 0, stdout: 'Installed', stderr: '' };
    }
    if (verb === 'uninstall') {
      if (!child) return { code: 3, stdout: '', stderr: 'jobdeck: not installed' };
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      child = null;
      return { code: 0, stdout: 'Removed', stderr: '' };
    }
    if (verb === 'status') {
      const running = child !== null && child.exitCode === null;
      return { code: child ? (running ? 0 : 1) : 3, stdout: JSON.stringify({ installed: child !== null, running, state: running ? 'active (running)' : 'not installed', url }), stderr: '' };
    }
    return { code: 2, stdout: '', stderr: `jobdeck: unexpected ${verb}` };
  };
}

/** The desktop app on a data folder, with the service controls index.ts gives it. */
function app(jobdeck: (args: string[]) => Promise<CommandResult>) {
  const dataDir = tempDir();
  const options = { dataDir, killGraceMs: 500, onError: recordEngineError(dataDir), hostKind: 'Jobdeck desktop' };
  let engine = Engine.open(options);
  const d = desktop(engine, [], ({ router, profiles }) =>
    new LocalService({
      dataDir,
      jobdeck,
      profiles,
      router,
      readyTimeoutMs: 20_000,
      async hostScheduler(on) {
        await engine.close(500);
        engine = Engine.open({ ...options, scheduler: on });
        router.setEngine(engine);
      },
      issueToken: () => issueServiceToken(engine, LOCAL),
      revokeToken: async (tokenId) => void (await engine.handlers['tokens.revoke']({ tokenId }, LOCAL)),
    }),
  );
  return { d, dataDir, engine: () => engine, close: async () => (d.router.close(), await engine.close(500)) };
}

describe('desktop app: the scheduler as a service', () => {
  it('installs the service, hands it the scheduler and talks to it; removing it gives the scheduler back', async () => {
    const a = app(serviceManager());
    try {
      const script = join(tempDir(), 'hi.sh');
      writeFileSync(script, 'echo hi\n');
      const job = await a.d.client.call('jobs.create', { name: 'nightly', script, schedule: { kind: 'interval', seconds: 300 } } as never);
      expect((await a.d.client.call('scheduler.status', {})).active).toBe(true);
      const port = await freePort();
      const installed = await a.d.bridge.installService(port);
      expect(installed).toMatchObject({ ok: true, value: { installed: true, running: true, url: `http://127.0.0.1:${port}` } });
      // The window now talks to the service, which schedules the folder; the app's engine does not.
      const info = await a.d.bridge.connection();
      expect(info.target).toBe(`http://127.0.0.1:${port}`);
      expect(await a.d.client.call('scheduler.status', {})).toMatchObject({ active: true, owner: null });
      expect(await a.engine().services.scheduler.status()).toMatchObject({ active: false, owner: expect.stringMatching(/jobdeck serve/) });
      expect((await a.d.client.call('auth.whoami', {})).name).toBe(`desktop-${LOCAL.actor}`);
      expect((await a.d.client.call('jobs.get', { id: (job as { id: number }).id })).name).toBe('nightly');
      expect(await a.d.bridge.profiles()).toEqual([expect.objectContaining({ name: 'This computer (service)', hasToken: true })]);
      expect(LocalService.savedIn(a.dataDir)).toMatchObject({ port });
      const again = await a.d.bridge.installService(port);
      expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });

      const removed = await a.d.bridge.uninstallService();
      expect(removed).toMatchObject({ ok: true, value: { installed: false } });
      expect((await a.d.bridge.connection()).profileId).toBeNull();
      expect(await a.d.client.call('scheduler.status', {})).toMatchObject({ active: true });
      expect(await a.d.bridge.profiles()).toEqual([]);
      expect(existsSync(join(a.dataDir, 'desktop-service.json'))).toBe(false);
      // The service's token no longer works anywhere.
      const users = await a.d.client.call('users.list', {});
      expect(users.find((u) => u.name === `desktop-${LOCAL.actor}`)!.tokens.every((t) => t.revokedAt !== null)).toBe(true);
      expect(await a.d.bridge.uninstallService()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    } finally {
      await a.close();
    }
  }, 60_000);

  it('says why it cannot install, and keeps scheduling with nothing changed; refuses while runs are in flight; checks the port', async () => {
    // The real command: systemd does not run on this machine.
    const real = (args: string[]) => cli(args, { env: { HOME: tempDir() } });
    const a = app(real);
    try {
      const info = await a.d.bridge.serviceInfo();
      if (existsSync('/run/systemd/system')) return; // systemd runs here: installing for real is out of scope for a test
      expect(info).toMatchObject({ ok: true, value: { available: false, reason: expect.stringMatching(/systemd is not running here/) } });
      const refused = await a.d.bridge.installService(await freePort());
      expect(refused).toMatchObject({ ok: false, error: { code: 'INVALID_STATE', message: expect.stringMatching(/^the service was not installed: systemd is not running here/) } });
      expect(await a.d.client.call('scheduler.status', {})).toMatchObject({ active: true });
      expect((await a.d.bridge.connection()).profileId).toBeNull();
      expect(await a.d.bridge.profiles()).toEqual([]);
      const users = await a.d.client.call('users.list', {});
      expect(users.flatMap((u) => u.tokens).every((t) => t.revokedAt !== null)).toBe(true);
      expect(await a.d.bridge.installService(80)).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', field: 'port' } });

      const script = join(tempDir(), 'slow.sh');
      writeFileSync(script, 'sleep 20\n');
      const job = (await a.d.client.call('jobs.create', { name: 'slow', script, schedule: { kind: 'manual' } } as never)) as { id: number };
      await a.d.client.call('runs.trigger', { jobId: job.id });
      await until(async () => (await a.d.client.call('scheduler.status', {})).running === 1);
      const busy = await a.d.bridge.installService(await freePort());
      expect(busy).toMatchObject({ ok: false, error: { code: 'CONFLICT', message: expect.stringMatching(/1 run\(s\) in progress/) } });
    } finally {
      await a.close();
    }
  }, 60_000);
});
