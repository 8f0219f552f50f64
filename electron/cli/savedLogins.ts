/**
 * Saved logins of the remote CLI (`jobdeck login URL`): a token per server,
 * in the OS keychain where one answers (keychain.ts), otherwise in a file
 * only the user can read (0600, in a folder only the user can enter). The
 * file lists the servers either way; a token is never printed.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { systemKeychain, type Keychain } from './keychain';

interface Entry {
  /** In the file when no keychain holds it. */
  token?: string;
  /** The keychain holding the token. */
  keychain?: string;
  user: string;
  savedAt: string;
}

interface Saved {
  servers: Record<string, Entry>;
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

export function savedToken(url: string, env: NodeJS.ProcessEnv = process.env, keychain: () => Keychain | null = () => systemKeychain(env)): string | null {
  const entry = read(loginsFile(env)).servers[url];
  if (!entry) return null;
  if (entry.token) return entry.token;
  return entry.keychain ? (keychain()?.get(url) ?? null) : null;
}

/** Saves a token; resolves to where it went (a keychain's name, or the file). */
export function saveLogin(url: string, token: string, user: string, env: NodeJS.ProcessEnv = process.env): string {
  const file = loginsFile(env);
  const saved = read(file);
  const keychain = systemKeychain(env);
  const savedAt = new Date().toISOString();
  if (keychain) {
    keychain.set(url, token);
    saved.servers[url] = { keychain: keychain.name, user, savedAt };
  } else saved.servers[url] = { token, user, savedAt };
  write(file, saved);
  return keychain ? keychain.name : `${file} (readable only by you)`;
}

export function forgetLogin(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = loginsFile(env);
  const saved = read(file);
  const entry = saved.servers[url];
  if (!entry) return false;
  if (entry.keychain) systemKeychain(env)?.delete(url);
  delete saved.servers[url];
  write(file, saved);
  return true;
}

export function savedServers(env: NodeJS.ProcessEnv = process.env): { url: string; user: string; savedAt: string; where: string }[] {
  return Object.entries(read(loginsFile(env)).servers).map(([url, s]) => ({ url, user: s.user, savedAt: s.savedAt, where: s.keychain ?? 'file' }));
}
