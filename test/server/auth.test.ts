/** Every route against no token, a viewer, an admin and a superadmin. */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract, METHOD_NAMES } from '../../shared/contract';
import { ROLES, roleRank, type Role } from '../../shared/model/misc';
import { body, startTestServer } from '../helpers/server';

/** Sample inputs that pass validation far enough to reach the role check. */
const SAMPLE_PATH: Record<string, string> = { id: '1', jobId: '1', name: 'nobody', tokenId: 'abcdefgh' };

interface Route {
  label: string;
  method: string;
  path: string;
  /** Least role allowed; 'any' = signed in. */
  role: Role;
  /** Status a caller below the role gets (403, or 401 where a seed says so). */
  denied: number;
}

const routes: Route[] = [
  ...METHOD_NAMES.map((name) => {
    const { http, role } = contract[name];
    return { label: name, method: http.method, path: http.path.replace(/:([A-Za-z]+)/g, (_m, p: string) => SAMPLE_PATH[p]!), role, denied: 403 };
  }),
  { label: 'result file download', method: 'GET', path: '/api/runs/1/files/x.csv', role: 'admin', denied: 403 },
  { label: 'log download', method: 'GET', path: '/api/runs/1/log', role: 'viewer', denied: 403 },
  { label: 'seed: list tasks', method: 'GET', path: '/api/v1/backgroundtasks', role: 'viewer', denied: 403 },
  { label: 'seed: trigger task', method: 'POST', path: '/api/v1/backgroundtasks/trigger/x', role: 'admin', denied: 401 },
  { label: 'seed: queue run', method: 'POST', path: '/scheduled-jobs/1/runs', role: 'admin', denied: 403 },
  { label: 'seed: list runs', method: 'GET', path: '/scheduled-jobs/1/runs', role: 'viewer', denied: 403 },
  { label: 'seed: result file', method: 'GET', path: '/scheduled-jobs/1/runs/1/result-file', role: 'admin', denied: 403 },
];

describe('auth matrix', () => {
  it('answers 401 without a token, the denial status below the role, and neither at or above it', async () => {
    const t = await startTestServer();
    const failures: string[] = [];
    for (const route of routes) {
      for (const caller of [null, ...ROLES] as (Role | null)[]) {
        const res = await t.fetch(route.path, {
          method: route.method,
          role: caller,
          ...(route.method === 'POST' || route.method === 'PATCH' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        });
        await res.arrayBuffer();
        const expected = caller === null ? 401 : roleRank(caller) < roleRank(route.role) ? route.denied : null;
        const ok = expected === null ? res.status !== 401 && res.status !== 403 && res.status < 500 : res.status === expected;
        if (!ok) failures.push(`${route.label} as ${caller ?? 'anonymous'}: got ${res.status}, expected ${expected ?? 'no 401/403/5xx'}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses the events socket without a valid token', async () => {
    const t = await startTestServer();
    const attempt = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/events`, { headers });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
      });
    expect(await attempt({})).toBe(401);
    expect(await attempt({ authorization: 'Bearer jd_wrong' })).toBe(401);
    expect(await attempt({ authorization: `Bearer ${t.tokens.viewer}` })).toBe(101);
  });

  it('keeps health, the OpenAPI document and the console public', async () => {
    const t = await startTestServer();
    expect((await t.fetch('/api/health', { role: null })).status).toBe(200);
    const doc = await body(await t.fetch('/api/openapi.json', { role: null }));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/api/jobs/{id}');
    expect(doc.paths['/api/jobs'].post.requestBody.content['application/json'].schema.properties.schedule).toBeDefined();
    expect(doc.paths['/api/runs'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['jobId', 'status', 'from', 'to', 'limit', 'offset']);
    expect((await t.fetch('/', { role: null })).status).toBe(200);
  });

  it('slows down and then refuses repeated wrong tokens from one address', async () => {
    const t = await startTestServer({ server: { auth: { maxFailures: 3, failureDelayMs: 1, windowMs: 60_000 } } });
    const tryToken = (token: string) => t.fetch('/api/jobs', { role: null, headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 3; i++) expect((await tryToken('jd_guess')).status).toBe(401);
    const limited = await tryToken('jd_guess');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await body(limited)).code).toBe('RATE_LIMITED');
    // Only failures are limited: the right token still gets through from the same address.
    expect((await tryToken(t.tokens.viewer)).status).toBe(200);
    expect((await tryToken('jd_guess')).status).toBe(429);
  });

  it("refuses node credentials on a data folder's server, makes no key for them, and counts them as wrong tokens", async () => {
    const t = await startTestServer({ server: { auth: { maxFailures: 3, failureDelayMs: 1, windowMs: 60_000 } } });
    const job = await t.engine.handlers['jobs.create']({ name: 'r', script: 'echo 1 > "$JOBDECK_OUTPUT_DIR/a.txt"', schedule: { kind: 'manual' } }, { actor: 't', role: 'superadmin' });
    const run = await t.engine.waitForRun((await t.engine.handlers['runs.trigger']({ jobId: job.id }, { actor: 't', role: 'superadmin' })).id);
    const node = (path: string) => t.fetch(path, { role: null, headers: { authorization: `JobdeckNode abc-1:${Date.now() + 10_000}:${'A'.repeat(43)}` } });
    const refused = await node(`/api/runs/${run.id}/files/a.txt`);
    expect(refused.status).toBe(401);
    expect((await body(refused)).message).toBe('node credentials are for nodes of a shared database; this server keeps a data folder');
    expect((await body(await node('/api/jobs'))).message).toBe('node credentials open result files only (GET /api/runs/:id/files/*)');
    expect(t.engine.store.settings.get('cluster.key', null)).toBeNull();
    // Three failures so far with the third: the fourth is refused outright.
    expect((await node('/api/jobs')).status).toBe(401);
    expect((await node('/api/jobs')).status).toBe(429);
  });

  it('signs the web console in with a session cookie that is not the token, and ends it on sign-out', async () => {
    const t = await startTestServer();
    const json = { 'content-type': 'application/json' };
    const bad = await t.fetch('/api/session', { method: 'POST', role: null, headers: json, body: JSON.stringify({ token: 'nope' }) });
    expect(bad.status).toBe(401);
    const res = await t.fetch('/api/session', { method: 'POST', role: null, headers: json, body: JSON.stringify({ token: t.tokens.admin }) });
    expect(await body(res)).toMatchObject({ name: 'admin-user', role: 'admin', expiresAt: expect.any(String) });
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/jobdeck_session=.*HttpOnly.*SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    expect(cookie).not.toContain(t.tokens.admin);
    expect(cookie.length).toBeGreaterThan(30);
    const whoami = await t.fetch('/api/whoami', { role: null, headers: { cookie } });
    expect(await body(whoami)).toMatchObject({ name: 'admin-user', role: 'admin' });
    // Signing out ends the session on the server: a copy of the cookie no longer works.
    const out = await t.fetch('/api/session', { method: 'DELETE', role: null, headers: { cookie, origin: t.url } });
    expect(out.status).toBe(200);
    expect((await t.fetch('/api/whoami', { role: null, headers: { cookie } })).status).toBe(401);
    // The token itself still works.
    expect((await t.fetch('/api/whoami', { role: 'admin' })).status).toBe(200);
  });

  it('ends sessions with their token, and expires them', async () => {
    const t = await startTestServer({ server: { auth: { sessionMs: 1500 } } });
    const json = { 'content-type': 'application/json' };
    const signIn = async () =>
      (await t.fetch('/api/session', { method: 'POST', role: null, headers: json, body: JSON.stringify({ token: t.tokens.admin }) })).headers
        .get('set-cookie')!
        .split(';')[0]!;
    const first = await signIn();
    await new Promise((r) => setTimeout(r, 1700));
    expect((await t.fetch('/api/whoami', { role: null, headers: { cookie: first } })).status).toBe(401);
    const second = await signIn();
    expect((await t.fetch('/api/whoami', { role: null, headers: { cookie: second } })).status).toBe(200);
    const users = await t.client().call('users.list', {});
    const tokenId = users.find((u) => u.name === 'admin-user')!.tokens[0]!.id;
    await t.client().call('tokens.revoke', { tokenId });
    expect((await t.fetch('/api/whoami', { role: null, headers: { cookie: second } })).status).toBe(401);
  });

  it('refuses cookie-signed writes from another origin (another port), and accepts them from its own', async () => {
    const t = await startTestServer();
    const json = { 'content-type': 'application/json' };
    const res = await t.fetch('/api/session', { method: 'POST', role: null, headers: json, body: JSON.stringify({ token: t.tokens.superadmin }) });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const foreign = new URL(t.url);
    foreign.port = String(Number(foreign.port) + 1);
    const pause = (origin: string | null) =>
      t.fetch('/api/scheduler/pause', { method: 'POST', role: null, headers: { ...json, cookie, ...(origin ? { origin } : {}) }, body: '{}' });
    const refused = await pause(foreign.origin);
    expect(refused.status).toBe(403);
    expect((await body(refused)).message).toMatch(/cross-site request refused/);
    expect((await pause(null)).status).toBe(403);
    expect((await t.client().call('scheduler.status', {})).paused).toBe(false);
    expect((await pause(t.url)).status).toBe(200);
    // Reads with the cookie need no origin; Bearer writes need none either.
    expect((await t.fetch('/api/jobs', { role: null, headers: { cookie } })).status).toBe(200);
    expect((await t.fetch('/api/scheduler/resume', { method: 'POST', headers: json, body: '{}' })).status).toBe(200);
  });

  it("records a token's use when a request signs in with it (users list: last used)", async () => {
    const t = await startTestServer();
    const lastUsed = async () => (await t.client('superadmin').call('users.list', {})).find((u) => u.name === 'viewer-user')!.tokens[0]!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    const before = Date.now();
    expect((await t.fetch('/api/whoami', { role: 'viewer' })).status).toBe(200);
    const used = await lastUsed();
    expect(used).not.toBeNull();
    expect(Date.parse(used!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('issues tokens that expire, and shows when', async () => {
    const t = await startTestServer();
    const created = await t.client().call('tokens.create', { name: 'viewer-user', expiresInSeconds: 60 });
    expect(Date.parse(created.expiresAt!) - Date.now()).toBeGreaterThan(55_000);
    const who = await (await t.fetch('/api/whoami', { role: null, headers: { authorization: `Bearer ${created.token}` } })).json();
    expect(who).toMatchObject({ name: 'viewer-user', expiresAt: created.expiresAt });
    const listed = (await t.client().call('users.list', {})).find((u) => u.name === 'viewer-user')!.tokens.find((tk) => tk.id === created.id);
    expect(listed?.expiresAt).toBe(created.expiresAt);
    // Expired: the store's clock is past it.
    t.engine.store.db.prepare('UPDATE tokens SET expires_at = ? WHERE id = ?').run(Date.now() - 1, created.id);
    expect((await t.fetch('/api/whoami', { role: null, headers: { authorization: `Bearer ${created.token}` } })).status).toBe(401);
    const tooShort = await t.fetch('/api/users/viewer-user/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expiresInSeconds: 5 }) });
    expect(await body(tooShort)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'expiresInSeconds' });
  });

  it('behind a trusted proxy, limits each client by its forwarded address, not the proxy\'s', async () => {
    const t = await startTestServer({ server: { trustProxy: true, auth: { maxFailures: 3, failureDelayMs: 1 } } });
    const from = (ip: string, token = 'jd_guess') => t.fetch('/api/jobs', { role: null, headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip } });
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1')).status).toBe(401);
    expect((await from('10.0.0.1')).status).toBe(429);
    expect((await from('10.0.0.2')).status).toBe(401);
    expect((await from('10.0.0.1', t.tokens.viewer)).status).toBe(200);
  });
});
