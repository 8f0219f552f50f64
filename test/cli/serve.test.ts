/** `jobdeck serve` and `jobdeck users` as a user runs them. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { serve } from '../helpers/serveProcess';
import { tempDir } from '../helpers/temp';

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));

describe('jobdeck serve', () => {
  it('serves a data folder, makes its first superadmin with a one-time sign-in link, and stops cleanly on SIGTERM', async () => {
    const dataDir = tempDir();
    const s = await serve([], dataDir);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.stderr()).toContain('First start: created the superadmin "admin". Open this link to sign in (it works once, until ');
    const secret = new RegExp(`^  ${s.url}/#signin=(jd_[A-Za-z0-9_-]{40,})$`, 'm').exec(s.stderr())?.[1];
    expect(secret).toBeTruthy();
    expect(s.stderr()).toContain(`API tokens for the CLI and scripts: jobdeck tokens create admin --data-dir "${dataDir}"`);
    expect((await fetch(`${s.url}/api/jobs`)).status).toBe(401);
    // The link's secret is no API token, and works once: for a console session.
    expect((await fetch(`${s.url}/api/jobs`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    const session = (body: unknown) => fetch(`${s.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const redeemed = await session({ link: secret });
    expect(redeemed.status).toBe(200);
    expect(await redeemed.json()).toMatchObject({ name: 'admin', role: 'superadmin' });
    const cookie = redeemed.headers.get('set-cookie')!.split(';')[0]!;
    expect(await (await fetch(`${s.url}/api/whoami`, { headers: { cookie } })).json()).toMatchObject({ name: 'admin', role: 'superadmin' });
    const twice = await session({ link: secret });
    expect(twice.status).toBe(401);
    expect(((await twice.json()) as { message: string }).message).toMatch(/^this sign-in link has expired or has been used already: sign in with an API token/);
    expect((await fetch(`${s.url}/api/jobs`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    expect(await (await fetch(`${s.url}/api/whoami`, { headers: { cookie } })).json()).toMatchObject({ name: 'admin' });
    const add = await cli(['users', 'add', 'alice', '--role', 'superadmin'], { dataDir });
    expect(add.stderr).toContain('Added alice (superadmin)');
    const token = add.stdout.trim();
    expect(token).toMatch(/^jd_[A-Za-z0-9_-]{40,}$/);
    const me = await fetch(`${s.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(await me.json()).toEqual({ name: 'alice', role: 'superadmin', expiresAt: null });
    // A second scheduler on the same folder is refused, naming the owner.
    const second = await cli(['serve', '--port', '0'], { dataDir });
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/already scheduled by jobdeck serve \(pid \d+ on /);
    const list = await cli(['users', 'list'], { dataDir });
    expect(list.stdout).toMatch(/alice\s+superadmin/);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
    expect(s.stderr()).toContain('Jobdeck stopped.');
    // Users exist now: a second start prints no link.
    const again = await serve([], dataDir);
    expect(again.stderr()).not.toContain('First start');
    const tokenAsLink = await fetch(`${again.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ link: token }) });
    expect(tokenAsLink.status).toBe(401);
    expect(((await tokenAsLink.json()) as { message: string }).message).toMatch(/^this is not a sign-in link, or it has been used already/);
    again.child.kill('SIGTERM');
    await exited(again.child);
    const revoke = await cli(['tokens', 'revoke', 'nope-nope'], { dataDir });
    expect([revoke.code, revoke.stderr]).toEqual([3, 'jobdeck: token "nope-nope" was not found\n']);
  });

  it('refuses plain HTTP beyond loopback unless told --insecure', async () => {
    const dataDir = tempDir();
    const refused = await cli(['serve', '--host', '0.0.0.0', '--port', '0'], { dataDir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to serve plain HTTP on 0\.0\.0\.0.*--tls-cert and --tls-key, or --insecure/);
    const s = await serve(['--host', '0.0.0.0', '--insecure'], dataDir);
    expect(s.stderr()).toContain('WARNING: serving plain HTTP on 0.0.0.0');
    s.child.kill('SIGTERM');
    await exited(s.child);
  });

  it('serves HTTPS with a certificate and key', async () => {
    const dir = tempDir();
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], {
      stdio: 'ignore',
    });
    const s = await serve(['--host', '0.0.0.0', '--tls-cert', cert, '--tls-key', key], tempDir());
    expect(s.url).toMatch(/^https:\/\//);
    const port = new URL(s.url).port;
    const status = await new Promise<number>((resolve, reject) =>
      get({ host: '127.0.0.1', port, path: '/api/health', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject),
    );
    expect(status).toBe(200);
    // A certificate the CLI does not trust: it says so, naming the server (exit code 6), and sends nothing.
    const untrusted = await cli(['--server', `https://127.0.0.1:${port}`, '--token', 'jd_x', 'jobs', 'list'], { env: { NODE_EXTRA_CA_CERTS: '' } });
    expect(untrusted.code).toBe(6);
    expect(untrusted.stderr).toMatch(new RegExp(`^jobdeck: cannot reach https://127\\.0\\.0\\.1:${port}: self[- ]signed certificate`));
    s.child.kill('SIGTERM');
    await exited(s.child);
    const missing = await cli(['serve', '--tls-cert', cert], { dataDir: tempDir() });
    expect([missing.code, missing.stderr]).toEqual([2, 'jobdeck: give both --tls-cert and --tls-key\n']);
    // The URL other nodes reach it at: checked before anything starts.
    const notHttps = await cli(['serve', '--tls-cert', cert, '--tls-key', key, '--node-url', 'http://node1.example.com:7070'], { dataDir: tempDir() });
    expect([notHttps.code, notHttps.stderr]).toEqual([2, 'jobdeck: --node-url: this node serves HTTPS, so its URL must start with https://\n']);
    const withPath = await cli(['serve', '--node-url', 'http://node1.example.com:7070/api'], { dataDir: tempDir() });
    expect([withPath.code, withPath.stderr]).toEqual([2, 'jobdeck: --node-url: give the scheme, host and port only (http://node1.example.com:7070), not "http://node1.example.com:7070/api"\n']);
    const notUrl = await cli(['serve', '--node-url', 'node1'], { dataDir: tempDir() });
    expect([notUrl.code, notUrl.stderr]).toEqual([2, 'jobdeck: --node-url: "node1" is not a URL such as https://node1.example.com:7070\n']);
    const badCert = join(tempDir(), 'bad.pem');
    writeFileSync(badCert, 'not a certificate');
    const unreadable = await cli(['serve', '--tls-cert', badCert, '--tls-key', key], { dataDir: tempDir() });
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/^jobdeck: --tls-cert: not a PEM certificate \(/);
  });
});
