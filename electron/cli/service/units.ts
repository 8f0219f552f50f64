/**
 * The service definitions `jobdeck service` writes: a systemd unit (Linux),
 * a launchd plist (macOS) and a WinSW service definition (Windows). Each
 * runs `jobdeck serve` with Node (never the desktop app's GUI), restarts it
 * on failure, and gives it longer to stop than its drain takes.
 */
import { isAbsolute } from 'node:path';

export interface ServiceSpec {
  name: string;
  /** The command that runs Jobdeck: Node and the jobdeck script. */
  node: string;
  script: string;
  dataDir: string;
  host: string;
  port: number;
  /** Seconds runs get to finish on stop. */
  grace: number;
  scope: 'system' | 'user';
  /** The user a system service runs as (default: root's choice, none given). */
  user?: string;
  /** More environment for serve (the desktop app's JOBDECK_NATIVE_BINDING). */
  env?: Record<string, string>;
}

/** The service's environment: the spec's own, and ELECTRON_RUN_AS_NODE when an Electron executable runs it. */
function environment(s: ServiceSpec): [string, string][] {
  return [
    ...(runsAsElectron(s) ? [['ELECTRON_RUN_AS_NODE', '1'] as [string, string]] : []),
    // serve then offers a whole-process restart: it exits, and the service manager starts it again.
    ['JOBDECK_SUPERVISED', '1'],
    ...Object.entries(s.env ?? {}),
  ];
}

/**
 * The program is an Electron app's executable (the desktop app's own), not
 * Node: it must be told to run as Node, or it would open its window.
 */
export const runsAsElectron = (s: ServiceSpec): boolean => !/^(node|nodejs)(\.exe)?$/i.test(s.node.split(/[\\/]/).pop() ?? '');

export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const quoteArg = (a: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["\\])/g, '\\$1')}"`);

function serveArgs(s: ServiceSpec): string[] {
  return [s.script, 'serve', '--data-dir', s.dataDir, '--host', s.host, '--port', String(s.port), '--grace', String(s.grace)];
}

/** Under /home or /root the data folder stays writable only if home is not protected. */
const underHome = (dir: string): boolean => /^\/(home|root)(\/|$)/.test(dir) || dir.startsWith('/run/user/');

export function systemdUnit(s: ServiceSpec): string {
  if (!isAbsolute(s.dataDir)) throw new Error(`the data folder must be an absolute path, not ${s.dataDir}`);
  const lines = [
    '[Unit]',
    `Description=Jobdeck scheduler (jobdeck serve, ${s.dataDir})`,
    `Documentation=file://${s.script.replace(/\/bin\/jobdeck\.[cm]js$/, '/README.md')}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    // Ready only once it listens and recovery is done (it says so itself).
    'Type=notify',
    // The messages are sent by systemd-notify, a child of jobdeck serve.
    'NotifyAccess=all',
    ...environment(s).map(([k, v]) => `Environment=${quoteArg(`${k}=${v}`)}`),
    `ExecStart=${[s.node, ...serveArgs(s)].map(quoteArg).join(' ')}`,
    'Restart=on-failure',
    'RestartSec=5',
    // A stuck engine stops sending heartbeats and is restarted.
    'WatchdogSec=120',
    // SIGTERM to serve (which drains), then SIGKILL to what is left of the group after the timeout.
    'KillMode=mixed',
    `TimeoutStopSec=${s.grace + 30}`,
    ...(s.scope === 'system' && s.user ? [`User=${s.user}`] : []),
    ...(s.scope === 'system' && s.dataDir.startsWith('/var/lib/') ? [`StateDirectory=${s.dataDir.slice('/var/lib/'.length)}`] : []),
    // Runs, logs and result files are the service's own.
    'UMask=0027',
    'NoNewPrivileges=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'SystemCallArchitectures=native',
    'ProtectSystem=full',
    ...(underHome(s.dataDir) ? [] : ['ProtectHome=read-only']),
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictSUIDSGID=yes',
    'RestrictRealtime=yes',
    'RestrictNamespaces=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
    `ReadWritePaths=${s.dataDir}`,
    '',
    '[Install]',
    `WantedBy=${s.scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}

const xml = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function launchdPlist(s: ServiceSpec): string {
  const args = [s.node, ...serveArgs(s)].map((a) => `    <string>${xml(a)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${xml(s.name)}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
${
  environment(s).length
    ? `  <key>EnvironmentVariables</key>\n  <dict>\n${environment(s).map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>\n`).join('')}  </dict>\n`
    : ''
}  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ExitTimeOut</key>
  <integer>${s.grace + 30}</integer>
  <key>StandardOutPath</key>
  <string>${xml(`${s.dataDir}/service.log`)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(`${s.dataDir}/service.log`)}</string>
</dict>
</plist>
`;
}

/** A WinSW service definition: the packaged app's own executable run as Node (ELECTRON_RUN_AS_NODE), not the GUI. */
/** Windows command-line quoting: backslashes are literal; quotes inside are escaped. */
const quoteWindows = (a: string): string => (/^[A-Za-z0-9_@%+=:,./\\-]+$/.test(a) ? a : `"${a.replace(/"/g, '\\"')}"`);

export function winswXml(s: ServiceSpec): string {
  const args = serveArgs(s).map(quoteWindows).join(' ');
  return `<service>
  <id>${xml(s.name)}</id>
  <name>${xml(`Jobdeck (${s.name})`)}</name>
  <description>${xml(`Jobdeck scheduler: jobdeck serve for ${s.dataDir}`)}</description>
  <executable>${xml(s.node)}</executable>
  <arguments>${xml(args)}</arguments>
  <env name="ELECTRON_RUN_AS_NODE" value="1"/>
  <env name="JOBDECK_SUPERVISED" value="1"/>${Object.entries(s.env ?? {}).map(([k, v]) => `\n  <env name="${xml(k)}" value="${xml(v)}"/>`).join('')}
  <startmode>Automatic</startmode>
  <stoptimeout>${s.grace + 30} sec</stoptimeout>
  <onfailure action="restart" delay="5 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <resetfailure>1 hour</resetfailure>
  <log mode="roll-by-size">
    <sizeThreshold>10240</sizeThreshold>
    <keepFiles>5</keepFiles>
  </log>${s.scope === 'user' ? '\n  <serviceaccount>\n    <allowservicelogon>true</allowservicelogon>\n  </serviceaccount>' : ''}
</service>
`;
}
