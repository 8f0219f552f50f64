/**
 * A loopback door in front of `jobdeck serve` for the embed test, with a
 * switch that drops every live connection (a network cut, to prove the
 * component reconnects).
 *
 * `pass`: plain TCP, when the server itself lets a page of another origin in
 * (CORS on /api, the token as the WebSocket subprotocol `jobdeck.bearer.TOKEN`).
 * `shim`: when it does not (yet), the door does exactly that on its behalf —
 * answers CORS preflights and adds Access-Control-Allow-Origin to /api
 * answers, and opens the events socket upstream with the subprotocol's token
 * as an Authorization header, answering the browser with subprotocol
 * `jobdeck`. What the shim does is what the server needs (see the README).
 */
import { createServer as createHttpServer, request, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';

export interface Gateway {
  url: string;
  mode: 'pass' | 'shim';
  /** Paths (with query) of the WebSocket upgrades seen: a token must never be in one. */
  upgrades: string[];
  /** Live sockets open now. */
  sockets(): number;
  /** Cuts every live connection at once (the browser sees an abnormal close). */
  drop(): number;
  close(): Promise<void>;
}

const BEARER = /^jobdeck\.bearer\.(.+)$/;

/** Does the server let a page of `origin` in by itself (CORS preflight and subprotocol token)? */
export async function serverAllowsOrigin(target: string, origin: string, token: string): Promise<boolean> {
  const preflight = await fetch(`${target}/api/runs`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  }).catch(() => null);
  const allowed = preflight?.headers.get('access-control-allow-origin');
  if (!preflight?.ok || (allowed !== '*' && allowed !== origin)) return false;
  return new Promise((resolve) => {
    const ws = new WebSocket(`${target.replace(/^http/, 'ws')}/api/events`, ['jobdeck', `jobdeck.bearer.${token}`], { headers: { origin } });
    ws.on('open', () => {
      resolve(ws.protocol === 'jobdeck');
      ws.close();
    });
    ws.on('error', () => resolve(false));
    ws.on('unexpected-response', () => resolve(false));
  });
}

export async function startGateway(target: string, mode: 'pass' | 'shim'): Promise<Gateway> {
  const up = new URL(target);
  const upgrades: string[] = [];
  const live = new Set<{ kill: () => void }>();
  /** Every connection (also plain requests kept alive), ended on close. */
  const all = new Set<{ kill: () => void }>();
  let server: Server | ReturnType<typeof createTcpServer>;

  if (mode === 'pass') {
    server = createTcpServer((client: Socket) => {
      const upstream = connect(Number(up.port), up.hostname);
      client.pipe(upstream).pipe(client);
      let upgraded = false;
      client.once('data', (chunk) => {
        const head = chunk.toString('latin1');
        if (/^GET [^\r\n]*\r\n/.test(head) && /\r\nupgrade: websocket/i.test(head)) {
          upgraded = true;
          upgrades.push(head.split(' ')[1]!);
        }
      });
      const entry = { kill: () => (client.destroy(), upstream.destroy()) };
      all.add(entry);
      // Only WebSocket connections count as live ones; plain requests come and go.
      setTimeout(() => {
        if (upgraded) live.add(entry);
      }, 0);
      const end = () => {
        live.delete(entry);
        all.delete(entry);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  } else {
    const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('jobdeck') ? 'jobdeck' : false) });
    const http = createHttpServer((req, res) => {
      const origin = req.headers.origin;
      const cors: Record<string, string> = origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {};
      if (req.method === 'OPTIONS') {
        res.writeHead(204, {
          ...cors,
          'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
          'access-control-allow-headers': 'authorization, content-type',
          'access-control-max-age': '600',
        });
        res.end();
        return;
      }
      const headers = { ...req.headers, host: up.host };
      delete headers.origin; // the server sees an API client, as it would with CORS support
      const proxied = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, ...cors });
        answer.pipe(res);
      });
      proxied.on('error', () => {
        if (!res.headersSent) res.writeHead(502, cors);
        res.end();
      });
      req.pipe(proxied);
    });
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgrades.push(req.url ?? '');
      const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      const token = offered.map((p) => BEARER.exec(p)?.[1]).find(Boolean);
      if (!token) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (client) => {
        const upstream = new WebSocket(`ws://${up.host}/api/events`, { headers: { authorization: `Bearer ${token}` } });
        const pending: string[] = [];
        const entry = {
          kill: () => {
            client.terminate();
            upstream.terminate();
          },
        };
        live.add(entry);
        client.on('message', (data) => (upstream.readyState === WebSocket.OPEN ? upstream.send(String(data)) : pending.push(String(data))));
        upstream.on('open', () => {
          for (const m of pending.splice(0)) upstream.send(m);
        });
        upstream.on('message', (data) => client.readyState === WebSocket.OPEN && client.send(String(data)));
        upstream.on('unexpected-response', () => client.close(4401, 'the server refused the token'));
        upstream.on('close', (code, reason) => {
          live.delete(entry);
          if (client.readyState === WebSocket.OPEN) client.close(code >= 4000 || code === 1000 || code === 1001 ? code : 1011, reason.toString());
        });
        upstream.on('error', () => undefined);
        client.on('close', () => {
          live.delete(entry);
          upstream.terminate();
        });
        client.on('error', () => undefined);
      });
    });
    server = http;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    mode,
    upgrades,
    sockets: () => live.size,
    drop() {
      const n = live.size;
      for (const s of [...live]) s.kill();
      live.clear();
      return n;
    },
    async close() {
      for (const s of [...live, ...all]) s.kill();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
