/**
 * A throwaway PostgreSQL server of the test's own: `initdb` into a temp
 * folder (as the `postgres` user when the tests run as root, since the
 * server refuses to run as root), started on a free loopback port with its
 * socket in that folder, stopped and removed by `stop()`. The superuser
 * `postgres` signs in with a password over TCP (so wrong passwords can be
 * tried) and without one over the folder's socket.
 *
 * Debian's `postgresql` package provides the binaries (`.ci/run` installs
 * it); without them, PostgreSQL tests skip with a message, except under CI,
 * where a missing server is an error.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_PASSWORD = 'test-secret';

/** The folder of initdb/postgres: $JOBDECK_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin. */
export function postgresBin(): string | null {
  const fromEnv = process.env.JOBDECK_PG_BIN;
  if (fromEnv) return existsSync(join(fromEnv, 'initdb')) ? fromEnv : null;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

/** Why PostgreSQL tests cannot run here, or null when they can (under CI a missing server throws). */
export function postgresMissing(): string | null {
  if (postgresBin()) return null;
  const why = 'PostgreSQL is not installed (apt-get install postgresql, or set JOBDECK_PG_BIN to the folder of initdb)';
  if (process.env.CI) throw new Error(`${why}: CI must run the PostgreSQL tests`);
  return why;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface TestPostgres {
  port: number;
  /** postgres://postgres:PASSWORD@127.0.0.1:PORT/DB */
  url(database?: string): string;
  /** A fresh, empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  query<T extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

let databases = 0;

/** Starts a server; call stop() in afterAll. Takes 1-3 s. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error(postgresMissing() ?? 'PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'jobdeck-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // The server's files must belong to the user it runs as.
  const owner = asRoot ? Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()) : null;
  const group = asRoot ? Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) : null;
  if (owner !== null && group !== null) chownSync(dir, owner, group);
  chmodSync(dir, 0o700);
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  if (owner !== null && group !== null) chownSync(pwfile, owner, group);
  const as = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

  const [initCmd, initArgs] = as(join(bin, 'initdb'), [
    '-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256',
    '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions',
  ]);
  execFileSync(initCmd, initArgs, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });

  const port = await freePort();
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1',
    // A test server: nothing to keep after a crash, so no fsync.
    '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
  ]);
  const server: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir });
  let log = '';
  // JOBDECK_TEST_PG_LOG=FILE keeps the server's whole log (a deadlock's report names both statements).
  const keep = process.env.JOBDECK_TEST_PG_LOG;
  server.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
    if (keep) appendFileSync(keep, d);
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));

  const url = (database = 'postgres') => `postgres://postgres:${encodeURIComponent(PG_PASSWORD)}@127.0.0.1:${port}/${database}`;
  // Ready when a connection is accepted (bounded: 20 s).
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`postgres exited at start: ${log}`);
    const client = new pg.Client({ connectionString: url() });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const query = async <T extends pg.QueryResultRow>(database: string, sql: string, values?: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  return {
    port,
    url,
    query,
    async createDatabase(name = `t${process.pid}_${++databases}`) {
      await query('postgres', `CREATE DATABASE "${name}"`);
      return url(name);
    },
    async stop() {
      // Fast shutdown (open connections are ended), sent to the postmaster itself: runuser does not pass signals on.
      if (server.exitCode === null) {
        try {
          const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
          process.kill(pid, 'SIGINT');
        } catch {
          server.kill('SIGINT');
        }
      }
      // The deadline is cleared once the server is gone: a pending timer would keep the caller's process alive 10 s.
      let deadline: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (deadline = setTimeout(r, 10_000)))]);
      clearTimeout(deadline);
      if (server.exitCode === null) server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
