/**
 * The live-events WebSocket under a hostile client: limits on sockets and
 * subscriptions, slow readers, revoked credentials, foreign origins, and
 * resuming a finished run.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_CLOSE } from '../../shared/events';
import { until } from '../helpers/engine';
import { fixture } from '../helpers/process';
import { startTestServer, type TestServer } from '../helpers/server';

interface Client {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
}

function connect(t: TestServer, headers: Record<string, string> = { authorization: `Bearer ${t.tokens.admin}` }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/events`, { headers });
    const messages: any[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', (err) => reject(err));
  });
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (err: { status?: number }) => err.status ?? -1);

describe('live events under a hostile client', () => {
  it('limits sockets per token and per address', async () => {
    const t = await startTestServer({ server: { events: { perCaller: 3, perAddress: 5 } } });
    const mine = await Promise.all([0, 1, 2].map(() => connect(t)));
    expect(await refusal(connect(t))).toBe(429);
    const others = await Promise.all([0, 1].map(() => connect(t, { authorization: `Bearer ${t.tokens.viewer}` })));
    expect(await refusal(connect(t, { authorization: `Bearer ${t.tokens.superadmin}` }))).toBe(429);
    mine[0]!.ws.close();
    await mine[0]!.closed;
    await until(async () => (await refusal(connect(t))) === null, 5000, 'a freed slot');
    for (const c of [...mine, ...others]) c.ws.close();
  });

  it('keeps at most N subscriptions per socket; replacing one at the limit keeps the others and leaks nothing', async () => {
    const t = await startTestServer({ server: { events: { subscriptions: 3 } } });
    const job = await t.client().call('jobs.create', { name: 'j', script: 'true', schedule: { kind: 'manual' } });
    const c = await connect(t);
    const base = t.engine.listenerCount;
    for (const id of ['a', 'b', 'c']) c.ws.send(JSON.stringify({ type: 'subscribe', id, sub: { jobId: job.id } }));
    await until(() => c.messages.filter((m) => m.type === 'subscribed').length === 3);
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'd', sub: {} }));
    await until(() => c.messages.some((m) => m.type === 'error' && m.id === 'd'));
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'b', sub: {} }));
    await until(() => c.messages.filter((m) => m.type === 'subscribed').length === 4);
    expect(t.engine.listenerCount - base).toBe(3);
    c.ws.close();
    await c.closed;
    await until(() => t.engine.listenerCount === base);
  });

  it('refuses a subscription to an unknown job or run, naming the field', async () => {
    const t = await startTestServer();
    const c = await connect(t);
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'j', sub: { jobId: 424242 } }));
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'r', sub: { runId: 424242 } }));
    await until(() => c.messages.filter((m) => m.type === 'error').length === 2);
    expect(c.messages.find((m) => m.id === 'j').error).toMatchObject({ code: 'NOT_FOUND', field: 'jobId' });
    expect(c.messages.find((m) => m.id === 'r').error).toMatchObject({ code: 'NOT_FOUND', field: 'runId' });
    c.ws.close();
  });

  it('tells a client that resumes a finished run that it finished', async () => {
    const t = await startTestServer();
    const job = await t.client().call('jobs.create', { name: 'done', script: 'echo one; echo two', schedule: { kind: 'manual' } });
    const run = await t.engine.waitForRun((await t.client().call('runs.trigger', { jobId: job.id })).id);
    const c = await connect(t);
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'r', sub: { runId: run.id, afterSeq: run.lastSeq } }));
    const status = await until(() => c.messages.find((m) => m.type === 'event' && m.event.type === 'run'));
    expect(status.event.run).toMatchObject({ id: run.id, status: 'SUCCEEDED' });
    c.ws.close();
  });

  it('closes a reader that stops reading with 4008 and lets go of its subscriptions at once', async () => {
    const t = await startTestServer({ server: { events: { bufferedPerSocket: 256 * 1024 } } });
    const job = await t.client().call('jobs.create', { name: 'flood', script: fixture('flood.sh'), schedule: { kind: 'manual' } });
    const c = await connect(t);
    const base = t.engine.listenerCount;
    const run = await t.client().call('runs.trigger', { jobId: job.id, args: '600000' });
    c.ws.send(JSON.stringify({ type: 'subscribe', id: 'r', sub: { runId: run.id, afterSeq: 0 } }));
    await until(() => c.messages.some((m) => m.type === 'subscribed'));
    // The client stops reading: its socket's buffers fill up on the server.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => t.engine.listenerCount === base, 30_000, 'the slow reader to be dropped');
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await c.closed;
    expect([WS_CLOSE.tooSlow, 1006]).toContain(closed.code);
    await t.engine.waitForRun(run.id);
  });

  it('keeps the unsent data of all sockets together within a budget, dropping the slowest', async () => {
    const t = await startTestServer({ server: { events: { bufferedPerSocket: 64 * 1024 * 1024, bufferedTotal: 512 * 1024 } } });
    const job = await t.client().call('jobs.create', { name: 'flood', script: fixture('flood.sh'), schedule: { kind: 'manual' } });
    const run = await t.client().call('runs.trigger', { jobId: job.id, args: '600000' });
    const readers = await Promise.all([0, 1].map(() => connect(t)));
    const base = t.engine.listenerCount;
    for (const r of readers) {
      r.ws.send(JSON.stringify({ type: 'subscribe', id: 'r', sub: { runId: run.id, afterSeq: 0 } }));
      (r.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    }
    await until(() => t.engine.listenerCount > base);
    // Neither socket alone is over its own limit; together they are over the budget: one is dropped.
    await until(() => t.engine.listenerCount < base + 2 && t.engine.listenerCount >= base, 30_000, 'a reader to be dropped');
    for (const r of readers) (r.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const first = await Promise.race(readers.map((r) => r.closed));
    expect([WS_CLOSE.tooSlow, 1006]).toContain(first.code);
    for (const r of readers) r.ws.close();
    await t.engine.waitForRun(run.id);
  });

  it('closes the sockets of a revoked token and of a removed user', async () => {
    const t = await startTestServer();
    const { id, token } = await t.client().call('tokens.create', { name: 'viewer-user' });
    const byToken = await connect(t, { authorization: `Bearer ${token}` });
    const { token: other } = await t.client().call('users.add', { name: 'leaver', role: 'viewer' });
    const byUser = await connect(t, { authorization: `Bearer ${other}` });
    await t.client().call('tokens.revoke', { tokenId: id });
    await t.client().call('users.remove', { name: 'leaver' });
    expect((await byToken.closed).code).toBe(WS_CLOSE.unauthorized);
    expect((await byUser.closed).code).toBe(WS_CLOSE.unauthorized);
  });

  it('closes the socket of a token revoked by another process within a few seconds', async () => {
    const t = await startTestServer({ server: { events: { recheckMs: 200 } } });
    const { id, token } = await t.client().call('tokens.create', { name: 'viewer-user' });
    const c = await connect(t, { authorization: `Bearer ${token}` });
    // Another process writes the store directly (as `jobdeck tokens revoke` would).
    t.engine.store.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(Date.now(), id);
    expect((await c.closed).code).toBe(WS_CLOSE.unauthorized);
  });

  it('refuses a cookie-signed upgrade from a page of another origin', async () => {
    const t = await startTestServer();
    const res = await t.fetch('/api/session', { method: 'POST', role: null, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: t.tokens.admin }) });
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const foreign = new URL(t.url);
    foreign.port = String(Number(foreign.port) + 1);
    expect(await refusal(connect(t, { cookie, origin: foreign.origin }))).toBe(403);
    const ok = await connect(t, { cookie, origin: t.url });
    ok.ws.close();
  });
});
