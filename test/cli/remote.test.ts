/**
 * The CLI against a real `jobdeck serve` on loopback (--server and a token):
 * the same outputs and exit codes as against the data folder itself, a
 * remote job run followed to its end, and errors that say which server and
 * why.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const keyringHere = onPath('dbus-run-session') && onPath('gnome-keyring-daemon') && onPath('secret-tool');

describe('jobdeck --server', () => {
  it('gives the same answers as the data folder itself, runs a job there to its end, and names the server in errors', async () => {
    const dataDir = tempDir();
    const added = await cli(['users', 'add', 'ops', '--role', 'superadmin'], { dataDir });
    const token = added.stdout.trim();
    const { url } = await serve([], dataDir);
    const remote = (args: string[]) => cli(['--server', url, '--token', token, ...args]);
    const local = (args: string[]) => cli(args, { dataDir });

    const script = join(tempDir(), 'hello.sh');
    writeFileSync(script, 'echo "hello from $JOBDECK_JOB"\nexit 4\n');
    const created = await remote(['jobs', 'add', '--name', 'hello', '--script', script, '--manual', '--group', 'ops']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/^Created job 1 "hello" \(manual only, script md5 [0-9a-f]{32}\)\n$/);

    const run = await remote(['run', 'hello']);
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('hello from hello\n');
    expect(run.stderr).toContain('Run 1 FAILED');

    for (const args of [['jobs', 'list'], ['jobs', 'show', 'hello'], ['jobs', 'list', '--json'], ['runs', 'list'], ['runs', 'show', '1', '--json'], ['runs', 'logs', '1'], ['recipients', 'list']]) {
      const [r, l] = [await remote(args), await local(args)];
      expect({ args, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ args, code: l.code, stdout: l.stdout, stderr: l.stderr });
    }
    const missing = [await remote(['jobs', 'show', 'nope']), await local(['jobs', 'show', 'nope'])];
    expect(missing[0]!.code).toBe(missing[1]!.code);
    expect(missing[0]!.stderr).toBe(`jobdeck: ${url}: ${missing[1]!.stderr.replace(/^jobdeck: /, '')}`);

    const wrongToken = await cli(['--server', url, '--token', 'jd_wrong', 'jobs', 'list']);
    expect(wrongToken.code).toBe(4);
    expect(wrongToken.stderr).toContain(url);
    expect(wrongToken.stderr).toMatch(/token is not valid/);
    const noToken = await cli(['--server', url, 'jobs', 'list'], { env: { JOBDECK_TOKEN: '' } });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--server needs an API token/);
    // A port nothing listens on (one just given up), so the connection is refused.
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const nowhere = await cli(['--server', `http://127.0.0.1:${closedPort}`, '--token', token, 'jobs', 'list']);
    expect(nowhere.code).toBe(6);
    expect(nowhere.stderr).toBe(`jobdeck: cannot reach http://127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`);
    const both = await cli(['--server', url, '--token', token, '--data-dir', dataDir, 'jobs', 'list']);
    expect(both.stderr).toMatch(/--data-dir or --server, not both/);
    const viaEnv = await cli(['jobs', 'list', '--json'], { env: { JOBDECK_SERVER: url, JOBDECK_TOKEN: token } });
    expect(JSON.parse(viaEnv.stdout)).toHaveLength(1);
  });

  it('saves a login for a server (readable only by the user, never printed) and uses it for --server', async () => {
    const dataDir = tempDir();
    const token = (await cli(['users', 'add', 'ops', '--role', 'admin'], { dataDir })).stdout.trim();
    const { url } = await serve([], dataDir);
    const home = tempDir();
    // No session bus, so no keychain: the token goes to the private file.
    const env = { HOME: home, XDG_CONFIG_HOME: '', JOBDECK_TOKEN: '', DBUS_SESSION_BUS_ADDRESS: '' };
    const refused = await cli(['login', url], { input: 'jd_wrong\n', env });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain(`${url}: the token is not valid`);
    const login = await cli(['login', `${url}/`], { input: `${token}\n`, env });
    expect(login).toMatchObject({ code: 0, stderr: '' });
    expect(login.stdout).toBe(`Logged in to ${url} as ops (admin); the token is saved in ${home}/.config/jobdeck/logins.json (readable only by you).\n`);
    const { statSync, readFileSync } = await import('node:fs');
    expect(statSync(join(home, '.config', 'jobdeck', 'logins.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, '.config', 'jobdeck')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(home, '.config', 'jobdeck', 'logins.json'), 'utf8')).toContain(token);
    const list = await cli(['--server', url, 'jobs', 'list', '--json'], { env });
    expect(list).toMatchObject({ code: 0, stderr: '', stdout: '[]\n' });
    const logins = await cli(['logins'], { env });
    expect(logins.stdout).toContain(url);
    expect(logins.stdout).not.toContain(token);
    expect((await cli(['logout', url], { env })).stdout).toBe(`Forgot the token for ${url}.\n`);
    const after = await cli(['--server', url, 'jobs', 'list'], { env });
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/jobdeck login http/);
  });

  it('pauses, resumes and restarts the scheduler and breaks locks, with the exit codes of the table', async () => {
    const dataDir = tempDir();
    const admin = (await cli(['users', 'add', 'root', '--role', 'superadmin'], { dataDir })).stdout.trim();
    const viewer = (await cli(['users', 'add', 'watcher', '--role', 'viewer'], { dataDir })).stdout.trim();
    const sleeper = join(tempDir(), 'sleeper.sh');
    writeFileSync(sleeper, 'sleep 30\n');
    expect((await cli(['jobs', 'add', '--name', 'holder', '--script', sleeper, '--manual', '--lock', 'db'], { dataDir })).code).toBe(0);
    expect((await cli(['jobs', 'add', '--name', 'tick', '--script', sleeper, '--interval', '300'], { dataDir })).code).toBe(0);
    const { url } = await serve([], dataDir);
    const as = (token: string) => (args: string[]) => cli(['--server', url, '--token', token, ...args]);
    const root = as(admin);

    const status = await root(['scheduler', 'status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toMatch(/^Scheduler: running\nRuns: 0 running, 0 queued \(at most \d+ at once\)\n/);
    expect(status.stdout).toMatch(/NEXT FIRE +JOB\n.* tick \(2\)\n$/);
    expect(await root(['scheduler', 'pause'])).toMatchObject({ code: 0, stderr: '', stdout: 'Paused the scheduler; 0 running, 0 queued.\n' });
    const paused = JSON.parse((await root(['scheduler', 'status', '--json'])).stdout);
    expect(paused).toMatchObject({ active: true, paused: true });
    expect((await root(['scheduler', 'status'])).stdout).not.toContain('NEXT FIRE');
    expect((await root(['scheduler', 'resume'])).stdout).toBe('Resumed the scheduler; 0 running, 0 queued.\n');
    expect((await root(['scheduler', 'restart'])).stdout).toBe('Restarted the scheduler: every job reloaded; 0 running, 0 queued.\n');
    const audit = await fetch(`${url}/api/audit`, { headers: { authorization: `Bearer ${admin}` } }).then((r) => r.json() as Promise<{ items: { action: string }[] }>);
    expect(audit.items.slice(0, 3).map((e) => e.action)).toEqual(['scheduler.restart', 'scheduler.resume', 'scheduler.pause']);

    // 4: signed in, but the role does not allow it (the role needed is named); a wrong token too.
    const notAllowed = await as(viewer)(['scheduler', 'pause']);
    expect(notAllowed.code).toBe(4);
    expect(notAllowed.stderr).toMatch(/needs the superadmin role; watcher is a viewer/);
    const revokedToken = (await cli(['tokens', 'create', 'watcher'], { dataDir })).stdout.trim();
    const tokenId = JSON.parse((await cli(['users', 'list', '--json'], { dataDir })).stdout).find((u: { name: string }) => u.name === 'watcher').tokens.at(-1).id;
    expect((await as(revokedToken)(['jobs', 'list'])).code).toBe(0);
    expect((await cli(['tokens', 'revoke', String(tokenId)], { dataDir })).code).toBe(0);
    const revoked = await as(revokedToken)(['jobs', 'list']);
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toBe(`jobdeck: ${url}: the token is not valid (wrong, expired, revoked, or its user was removed)\n`);
    // 5: the folder's scheduler belongs to the serve process; the local CLI says so.
    const local = await cli(['scheduler', 'pause'], { dataDir });
    expect(local.code).toBe(5);
    expect(local.stderr).toMatch(/^jobdeck: this engine does not run the scheduler; it is run by jobdeck serve \(pid \d+/);
    expect((await cli(['scheduler', 'status'], { dataDir })).stdout).toMatch(/^Scheduler: not scheduling here: the folder is scheduled by jobdeck serve/);
    // 3 and 2.
    expect(await root(['locks', 'break', 'nope'])).toMatchObject({ code: 3, stdout: '' });
    expect((await root(['jobs', 'show', 'nope'])).code).toBe(3);
    expect((await root(['jobs', 'edit', 'tick', '--interval', '0'])).code).toBe(2);

    // Locks: held by a running run, broken only with --force, naming the run.
    const started = await fetch(`${url}/api/jobs/1/runs`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
    const { id: runId } = (await started.json()) as { id: number };
    for (let i = 0; i < 100 && !(await root(['locks', 'list'])).stdout.includes('running'); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await root(['locks', 'list'])).stdout).toMatch(new RegExp(`^LOCK +RUN +JOB +SINCE +HOLDER\\ndb +${runId} +holder \\(1\\) +\\S+ \\S+ +running\\n$`));
    expect((await root(['run', 'holder'])).code).toBe(5);
    const held = await root(['locks', 'break', 'db']);
    expect(held.code).toBe(5);
    expect(held.stderr).toContain(`lock "db" is held by run ${runId} of job "holder", which is still running`);
    expect(await root(['locks', 'break', 'db', '--force'])).toMatchObject({ code: 0, stderr: '', stdout: 'Broke lock "db".\n' });
    expect((await root(['locks', 'list'])).stdout).toBe('No locks are held.\n');
    expect((await root(['runs', 'cancel', String(runId)])).code).toBe(0);
  }, 90_000);

  it.skipIf(!keyringHere)('saves a login in the Secret Service keyring where one answers, and only the server list in the file', async () => {
    const dataDir = tempDir();
    const token = (await cli(['users', 'add', 'ops', '--role', 'admin'], { dataDir })).stdout.trim();
    const { url } = await serve([], dataDir);
    const home = tempDir();
    writeFileSync(join(home, 'token.txt'), `${token}\n`);
    // A desktop session of its own: a session bus and an unlocked GNOME Keyring.
    const script = [
      'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1',
      `"$NODE" "$BIN" login "$URL" < "$HOME/token.txt"`,
      'echo ---; "$NODE" "$BIN" --server "$URL" jobs list --json',
      'echo ---; "$NODE" "$BIN" logins',
      'echo ---; cat "$HOME/.config/jobdeck/logins.json"',
      'echo ---; secret-tool lookup service jobdeck server "$URL"',
      'echo; echo ---; "$NODE" "$BIN" logout "$URL"',
      'secret-tool lookup service jobdeck server "$URL"; echo "lookup exit $?"',
    ].join('\n');
    const r = spawnSync('dbus-run-session', ['--', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: '', JOBDECK_TOKEN: '', NODE: process.execPath, BIN, URL: url, NO_COLOR: '1' },
    });
    const [login, list, logins, file, stored, logout] = r.stdout.split('---\n');
    expect(login).toBe(`Logged in to ${url} as ops (admin); the token is saved in the Secret Service keyring.\n`);
    expect(list).toBe('[]\n');
    expect(logins).toMatch(new RegExp(`${url.replace(/[.]/g, '\\.')} +ops +\\S+ \\S+ +the Secret Service keyring`));
    expect(file).not.toContain(token);
    expect(JSON.parse(file!).servers[url]).toMatchObject({ keychain: 'the Secret Service keyring', user: 'ops' });
    expect(stored).toBe(`${token}\n`);
    expect(logout).toBe(`Forgot the token for ${url}.\nlookup exit 1\n`);
  }, 90_000);
});
