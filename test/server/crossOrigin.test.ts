/**
 * Pages of other origins (apps embedding jobdeck/react): CORS only for the
 * origins allowed, never with credentials; the live-events socket takes the
 * token as a subprotocol, refuses foreign origins not allowed, and a cookie
 * never counts from another origin.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/server';

const APP = 'http://app.example.test:5173';

function openSocket(t: TestServer, protocols: string[], origin: string): Promise<{ ok: boolean; protocol?: string; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/api/events`, protocols, { headers: { origin } });
    ws.on('open', () => {
      resolve({ ok: true, protocol: ws.protocol });
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode }));
    ws.on('error', () => resolve({ ok: false }));
  });
}

describe('pages of other origins', () => {
  it('answers CORS only for allowed origins, without credentials', async () => {
    const t = await startTestServer({ server: { allowedOrigins: [APP] } });
    const preflight = await fetch(`${t.url}/api/runs`, { method: 'OPTIONS', headers: { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    const get = await fetch(`${t.url}/api/runs`, { headers: { origin: APP, authorization: `Bearer ${t.tokens.viewer}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(APP);

    const evil = 'http://evil.example.test';
    const refused = await fetch(`${t.url}/api/runs`, { method: 'OPTIONS', headers: { origin: evil, 'access-control-request-method': 'GET' } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { message: string }).message).toMatch(/--allow-origin http:\/\/evil\.example\.test/);
    const plain = await fetch(`${t.url}/api/runs`, { headers: { origin: evil, authorization: `Bearer ${t.tokens.viewer}` } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('takes the token as a WebSocket subprotocol from an allowed origin, and refuses the others', async () => {
    const t = await startTestServer({ server: { allowedOrigins: [APP] } });
    expect(await openSocket(t, ['jobdeck', `jobdeck.bearer.${t.tokens.viewer}`], APP)).toEqual({ ok: true, protocol: 'jobdeck' });
    expect(await openSocket(t, ['jobdeck', 'jobdeck.bearer.wrong'], APP)).toMatchObject({ ok: false, status: 401 });
    expect(await openSocket(t, ['jobdeck', `jobdeck.bearer.${t.tokens.viewer}`], 'http://evil.example.test')).toMatchObject({ ok: false, status: 403 });
    const none = await startTestServer();
    expect(await openSocket(none, ['jobdeck', `jobdeck.bearer.${none.tokens.viewer}`], APP)).toMatchObject({ ok: false, status: 403 });
  });
});
