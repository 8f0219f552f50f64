/**
 * `jobdeck service print|install|uninstall|start|stop|restart|status`:
 * `jobdeck serve` as an operating-system service, installed and managed
 * with systemd (Linux), launchd (macOS) or WinSW (Windows); `print` writes
 * the definition for any of them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { JobdeckError } from '../../../shared/errors';
import { dataDirOf, parseIntOption, print, printJson, UsageError, type GlobalOptions } from '../context';
import { EXIT } from '../exitCodes';
import { managerFor, ServiceNotInstalled, type Exec, type ServiceManager, type Verb } from '../service/managers';
import { launchdPlist, SERVICE_NAME, systemdUnit, winswXml, type ServiceSpec } from '../service/units';
import type { Platform } from '../service/managers';

interface ServiceOptions {
  system?: boolean;
  user?: boolean;
  platform?: string;
  port: string;
  host: string;
  name: string;
  grace: string;
  runAs?: string;
  node?: string;
  script?: string;
}

const PLATFORMS: Record<string, Platform> = { linux: 'linux', darwin: 'macos', win32: 'windows' };

/** The jobdeck script this command runs from (bin/jobdeck.cjs of the installation). */
function jobdeckScript(): string {
  // Found upwards from this module: from its source (electron/cli/commands/) or its bundle (out/node/).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'jobdeck.cjs');
    if (existsSync(candidate)) return resolve(candidate);
    dir = dirname(dir);
  }
  return resolve(process.argv[1] ?? 'jobdeck');
}

function specOf(o: ServiceOptions, globals: GlobalOptions): ServiceSpec & { platform: Platform } {
  if (o.system && o.user) throw new UsageError('give --system or --user, not both');
  if (!SERVICE_NAME.test(o.name)) throw new UsageError(`--name: "${o.name}" uses letters, digits, _ . - (at most 64)`);
  const platform = (o.platform ?? PLATFORMS[process.platform as keyof typeof PLATFORMS] ?? 'linux') as Platform;
  if (!['linux', 'macos', 'windows'].includes(platform)) throw new UsageError(`--platform: linux, macos or windows, not "${platform}"`);
  const port = parseIntOption('--port', o.port, 1);
  if (port > 65535) throw new UsageError('--port must be at most 65535');
  // A definition for another system: its paths are that system's (Windows: the packaged app's executable, run as Node).
  const foreignWindows = platform === 'windows' && process.platform !== 'win32';
  return {
    platform,
    name: o.name,
    node: o.node ?? (foreignWindows ? 'C:\\Program Files\\Jobdeck\\Jobdeck.exe' : process.execPath),
    script: o.script ?? (foreignWindows ? 'C:\\Program Files\\Jobdeck\\resources\\app\\bin\\jobdeck.cjs' : jobdeckScript()),
    dataDir: foreignWindows ? win32.resolve(globals.dataDir ?? 'C:\\ProgramData\\Jobdeck') : resolve(dataDirOf(globals)),
    host: o.host,
    port,
    grace: parseIntOption('--grace', o.grace),
    scope: o.system ? 'system' : 'user',
    user: o.runAs,
    // The desktop app's own executable as Node loads its Electron build of the database driver.
    env: process.env.JOBDECK_NATIVE_BINDING ? { JOBDECK_NATIVE_BINDING: process.env.JOBDECK_NATIVE_BINDING } : {},
  };
}

function definition(spec: ServiceSpec & { platform: Platform }): string {
  if (spec.platform === 'macos') return launchdPlist({ ...spec, name: `com.jobdeck.${spec.name}` });
  if (spec.platform === 'windows') return winswXml(spec);
  return systemdUnit(spec);
}

/** systemd manages services here (it is PID 1 and systemctl exists). */
function systemdRunning(): boolean {
  return existsSync('/run/systemd/system') && spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;
}

const exec: Exec = (program, args) => {
  try {
    return execFileSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
};

/** The service manager of this system, refusing a definition for another one, or a manager that does not run. */
function managerHere(spec: ServiceSpec & { platform: Platform }, verb: string, winsw?: string): ServiceManager {
  const here = PLATFORMS[process.platform as keyof typeof PLATFORMS];
  if (spec.platform !== here) {
    throw new UsageError(
      `service ${verb} manages services of this system (${here ?? process.platform}); for ${spec.platform}, run it there, or print the definition (jobdeck service print --platform ${spec.platform}) and install it as the README says ("Run as a service")`,
    );
  }
  if (spec.platform === 'linux' && !systemdRunning()) {
    throw new UsageError(
      `systemd is not running here, so nothing was ${verb === 'install' ? 'installed' : 'changed'}. Print the unit (jobdeck service print) for a machine that has it, or keep jobdeck serve running with your own supervisor.`,
    );
  }
  if (spec.scope === 'system' && spec.platform !== 'windows' && process.getuid?.() !== 0) {
    throw new UsageError('--system needs root: run it with sudo, or use --user');
  }
  return managerFor(spec.platform, spec, { home: homedir(), uid: process.getuid?.() ?? 0, exec, winsw });
}

export function registerService(program: Command, globals: () => GlobalOptions): void {
  const service = program.command('service').description('run jobdeck serve as an operating-system service (systemd, launchd, Windows)');
  const withOptions = (c: Command) =>
    c
      .option('--system', 'machine-wide (needs root/Administrator)')
      .option('--user', "for the current user, no admin rights (the default)")
      .option('--name <name>', 'service name', 'jobdeck')
      .option('--host <host>', 'address serve listens on', '127.0.0.1')
      .option('--port <port>', 'port serve listens on', '7070')
      .option('--grace <seconds>', 'on stop, how long running runs may finish', '30')
      .option('--run-as <user>', 'a --system service runs as this user');

  withOptions(service.command('print').description('print the service definition without installing anything'))
    .option('--platform <platform>', 'linux, macos or windows (default: this one)')
    .option('--node <path>', 'the program that runs jobdeck (default: this Node; on Windows the packaged app, run as Node)')
    .option('--script <path>', 'the jobdeck script it runs (default: this installation\'s bin/jobdeck.cjs)')
    .action((o: ServiceOptions) => {
      process.stdout.write(definition(specOf(o, globals())));
    });

  withOptions(service.command('install').description('install the service, enable and start it (systemd, launchd, or WinSW on Windows)'))
    .option('--winsw <path>', 'Windows: the WinSW.exe service wrapper to install the service with')
    .action((o: ServiceOptions & { winsw?: string }) => {
      const spec = specOf(o, globals());
      const manager = managerHere(spec, 'install', o.winsw);
      mkdirSync(spec.dataDir, { recursive: true });
      manager.install();
      print(`Installed and started ${spec.name} (${manager.path}); it serves ${spec.dataDir} on ${spec.host}:${spec.port}.`);
    });

  withOptions(service.command('uninstall').description('stop, disable and remove the service')).action((o: ServiceOptions) => {
    const spec = specOf(o, globals());
    try {
      managerHere(spec, 'uninstall').uninstall();
    } catch (err) {
      if (err instanceof ServiceNotInstalled) throw new JobdeckError('NOT_FOUND', err.message);
      throw err;
    }
    print(`Removed ${spec.name}; its data folder ${spec.dataDir} is kept.`);
  });

  const verbs = {
    start: ['start the installed service', 'Started'],
    stop: ['stop the installed service (running runs get the drain time, then are stopped and recorded)', 'Stopped'],
    restart: ['restart the whole process (it drains first); for a stuck scheduler, jobdeck scheduler restart keeps the process', 'Restarted'],
  } as const;
  for (const [verb, [description, done]] of Object.entries(verbs)) {
    withOptions(service.command(verb).description(description)).action((o: ServiceOptions) => {
      const spec = specOf(o, globals());
      managerHere(spec, verb).control(verb as Verb);
      print(`${done} ${spec.name}.`);
    });
  }

  withOptions(service.command('status').description('whether the service is installed and running, its PID, port and data folder'))
    .option('--json', 'print JSON')
    .action((o: ServiceOptions & { json?: boolean }) => {
      const spec = specOf(o, globals());
      const manager = managerHere(spec, 'status');
      const state = manager.status();
      if (o.json) printJson({ name: spec.name, path: manager.path, url: `http://${spec.host}:${spec.port}`, dataDir: spec.dataDir, ...state });
      else if (!state.installed) print(`${spec.name}: not installed (${manager.path})`);
      else {
        print(`${spec.name}: ${state.state}, PID ${state.pid ?? '-'}, ${spec.host}:${spec.port}, ${spec.dataDir}`);
        if (state.detail) print(`  ${state.detail}`);
      }
      // Scripts can tell: 3 not installed, 1 installed but not running.
      if (!state.installed) process.exitCode = EXIT.notFound;
      else if (!state.running) process.exitCode = EXIT.failed;
    });
}
