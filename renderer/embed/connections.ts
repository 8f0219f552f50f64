/**
 * One live connection per server and token, shared by every component of
 * the page that shows a job of that server (a server allows a token only a
 * few sockets). Released connections linger a moment, so a component that
 * remounts (React's strict mode, a route change) does not reconnect.
 */
import { tokenRefusal } from './api';
import { EmbedSocket } from './socket';
import type { JobdeckServer } from './types';

const LINGER_MS = 2000;

interface Entry {
  socket: EmbedSocket;
  users: number;
  closeTimer: ReturnType<typeof setTimeout> | null;
}

const entries = new Map<string, Entry>();
const keyOf = (server: JobdeckServer) => `${server.url.replace(/\/+$/, '')}\n${server.token}`;

/** The server's shared connection; call the returned release function when done with it. */
export function acquireSocket(server: JobdeckServer): { socket: EmbedSocket; release: () => void } {
  const key = keyOf(server);
  let entry = entries.get(key);
  if (!entry) {
    const url = server.url.replace(/\/+$/, '');
    const socket = new EmbedSocket(url, server.token, { whyRefused: () => tokenRefusal({ url, token: server.token }) });
    entry = { socket, users: 0, closeTimer: null };
    entries.set(key, entry);
  }
  const e = entry;
  if (e.closeTimer) clearTimeout(e.closeTimer);
  e.closeTimer = null;
  e.users += 1;
  let released = false;
  return {
    socket: e.socket,
    release: () => {
      if (released) return;
      released = true;
      e.users -= 1;
      if (e.users > 0) return;
      e.closeTimer = setTimeout(() => {
        if (e.users > 0) return;
        entries.delete(key);
        e.socket.close();
      }, LINGER_MS);
    },
  };
}

/** Every connection of the page, for tests and for a host that wants to drop them (signing out). */
export function openSockets(): EmbedSocket[] {
  return [...entries.values()].map((e) => e.socket);
}
