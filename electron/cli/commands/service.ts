/**
 * `jobdeck service print|install|uninstall|start|stop|status`: `jobdeck
 * serve` as an operating-system service. Linux (systemd) is installed and
 * managed here; for macOS (launchd) and Windows (WinSW) the definition is
 * printed with the commands that install it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { dataDirOf, parseIntOption, print, UsageError, type GlobalOptions } from '../context';
import { launchdPlist, SERVICE_NAME, systemdUnit, winswXml, type ServiceSpec } from '../service/units';

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

const PLATFORMS = { linux: 'linux', darwin: 'macos', win32: 'windows' } as const;
type Platform = (typeof PLATFORMS)[keyof typeof PLATFORMS];

/** The jobdeck script this command runs from (bin/jobdeck.mjs of the installation). */
function jobdeckScript(): string {
  // Found upwards from this module: from its source (electron/cli/commands/) or its bundle (out/node/).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'bin', 'jobdeck.mjs');
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
    script: o.script ?? (foreignWindows ? 'C:\\Program Files\\Jobdeck\\resources\\app\\bin\\jobdeck.mjs' : jobdeckScript()),
    dataDir: foreignWindows ? win32.resolve(globals.dataDir ?? 'C:\\ProgramData\\Jobdeck') : resolve(dataDirOf(globals)),
    host: o.host,
    port,
    grace: parseIntOption('--grace', o.grace),
    scope: o.system ? 'system' : 'user',
    user: o.runAs,
  };
}

function definition(spec: ServiceSpec & { platform: Platform }): string {
  if (spec.platform === 'macos') return launchdPlist({ ...spec, name: `com.jobdeck.${spec.name}` });
  if (spec.platform === 'windows') return winswXml(spec);
  return systemdUnit(spec);
}

function unitPath(spec: ServiceSpec): string {
  return spec.scope === 'system' ? join('/etc/systemd/system', `${spec.name}.service`) : join(homedir(), '.config', 'systemd', 'user', `${spec.name}.service`);
}

/** systemd manages services here (it is PID 1 and systemctl exists). */
function systemdRunning(): boolean {
  return existsSync('/run/systemd/system') && spawnSync('systemctl', ['--version'], { stdio: 'ignore' }).status === 0;
}

function systemctl(spec: ServiceSpec, args: string[]): string {
  const all = [...(spec.scope === 'user' ? ['--user'] : []), ...args];
  try {
    return execFileSync('systemctl', all, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`systemctl ${all.join(' ')} failed: ${(e.stderr ?? e.message).trim()}`);
  }
}

function requireLinuxHere(spec: ServiceSpec & { platform: Platform }, verb: string): void {
  if (spec.platform !== 'linux' || process.platform !== 'linux') {
    throw new UsageError(
      `service ${verb} manages systemd services on Linux; for ${spec.platform}, print the definition (jobdeck service print --platform ${spec.platform}) and install it as the README says ("Run as a service")`,
    );
  }
  if (!systemdRunning()) {
    throw new UsageError(
      `systemd is not running here, so nothing was ${verb === 'install' ? 'installed' : 'changed'}. Print the unit (jobdeck service print) for a machine that has it, or keep jobdeck serve running with your own supervisor.`,
    );
  }
  if (spec.scope === 'system' && process.getuid?.() !== 0) throw new UsageError('--system needs root: run it with sudo, or use --user');
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
    .option('--script <path>', 'the jobdeck script it runs (default: this installation\'s bin/jobdeck.mjs)')
    .action((o: ServiceOptions) => {
      process.stdout.write(definition(specOf(o, globals())));
    });

  withOptions(service.command('install').description('install the service, enable and start it (Linux: systemd)')).action((o: ServiceOptions) => {
    const spec = specOf(o, globals());
    requireLinuxHere(spec, 'install');
    const path = unitPath(spec);
    mkdirSync(join(path, '..'), { recursive: true });
    mkdirSync(spec.dataDir, { recursive: true });
    writeFileSync(path, systemdUnit(spec));
    systemctl(spec, ['daemon-reload']);
    systemctl(spec, ['enable', '--now', `${spec.name}.service`]);
    print(`Installed and started ${spec.name} (${path}); it serves ${spec.dataDir} on ${spec.host}:${spec.port}.`);
  });

  withOptions(service.command('uninstall').description('stop, disable and remove the service')).action((o: ServiceOptions) => {
    const spec = specOf(o, globals());
    requireLinuxHere(spec, 'uninstall');
    const path = unitPath(spec);
    if (!existsSync(path)) throw new UsageError(`${spec.name} is not installed (${path} does not exist)`);
    systemctl(spec, ['disable', '--now', `${spec.name}.service`]);
    rmSync(path);
    systemctl(spec, ['daemon-reload']);
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
      requireLinuxHere(spec, verb);
      systemctl(spec, [verb, `${spec.name}.service`]);
      print(`${done} ${spec.name}.`);
    });
  }

  withOptions(service.command('status').description('whether the service is installed and running, its PID, port and data folder')).action((o: ServiceOptions) => {
    const spec = specOf(o, globals());
    requireLinuxHere(spec, 'status');
    const path = unitPath(spec);
    if (!existsSync(path)) {
      print(`${spec.name}: not installed (${path})`);
      process.exitCode = 3;
      return;
    }
    const props = Object.fromEntries(
      systemctl(spec, ['show', `${spec.name}.service`, '-p', 'ActiveState,SubState,MainPID,StatusText'])
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    print(`${spec.name}: ${props.ActiveState} (${props.SubState}), PID ${props.MainPID || '-'}, ${spec.host}:${spec.port}, ${spec.dataDir}`);
    if (props.StatusText) print(`  ${props.StatusText}`);
    if (props.ActiveState !== 'active') process.exitCode = 1;
  });
}
