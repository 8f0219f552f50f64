/**
 * Installing and controlling the service definitions of units.ts with each
 * operating system's own service manager: systemctl (Linux), launchctl
 * (macOS) and the WinSW wrapper (Windows). Commands run through `exec`, so
 * the steps each manager takes can be followed in tests on any system.
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchdPlist, systemdUnit, winswXml, type ServiceSpec } from './units';

export type Platform = 'linux' | 'macos' | 'windows';
export type Verb = 'start' | 'stop' | 'restart';

/** Runs a program; returns its standard output, throws with its standard error when it fails. */
export type Exec = (program: string, args: string[]) => string;

export interface ServiceState {
  installed: boolean;
  /** active, inactive, failed, running, stopped … in the manager's own words. */
  state: string;
  running: boolean;
  pid: number | null;
  /** The status line serve reported (systemd) or the manager's note. */
  detail: string | null;
}

export interface ServiceManager {
  /** Where the definition is written. */
  readonly path: string;
  install(): void;
  uninstall(): void;
  control(verb: Verb): void;
  status(): ServiceState;
}

export interface ManagerEnv {
  home: string;
  uid: number;
  exec: Exec;
  /** Windows: the WinSW executable copied beside the definition. */
  winsw?: string;
}

export class ServiceNotInstalled extends Error {}

function linux(spec: ServiceSpec, env: ManagerEnv): ServiceManager {
  const path = spec.scope === 'system' ? join('/etc/systemd/system', `${spec.name}.service`) : join(env.home, '.config', 'systemd', 'user', `${spec.name}.service`);
  const unit = `${spec.name}.service`;
  const systemctl = (args: string[]) => env.exec('systemctl', [...(spec.scope === 'user' ? ['--user'] : []), ...args]);
  return {
    path,
    install() {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, systemdUnit(spec));
      systemctl(['daemon-reload']);
      systemctl(['enable', '--now', unit]);
    },
    uninstall() {
      if (!existsSync(path)) throw new ServiceNotInstalled(`${spec.name} is not installed (${path} does not exist)`);
      systemctl(['disable', '--now', unit]);
      rmSync(path);
      systemctl(['daemon-reload']);
    },
    control(verb) {
      systemctl([verb, unit]);
    },
    status() {
      if (!existsSync(path)) return { installed: false, state: 'not installed', running: false, pid: null, detail: null };
      const props = Object.fromEntries(
        systemctl(['show', unit, '-p', 'ActiveState,SubState,MainPID,StatusText'])
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      const pid = Number(props.MainPID);
      return {
        installed: true,
        state: `${props.ActiveState} (${props.SubState})`,
        running: props.ActiveState === 'active',
        pid: pid > 0 ? pid : null,
        detail: props.StatusText || null,
      };
    },
  };
}

function macos(spec: ServiceSpec, env: ManagerEnv): ServiceManager {
  const label = `com.jobdeck.${spec.name}`;
  const path = spec.scope === 'system' ? join('/Library/LaunchDaemons', `${label}.plist`) : join(env.home, 'Library', 'LaunchAgents', `${label}.plist`);
  const domain = spec.scope === 'system' ? 'system' : `gui/${env.uid}`;
  const target = `${domain}/${label}`;
  return {
    path,
    install() {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, launchdPlist({ ...spec, name: label }));
      env.exec('launchctl', ['bootstrap', domain, path]);
      env.exec('launchctl', ['enable', target]);
    },
    uninstall() {
      if (!existsSync(path)) throw new ServiceNotInstalled(`${spec.name} is not installed (${path} does not exist)`);
      env.exec('launchctl', ['bootout', target]);
      rmSync(path);
    },
    control(verb) {
      if (verb === 'stop') env.exec('launchctl', ['kill', 'SIGTERM', target]);
      else env.exec('launchctl', ['kickstart', ...(verb === 'restart' ? ['-k'] : []), target]);
    },
    status() {
      if (!existsSync(path)) return { installed: false, state: 'not installed', running: false, pid: null, detail: null };
      let out = '';
      try {
        out = env.exec('launchctl', ['print', target]);
      } catch {
        return { installed: true, state: 'not loaded', running: false, pid: null, detail: `launchctl bootstrap ${domain} ${path}` };
      }
      const state = /^\s*state = (.+)$/m.exec(out)?.[1]?.trim() ?? 'unknown';
      const pid = Number(/^\s*pid = (\d+)$/m.exec(out)?.[1] ?? 0);
      return { installed: true, state, running: state === 'running', pid: pid > 0 ? pid : null, detail: null };
    },
  };
}

/** WinSW: NAME.exe (a copy of the wrapper) and NAME.xml in the data folder's service\ folder. */
function windows(spec: ServiceSpec, env: ManagerEnv): ServiceManager {
  const dir = join(spec.dataDir, 'service');
  const exe = join(dir, `${spec.name}.exe`);
  const path = join(dir, `${spec.name}.xml`);
  const winsw = (args: string[]) => env.exec(exe, args);
  return {
    path,
    install() {
      if (!env.winsw || !existsSync(env.winsw)) {
        throw new Error(`--winsw: give the path of WinSW.exe (the service wrapper, from github.com/winsw/winsw releases)${env.winsw ? `; ${env.winsw} does not exist` : ''}`);
      }
      mkdirSync(dir, { recursive: true });
      copyFileSync(env.winsw, exe);
      writeFileSync(path, winswXml(spec));
      winsw(['install']);
      winsw(['start']);
    },
    uninstall() {
      if (!existsSync(path)) throw new ServiceNotInstalled(`${spec.name} is not installed (${path} does not exist)`);
      try {
        winsw(['stop']);
      } catch {
        /* already stopped */
      }
      winsw(['uninstall']);
      rmSync(path);
      rmSync(exe, { force: true });
    },
    control(verb) {
      winsw([verb]);
    },
    status() {
      if (!existsSync(path)) return { installed: false, state: 'not installed', running: false, pid: null, detail: null };
      const out = winsw(['status']).trim();
      return { installed: true, state: out, running: /running/i.test(out), pid: null, detail: null };
    },
  };
}

export function managerFor(platform: Platform, spec: ServiceSpec, env: ManagerEnv): ServiceManager {
  return platform === 'macos' ? macos(spec, env) : platform === 'windows' ? windows(spec, env) : linux(spec, env);
}
