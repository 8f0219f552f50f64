/**
 * `jobdeck service`: the definitions it prints, checked by the tools that
 * read them (systemd-analyze, a plist parser, an XML parser); install
 * refusing where systemd does not run, writing nothing; and `jobdeck serve`
 * telling a service manager it is ready, how it is, that it stops, and its
 * watchdog heartbeats, on a NOTIFY_SOCKET the test binds.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { until } from '../helpers/engine';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

const has = (cmd: string) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const systemdAnalyze = has('systemd-analyze');
const systemdNotify = has('systemd-notify');

describe('jobdeck service', () => {
  it.skipIf(!systemdAnalyze)('prints systemd units that systemd-analyze verifies, with the documented security exposure', async () => {
    const dir = tempDir();
    for (const scope of ['--system', '--user']) {
      const out = await cli(['service', 'print', scope, '--platform', 'linux', '--port', '7171', '--data-dir', '/var/lib/jobdeck']);
      expect(out).toMatchObject({ code: 0, stderr: '' });
      expect(out.stdout).toContain('Type=notify');
      expect(out.stdout).toContain('Restart=on-failure');
      expect(out.stdout).toContain('KillMode=mixed');
      expect(out.stdout).toContain('TimeoutStopSec=60');
      expect(out.stdout).toMatch(/^ExecStart=\S+ \S+jobdeck\.cjs serve --data-dir \/var\/lib\/jobdeck --host 127\.0\.0\.1 --port 7171 --grace 30$/m);
      // The unit's documentation is the installation's README, not the script.
      expect(out.stdout).toMatch(/^Documentation=file:\/\/\S+\/README\.md$/m);
      const file = join(dir, `jobdeck${scope}.service`.replace('--', '-'));
      writeFileSync(file, out.stdout);
      const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(verify.stderr).toBe('');
      expect(verify.status).toBe(0);
    }
    const system = await cli(['service', 'print', '--system', '--run-as', 'jobdeck', '--platform', 'linux', '--data-dir', '/var/lib/jobdeck']);
    expect(system.stdout).toContain('User=jobdeck');
    expect(system.stdout).toContain('StateDirectory=jobdeck');
    expect(system.stdout).toContain('WantedBy=multi-user.target');
    const file = join(dir, 'jobdeck.service');
    writeFileSync(file, system.stdout);
    const security = spawnSync('systemd-analyze', ['security', '--offline=true', file], { encoding: 'utf8' });
    const score = Number(/Overall exposure level for jobdeck\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    // README "Run as a service" documents this score; it must not get worse.
    expect(score).toBeLessThanOrEqual(5.3);
  });

  it('prints a launchd plist and a WinSW definition that their parsers read', async () => {
    const plist = await cli(['service', 'print', '--platform', 'macos', '--data-dir', '/Users/ops/jobdeck']);
    expect(plist).toMatchObject({ code: 0, stderr: '' });
    const parsed = JSON.parse(
      execFileSync('python3', ['-c', 'import plistlib,sys,json; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))'], { input: plist.stdout, encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(parsed).toMatchObject({ Label: 'com.jobdeck.jobdeck', RunAtLoad: true, KeepAlive: { SuccessfulExit: false }, ExitTimeOut: 60 });
    expect((parsed.ProgramArguments as string[]).slice(1)).toEqual([expect.stringMatching(/jobdeck\.cjs$/), 'serve', '--data-dir', '/Users/ops/jobdeck', '--host', '127.0.0.1', '--port', '7070', '--grace', '30']);

    const win = await cli(['service', 'print', '--platform', 'windows', '--data-dir', 'C:\\Jobdeck Data']);
    expect(win).toMatchObject({ code: 0, stderr: '' });
    const fields = JSON.parse(
      execFileSync(
        'python3',
        ['-c', "import xml.etree.ElementTree as E,sys,json; r=E.fromstring(sys.stdin.read()); print(json.dumps({c.tag: (c.text or '').strip() for c in r}))"],
        { input: win.stdout, encoding: 'utf8' },
      ),
    ) as Record<string, string>;
    expect(fields).toMatchObject({ id: 'jobdeck', executable: 'C:\\Program Files\\Jobdeck\\Jobdeck.exe', startmode: 'Automatic', stoptimeout: '60 sec' });
    expect(fields.arguments).toBe('"C:\\Program Files\\Jobdeck\\resources\\app\\bin\\jobdeck.cjs" serve --data-dir "C:\\Jobdeck Data" --host 127.0.0.1 --port 7070 --grace 30');
    expect(win.stdout).toContain('<env name="ELECTRON_RUN_AS_NODE" value="1"/>');
    expect(win.stdout).toContain('<onfailure action="restart"');
  });

  it('says so and writes nothing when systemd does not manage services here, and refuses bad options', async () => {
    const home = tempDir();
    const out = await cli(['service', 'install', '--user'], { env: { HOME: home } });
    if (existsSync('/run/systemd/system')) return; // a machine where systemd runs: installing for real is out of scope here
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/systemd is not running here, so nothing was installed/);
    expect(existsSync(join(home, '.config', 'systemd'))).toBe(false);
    const bad = await cli(['service', 'print', '--name', 'no spaces please']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--name: "no spaces please"/);
    const both = await cli(['service', 'print', '--system', '--user']);
    expect(both.stderr).toMatch(/give --system or --user, not both/);
  });

  it.skipIf(!systemdNotify)('tells the service manager it is ready once it listens, how it is, its heartbeats, and that it stops', async () => {
    const dir = tempDir();
    const socket = join(dir, 'notify.sock');
    const received = join(dir, 'received.txt');
    // The service manager's end: a Unix datagram socket, written down message by message.
    const listener = spawn(
      'python3',
      [
        '-c',
        `import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); print("bound", flush=True)
while True:
    m=s.recv(65536).decode()
    with open(sys.argv[2],"a") as f: f.write(m.replace("\\n"," | ")+"\\n")`,
        socket,
        received,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((r) => listener.stdout.once('data', r));
    const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', '--data-dir', join(dir, 'data')], {
      env: { ...process.env, NOTIFY_SOCKET: socket, WATCHDOG_USEC: '2000000' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const read = () => (existsSync(received) ? readFileSync(received, 'utf8') : '');
      await until(() => /READY=1/.test(read()), 30_000, 'READY=1');
      expect(read()).toMatch(/READY=1 \| STATUS=Serving .*data at http:\/\/127\.0\.0\.1:\d+ \(0 jobs\)/);
      await until(() => /WATCHDOG=1/.test(read()), 10_000, 'a watchdog heartbeat');
      serve.kill('SIGTERM');
      await until(() => /STOPPING=1/.test(read()), 15_000, 'STOPPING=1');
      expect(await new Promise((r) => serve.once('exit', r))).toBe(0);
    } finally {
      serve.kill('SIGKILL');
      listener.kill('SIGKILL');
    }
  });

  it('restarts the whole serve process on request only under a service manager: it drains, records its runs and exits for the manager to start it again', async () => {
    const dataDir = tempDir();
    const token = (await cli(['users', 'add', 'root', '--role', 'superadmin'], { dataDir })).stdout.trim();
    const sleeper = join(tempDir(), 'sleeper.sh');
    writeFileSync(sleeper, 'sleep 30\n');
    expect((await cli(['jobs', 'add', '--name', 'long', '--script', sleeper, '--manual'], { dataDir })).code).toBe(0);

    // Not supervised: refused, naming why, and the server goes on.
    const plain = await serve(['--grace', '1'], dataDir);
    const remote = (url: string, args: string[]) => cli(['--server', url, '--token', token, ...args]);
    expect(JSON.parse((await remote(plain.url, ['scheduler', 'status', '--json'])).stdout)).toMatchObject({ supervised: false });
    const refused = await remote(plain.url, ['scheduler', 'restart', '--process']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/not run by a service manager, so nothing would start it again/);
    expect((await remote(plain.url, ['scheduler', 'status'])).code).toBe(0);
    plain.child.kill('SIGTERM');
    await new Promise((r) => plain.child.once('exit', r));

    // As the units run it: offered, and it exits with 75 once drained, its run recorded.
    const supervised = await serve(['--grace', '1'], dataDir, { JOBDECK_SUPERVISED: '1' });
    expect(JSON.parse((await remote(supervised.url, ['scheduler', 'status', '--json'])).stdout)).toMatchObject({ supervised: true });
    const started = await fetch(`${supervised.url}/api/jobs/1/runs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    const { id: runId } = (await started.json()) as { id: number };
    await until(async () => JSON.parse((await remote(supervised.url, ['runs', 'show', String(runId), '--json'])).stdout).status === 'IN_PROGRESS');
    const exited = new Promise<number | null>((r) => supervised.child.once('exit', (code) => r(code)));
    const asked = await remote(supervised.url, ['scheduler', 'restart', '--process']);
    expect(asked).toMatchObject({ code: 0, stderr: '', stdout: 'The server drains (1 running, 0 queued) and stops; its service manager starts it again.\n' });
    expect(await exited).toBe(75);
    expect(supervised.stderr()).toMatch(/Restart requested: stopped firing; waiting up to 1 s for 1 running run/);
    const run = JSON.parse((await cli(['runs', 'show', String(runId), '--json'], { dataDir })).stdout);
    expect(run).toMatchObject({ status: 'CANCELLED' });
    // The folder is free for the service manager to start serve again.
    expect(JSON.parse((await cli(['scheduler', 'status', '--json'], { dataDir })).stdout)).toMatchObject({ active: false, owner: null });
    const printed = await cli(['service', 'print', '--platform', 'linux']);
    expect(printed.stdout).toContain('Environment=JOBDECK_SUPERVISED=1');
  }, 60_000);
});
