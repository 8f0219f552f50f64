/**
 * The steps `jobdeck service install|uninstall|start|stop|restart|status`
 * takes with each system's service manager. launchctl, WinSW and a running
 * systemd are not on this machine, so the programs are stood in for by a
 * recorder that answers as they do; the files are real and parsed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { managerFor, ServiceNotInstalled, type Exec } from '../../electron/cli/service/managers';
import type { ServiceSpec } from '../../electron/cli/service/units';
import { tempDir } from '../helpers/temp';

function recorder(answers: Record<string, string> = {}) {
  const calls: string[] = [];
  const exec: Exec = (program, args) => {
    const line = [program, ...args].join(' ');
    calls.push(line);
    const key = Object.keys(answers).find((k) => line.includes(k));
    return key ? answers[key]! : '';
  };
  return { calls, exec };
}

const spec = (dataDir: string, over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name: 'jobdeck',
  node: '/usr/bin/node',
  script: '/opt/jobdeck/bin/jobdeck.cjs',
  dataDir,
  host: '127.0.0.1',
  port: 7070,
  grace: 30,
  scope: 'user',
  ...over,
});

describe('service managers', () => {
  it('macOS: a LaunchAgent bootstrapped into the user domain, kickstarted, read back and booted out', () => {
    const home = tempDir();
    const { calls, exec } = recorder({ 'launchctl print': 'com.jobdeck.jobdeck = {\n\tstate = running\n\tpid = 4242\n}\n' });
    const m = managerFor('macos', spec('/Users/ops/jobdeck', { node: '/Applications/Jobdeck.app/Contents/MacOS/Jobdeck' }), { home, uid: 501, exec });
    expect(m.path).toBe(join(home, 'Library', 'LaunchAgents', 'com.jobdeck.jobdeck.plist'));
    expect(m.status()).toMatchObject({ installed: false });
    m.install();
    const plist = JSON.parse(
      execFileSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.load(open(sys.argv[1],"rb"))))', m.path], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(plist).toMatchObject({ Label: 'com.jobdeck.jobdeck', KeepAlive: { SuccessfulExit: false }, EnvironmentVariables: { ELECTRON_RUN_AS_NODE: '1' } });
    m.control('restart');
    m.control('stop');
    expect(m.status()).toEqual({ installed: true, state: 'running', running: true, pid: 4242, detail: null });
    m.uninstall();
    expect(existsSync(m.path)).toBe(false);
    expect(calls).toEqual([
      `launchctl bootstrap gui/501 ${m.path}`,
      'launchctl enable gui/501/com.jobdeck.jobdeck',
      'launchctl kickstart -k gui/501/com.jobdeck.jobdeck',
      'launchctl kill SIGTERM gui/501/com.jobdeck.jobdeck',
      'launchctl print gui/501/com.jobdeck.jobdeck',
      'launchctl bootout gui/501/com.jobdeck.jobdeck',
    ]);
    expect(() => m.uninstall()).toThrow(ServiceNotInstalled);
    const daemon = managerFor('macos', spec('/var/jobdeck', { scope: 'system' }), { home, uid: 0, exec });
    expect(daemon.path).toBe('/Library/LaunchDaemons/com.jobdeck.jobdeck.plist');
  });

  it('Windows: the WinSW wrapper copied beside its definition in the data folder, installed, started, asked, removed', () => {
    const dataDir = tempDir();
    const { calls, exec } = recorder({ ' status': 'Active (running)\n' });
    const missing = managerFor('windows', spec(dataDir), { home: dataDir, uid: 0, exec });
    expect(() => missing.install()).toThrow(/--winsw: give the path of WinSW\.exe/);
    const winsw = join(tempDir(), 'WinSW-x64.exe');
    writeFileSync(winsw, 'MZ wrapper');
    const m = managerFor('windows', spec(dataDir), { home: dataDir, uid: 0, exec, winsw });
    m.install();
    const exe = join(dataDir, 'service', 'jobdeck.exe');
    expect(readFileSync(exe, 'utf8')).toBe('MZ wrapper');
    expect(readFileSync(m.path, 'utf8')).toContain('<env name="ELECTRON_RUN_AS_NODE" value="1"/>');
    expect(m.status()).toMatchObject({ installed: true, running: true, state: 'Active (running)' });
    m.uninstall();
    expect(existsSync(m.path) || existsSync(exe)).toBe(false);
    expect(calls).toEqual([`${exe} install`, `${exe} start`, `${exe} status`, `${exe} stop`, `${exe} uninstall`]);
  });

  it('Linux: a systemd user unit enabled and started, its state read from systemctl show', () => {
    const home = tempDir();
    const { calls, exec } = recorder({ 'systemctl --user show': 'ActiveState=active\nSubState=running\nMainPID=777\nStatusText=Serving /srv at http://127.0.0.1:7070 (3 jobs)\n' });
    const m = managerFor('linux', spec('/srv/jobdeck'), { home, uid: 1000, exec });
    m.install();
    expect(readFileSync(m.path, 'utf8')).toContain('Type=notify');
    expect(m.status()).toEqual({ installed: true, state: 'active (running)', running: true, pid: 777, detail: 'Serving /srv at http://127.0.0.1:7070 (3 jobs)' });
    m.control('restart');
    m.uninstall();
    expect(calls).toEqual([
      'systemctl --user daemon-reload',
      'systemctl --user enable --now jobdeck.service',
      'systemctl --user show jobdeck.service -p ActiveState,SubState,MainPID,StatusText',
      'systemctl --user restart jobdeck.service',
      'systemctl --user disable --now jobdeck.service',
      'systemctl --user daemon-reload',
    ]);
  });
});
