/** Shared plumbing of CLI commands: the data folder, the engine, the caller, errors. */
import { userInfo } from 'node:os';
import type { JobdeckClient } from '../../shared/client/client';
import type { CallContext } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { Job } from '../../shared/model/job';
import { Engine, type EngineOptions } from '../engine/engine';
import { createLocalClient } from '../engine/localClient';
import { savedToken } from './savedLogins';
import type WebSocketClass from 'ws';
import { lazyPackage } from '../engine/lazyPackage';
import { createHttpClient, type SocketLike } from '../../shared/client/httpClient';
import { resolveDataDir } from '../engine/paths';
import { parseDatabaseUrl } from '../engine/store/postgres/pgDatabase';
import { LOG_LEVELS, streamLogger, type Logger, type LogLevel } from '../engine/logger';

/** The WebSocket client, loaded only by commands that talk to a server. */
const ws = lazyPackage<typeof WebSocketClass>('ws');

/** Where the CLI logs the engine's warnings and errors: standard error, level from JOBDECK_LOG_LEVEL (default warn). */
export function cliLogger(prefix = 'jobdeck'): Logger {
  const level = process.env.JOBDECK_LOG_LEVEL as LogLevel | undefined;
  return streamLogger(level && (LOG_LEVELS as readonly string[]).includes(level) ? level : 'warn', process.stderr, prefix);
}

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {}

export function localActor(): string {
  try {
    return userInfo().username || process.env.USER || 'local';
  } catch {
    return process.env.USER || process.env.USERNAME || 'local';
  }
}

/** The CLI acts as the local user, with full rights over its own data folder. */
export const localContext = (): CallContext => ({ actor: localActor(), role: 'superadmin' });

export interface GlobalOptions {
  dataDir?: string;
  /** A jobdeck serve to work against instead of a data folder. */
  server?: string;
  token?: string;
  /** A PostgreSQL URL: the store is that database instead of the folder's SQLite file. */
  database?: string;
}

/** The PostgreSQL store asked for (--database, else JOBDECK_DATABASE_URL), or undefined for the folder's SQLite file. */
export function databaseOf(opts: GlobalOptions): string | undefined {
  const fromFlag = opts.database !== undefined;
  const url = (opts.database ?? process.env.JOBDECK_DATABASE_URL ?? '').trim();
  if (!url) return undefined;
  const option = fromFlag ? '--database' : 'JOBDECK_DATABASE_URL';
  try {
    return parseDatabaseUrl(url, option);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The server the CLI talks to (--server, else JOBDECK_SERVER), or null for a local data folder. */
export function serverOf(opts: GlobalOptions): { url: string; token: string } | null {
  const url = (opts.server ?? process.env.JOBDECK_SERVER ?? '').trim();
  if (!url) return null;
  if (opts.dataDir) throw new UsageError('give --data-dir or --server, not both');
  if (opts.database) throw new UsageError('give --database or --server, not both');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--server: "${url}" is not a URL such as https://jobs.example.com`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`--server: "${url}" is not an http:// or https:// URL`);
  const base = parsed.origin + parsed.pathname.replace(/\/+$/, '');
  const token = (opts.token ?? process.env.JOBDECK_TOKEN ?? '').trim() || savedToken(base);
  if (!token) {
    throw new UsageError(`--server needs an API token: --token TOKEN, JOBDECK_TOKEN, or jobdeck login ${base} (jobdeck users add NAME --role admin on the server prints one)`);
  }
  return { url: base, token };
}

export function dataDirOf(opts: GlobalOptions): string {
  return resolveDataDir(opts.dataDir);
}

/**
 * Opens the data folder without taking its scheduler (a `serve` may own
 * it), or, with --server, a client of that server (engine: null). Errors
 * from a server say which one.
 */
export async function withEngine<T>(
  opts: GlobalOptions,
  fn: (client: JobdeckClient, engine: Engine | null) => Promise<T>,
  extra: Partial<EngineOptions> = {},
): Promise<T> {
  const server = serverOf(opts);
  if (server) {
    const client = createHttpClient({
      baseUrl: server.url,
      token: server.token,
      openSocket: (url) => new (ws())(url, { headers: { authorization: `Bearer ${server.token}` } }) as unknown as SocketLike,
    });
    try {
      return await fn(client, null);
    } catch (err) {
      // Said with the server's name (describeError puts it first).
      if (err instanceof JobdeckError) (err as JobdeckError & { server?: string }).server = server.url;
      throw err;
    } finally {
      client.close?.();
    }
  }
  const engine = await Engine.connect({
    dataDir: dataDirOf(opts),
    database: databaseOf(opts),
    scheduler: false,
    // Runs start from this process, with a watchdog that stops them if it is killed (even with
    // kill -9); a launcher (a second Node start) where there is no POSIX shell (Windows).
    spawner: 'guarded',
    // One run at a time in the foreground: a second launcher would only cost start-up time.
    launchers: 1,
    hostKind: 'jobdeck cli',
    logger: cliLogger(),
    ...extra,
  });
  try {
    return await fn(createLocalClient(engine, localContext()), engine);
  } finally {
    await engine.close(extra.killGraceMs ?? 5000);
  }
}

/** A job by numeric id or by name (names compare without case). */
export async function findJob(client: JobdeckClient, ref: string): Promise<Job> {
  if (/^\d+$/.test(ref)) return client.call('jobs.get', { id: Number(ref) });
  try {
    return await client.call('jobs.find', { name: ref });
  } catch (err) {
    if (err instanceof JobdeckError && err.code === 'VALIDATION_FAILED') throw new JobdeckError('NOT_FOUND', `no job named "${ref}"`, 'job');
    throw err;
  }
}

/** Option names for contract fields, so errors speak the CLI's language. */
const FIELD_OPTIONS: Record<string, string> = {
  'schedule.seconds': '--interval',
  'schedule.expression': '--cron',
  'schedule.timezone': '--tz',
  timeoutSeconds: '--timeout',
  'retries.count': '--retries',
  'retries.delaySeconds': '--retry-delay',
  lock: '--lock',
  retention: '--retention',
  runtime: '--runtime',
  name: '--name',
  group: '--group',
  user: '--user',
  description: '--description',
  script: '--script',
};

export function describeError(err: unknown): string {
  if (err instanceof JobdeckError) {
    const server = (err as JobdeckError & { server?: string }).server;
    const at = server && !err.message.includes(server) ? `${server}: ` : '';
    const field = err.field?.replace(/^changes\./, '');
    const option = field ? FIELD_OPTIONS[field] : undefined;
    if (option && field) return `${at}${option}: ${err.message.replace(new RegExp(`^(changes\\.)?${field.replace(/\./g, '\\.')}: `), '')}`;
    return `${at}${err.message}`;
  }
  if (err instanceof UsageError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

export const print = (text: string): void => {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
};

export const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

export function parseIntOption(name: string, text: string, min = 0): number {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${text}"`);
  }
  return n;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
