/**
 * The CLI against a real `jobdeck serve` on loopback (--server and a token):
 * the same outputs and exit codes as against the data folder itself, a
 * remote job run followed to its end, and errors that say which server and
 * why.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

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
    const nowhere = await cli(['--server', 'http://127.0.0.1:1', '--token', token, 'jobs', 'list']);
    expect(nowhere.code).toBe(6);
    expect(nowhere.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
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
    const env = { HOME: home, XDG_CONFIG_HOME: '', JOBDECK_TOKEN: '' };
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
});
