/**
 * Saved logins of the remote CLI (`jobdeck login URL`): a token per server,
 * in a file only the user can read (0600, in a folder only the user can
 * enter). It is never printed. On this platform no OS keychain is used.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface Saved {
  servers: Record<string, { token: string; user: string; savedAt: string }>;
}

export function loginsFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'jobdeck', 'logins.json');
}

function read(file: string): Saved {
  if (!existsSync(file)) return { servers: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Saved;
    return parsed && typeof parsed.servers === 'object' && parsed.servers ? parsed : { servers: {} };
  } catch {
    throw new Error(`${file} is not readable JSON: remove it and log in again`);
  }
}

function write(file: string, saved: Saved): void {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // Written whole, then renamed into place: never a half-written file.
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

export function savedToken(url: string, env: NodeJS.ProcessEnv = process.env): string | null {
  return read(loginsFile(env)).servers[url]?.token ?? null;
}

export function saveLogin(url: string, token: string, user: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = loginsFile(env);
  const saved = read(file);
  saved.servers[url] = { token, user, savedAt: new Date().toISOString() };
  write(file, saved);
  return file;
}

export function forgetLogin(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = loginsFile(env);
  const saved = read(file);
  if (!saved.servers[url]) return false;
  delete saved.servers[url];
  write(file, saved);
  return true;
}

export function savedServers(env: NodeJS.ProcessEnv = process.env): { url: string; user: string; savedAt: string }[] {
  return Object.entries(read(loginsFile(env)).servers).map(([url, s]) => ({ url, user: s.user, savedAt: s.savedAt }));
}
