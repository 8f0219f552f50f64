/**
 * A loopback TCP proxy a test can cut: every connection through it is
 * dropped at once and new ones are refused until it is let through again,
 * as a flaky network does to a client.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';

const proxies: Server[] = [];
afterEach(() => {
  for (const p of proxies.splice(0)) p.close();
});

export interface TcpProxy {
  url: string;
  /** Connections made through the proxy so far. */
  connections(): number;
  /** Bytes the target has sent back through the proxy so far. */
  bytesDown(): number;
  /** Drops every open connection; new ones are refused until restore(). */
  cut(): void;
  restore(): void;
}

export async function tcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let count = 0;
  let down = 0;
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) return client.destroy();
    count += 1;
    const upstream = connect(Number(port), hostname);
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.on('data', (d: Buffer) => (down += d.length));
    client.pipe(upstream).pipe(client);
  });
  proxies.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => count,
    bytesDown: () => down,
    cut() {
      refusing = true;
      for (const s of open) s.destroy();
      open.clear();
    },
    restore() {
      refusing = false;
    },
  };
}
