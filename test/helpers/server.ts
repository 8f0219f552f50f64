import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { createHttpClient, type SocketLike } from '../../shared/client/httpClient';
import type { JobdeckClient } from '../../shared/client/client';
import type { Role } from '../../shared/model/misc';
import { Engine, type EngineOptions } from '../../electron/engine/engine';
import { startServer, type RunningServer, type ServerOptions } from '../../electron/server/server';
import { failOnEngineErrors, recordEngineError } from './engine';
import { tempDir } from './temp';

export interface TestServer {
  server: RunningServer;
  engine: Engine;
  url: string;
  dataDir: string;
  tokens: Record<Role, string>;
  /** A contract client over HTTP + WebSocket with a role's token. */
  client(role?: Role, options?: { reconnectMinMs?: number }): JobdeckClient;
  fetch(path: string, init?: RequestInit & { role?: Role | null }): Promise<Response>;
}

const running: RunningServer[] = [];

/** Opens a socket with a bearer token, as a Node client of the events API does. */
export const nodeSocket = (token: string) => (url: string) =>
  new WebSocket(url, { headers: { authorization: `Bearer ${token}` } }) as unknown as SocketLike;

export async function startTestServer(
  options: { engine?: Partial<EngineOptions>; server?: Partial<ServerOptions> } = {},
): Promise<TestServer> {
  const dataDir = options.engine?.dataDir ?? tempDir();
  const engine = Engine.open({ dataDir, killGraceMs: 500, closeGraceMs: 300, onError: recordEngineError(dataDir), ...options.engine });
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'admin', 'superadmin'] as const) {
    const { token } = await engine.handlers['users.add']({ name: `${role}-user`, role }, { actor: 'setup', role: 'superadmin' });
    tokens[role] = token;
  }
  const server = await startServer({ engine, port: 0, rendererDir: null, ...options.server });
  running.push(server);
  return {
    server,
    engine,
    url: server.url,
    dataDir,
    tokens,
    client(role = 'superadmin', o = {}) {
      return createHttpClient({ baseUrl: server.url, token: tokens[role], openSocket: nodeSocket(tokens[role]), ...o });
    },
    fetch(path, init = {}) {
      const { role = 'superadmin', headers, ...rest } = init;
      return fetch(`${server.url}${path}`, {
        ...rest,
        headers: { ...(role ? { authorization: `Bearer ${tokens[role]}` } : {}), ...(headers as Record<string, string>) },
      });
    },
  };
}

afterEach(async () => {
  for (const server of running.splice(0)) await server.close(0);
  failOnEngineErrors();
});

/** The JSON body of a response, loosely typed for assertions. */
export const body = async (res: Response): Promise<any> => res.json();
