/**
 * A loopback TCP door in front of `jobdeck serve` for the embed test: bytes
 * pass as they are (the server itself lets the host page's origin in, with
 * `--allow-origin`), and a switch cuts every live WebSocket connection at
 * once, as a network drop would, to prove the component reconnects.
 */
import { createServer, connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';

export interface Door {
  url: string;
  /** Request lines (`/api/events…`) of the WebSocket upgrades seen: a token must never be in one. */
  upgrades: string[];
  /** WebSocket connections open now. */
  sockets(): number;
  /** Cuts every WebSocket connection at once (the browser sees an abnormal close); returns how many. */
  drop(): number;
  close(): Promise<void>;
}

/** Does the server let a page of `origin` in by itself: a CORS preflight, and the token as the events socket's subprotocol? */
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

export async function startDoor(target: string): Promise<Door> {
  const up = new URL(target);
  const upgrades: string[] = [];
  const live = new Set<() => void>();
  const all = new Set<() => void>();
  const server = createServer((client: Socket) => {
    const upstream = connect(Number(up.port), up.hostname);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    all.add(kill);
    client.once('data', (chunk) => {
      const head = chunk.toString('latin1');
      if (/^GET [^\r\n]*\r\n/.test(head) && /\r\nupgrade: websocket/i.test(head)) {
        upgrades.push(head.split(' ')[1]!);
        live.add(kill);
      }
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      live.delete(kill);
      all.delete(kill);
      kill();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    upgrades,
    sockets: () => live.size,
    drop() {
      const n = live.size;
      for (const kill of [...live]) kill();
      live.clear();
      return n;
    },
    async close() {
      for (const kill of [...all]) kill();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
