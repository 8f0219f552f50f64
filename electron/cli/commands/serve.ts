/** `jobdeck serve`: the engine with its scheduler, over HTTP and WebSocket. */
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { Engine } from '../../engine/engine';
import { pinoAdapter } from '../../engine/logger';
import { collect, dataDirOf, databaseOf, parseIntOption, UsageError, type GlobalOptions } from '../context';
import { serviceNotifier } from '../service/notifySocket';
import { SignInLinks } from '../../engine/services/signInLinks';
import { redactUrl } from '../../engine/store/postgres/pgDatabase';
import { certificateFingerprint, nodeUrl } from '../nodeAddress';
import { lazyPackage } from '../../engine/lazyPackage';

const loadPino = lazyPackage<typeof import('pino')>('pino');

interface ServeOptions {
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  insecure?: boolean;
  trustProxy?: boolean;
  grace: string;
  concurrency?: string;
  launchers?: string;
  allowOrigin?: string[];
  nodeLease: string;
  nodeUrl?: string;
  logLevel: string;
}

/** The exit code of a requested restart (EX_TEMPFAIL): the service manager starts serve again. */
const EXIT_RESTART = 75;

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

function readPem(option: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** --allow-origin values and JOBDECK_ALLOWED_ORIGINS, each an origin (scheme://host[:port]) or '*'. */
function allowedOrigins(flags: string[] | undefined, env: string | undefined): string[] {
  const list = [...(flags ?? []), ...(env ?? '').split(',')].map((o) => o.trim()).filter(Boolean);
  for (const origin of list) {
    if (origin === '*') continue;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new UsageError(`--allow-origin: "${origin}" is not an origin such as https://app.example.com`);
    }
    if (parsed.origin !== origin) throw new UsageError(`--allow-origin: give the origin only (${parsed.origin}), not "${origin}"`);
  }
  return list;
}

export function registerServe(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('run the engine with its scheduler and serve it over HTTP (API, live events, web console)')
    .option('--host <host>', 'address to listen on (loopback unless TLS or --insecure)', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '7070')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key of the certificate (PEM)')
    .option('--insecure', 'allow plain HTTP on a non-loopback address (tokens travel in clear text)')
    .option('--trust-proxy', 'behind a reverse proxy: take client addresses and host from X-Forwarded-For / X-Forwarded-Host')
    .option('--grace <seconds>', 'on shutdown, how long running runs may finish before they are cancelled', '30')
    .option('--concurrency <runs>', 'most runs at once (default 2 x CPU count)')
    .option('--launchers <n>', 'launcher processes that start runs side by side (default: the number of cores)')
    .option('--allow-origin <origin>', 'let pages of this origin (an app embedding jobdeck/react) call the API with a token; repeatable, "*" for any (also JOBDECK_ALLOWED_ORIGINS, comma-separated)', collect)
    .option('--node-lease <seconds>', 'on a shared database: a node silent this long is declared lost by the others, its runs failed "node lost" (heartbeats go every third of it)', '30')
    .option('--node-url <url>', "on a shared database: the URL other nodes reach this one at, to fetch its runs' result files (default: the address it listens at, a wildcard host replaced by this machine's name)")
    .addOption(new Option('--log-level <level>', 'request log level').choices(['info', 'warn', 'error', 'silent']).default('info'))
    .action(async (o: ServeOptions) => {
      const port = parseIntOption('--port', o.port);
      if (port > 65535) throw new UsageError('--port must be at most 65535');
      const grace = parseIntOption('--grace', o.grace);
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UsageError('give both --tls-cert and --tls-key');
      const tls = o.tlsCert && o.tlsKey ? { cert: readPem('--tls-cert', o.tlsCert), key: readPem('--tls-key', o.tlsKey) } : undefined;
      if (!isLoopback(o.host) && !tls && !o.insecure) {
        throw new UsageError(
          `refusing to serve plain HTTP on ${o.host}: API tokens would cross the network in clear text. ` +
            'Give --tls-cert and --tls-key, or --insecure to do it anyway.',
        );
      }
      if (!isLoopback(o.host) && !tls) {
        process.stderr.write(`WARNING: serving plain HTTP on ${o.host} (--insecure): tokens and job output travel unencrypted.\n`);
      }
      const certSha256 = tls ? certificateFingerprint(tls.cert) : null;
      if (o.nodeUrl !== undefined) nodeUrl(`http://${o.host}:${port}`, o.nodeUrl, Boolean(tls)); // refused before anything starts
      const dataDir = dataDirOf(globals());
      const database = databaseOf(globals());
      // What this node serves, in words (a database's password never shown).
      const serving = database ? `the PostgreSQL database ${redactUrl(database)} (this node's run folders in ${dataDir})` : dataDir;
      const storeFlag = database ? '--database URL' : `--data-dir ${JSON.stringify(dataDir)}`;
      // Loaded here, not when the CLI starts: only serve needs the HTTP server (a third of the CLI's start-up otherwise).
      // pino through require: the CLI bundle is compiled from a code cache, which import() does not survive (cliLoader.ts).
      const [{ default: pino }, { startServer }] = [loadPino(), await import('../../server/server')];
      // One logger for the engine and the request log: JSON lines on standard output.
      const log = pino({ level: o.logLevel });
      // Under a service manager that restarts it (the units jobdeck service writes say so), a restart request stops the process.
      let restartRequested: (() => void) | null = null;
      const supervised = process.env.JOBDECK_SUPERVISED === '1';
      const engine = await Engine.connect({
        ...(supervised ? { restartProcess: () => restartRequested?.() } : {}),
        dataDir,
        database,
        hostKind: 'jobdeck serve',
        // Nothing fires until the server listens: one that cannot bind its port must not run catch-up runs.
        startScheduler: false,
        concurrency: o.concurrency ? parseIntOption('--concurrency', o.concurrency, 1) : undefined,
        launchers: o.launchers ? parseIntOption('--launchers', o.launchers, 1) : undefined,
        nodeLeaseMs: parseIntOption('--node-lease', o.nodeLease, 1) * 1000,
        logger: pinoAdapter(log),
      });
      let server;
      try {
        server = await startServer({
          engine,
          host: o.host,
          port,
          tls,
          loggerInstance: log,
          trustProxy: o.trustProxy ?? false,
          allowedOrigins: allowedOrigins(o.allowOrigin, process.env.JOBDECK_ALLOWED_ORIGINS),
        });
      } catch (err) {
        await engine.close(0);
        throw new UsageError(`cannot listen on ${o.host}:${port}: ${(err as Error).message}`);
      }
      await engine.startScheduling(nodeUrl(server.url, o.nodeUrl, Boolean(tls)), certSha256);
      // Under a service manager: ready only now (listening, recovery done), then heartbeats.
      const notifier = serviceNotifier(process.env, (m) => process.stderr.write(`WARNING: ${m}\n`));
      const jobs = (await engine.services.jobs.list({ limit: 1 })).total;
      await notifier.send({ READY: '1', STATUS: `Serving ${serving} at ${server.url} (${jobs} job${jobs === 1 ? '' : 's'})` });
      const stopWatchdog = notifier.watchdog(() => {
        // The event loop answers (this runs) and the engine is open.
        return !engine.isClosed;
      });
      // First start on an empty folder: a superadmin and a link that signs the browser in once.
      const first = await new SignInLinks(engine.data, engine.services.users).firstStart();
      const noUsers = first
        ? `First start: created the superadmin "${first.user}". Open this link to sign in (it works once, until ${first.expiresAt}):\n` +
          `  ${server.url}/#signin=${first.secret}\n` +
          `API tokens for the CLI and scripts: jobdeck tokens create ${first.user} ${storeFlag}\n`
        : '';
      process.stderr.write(
        `${noUsers}Jobdeck is serving ${serving}\n  console  ${server.url}/\n  API      ${server.url}/api (OpenAPI: ${server.url}/api/openapi.json)\n`,
      );
      await new Promise<void>((resolve) => {
        let signals = 0;
        const stop = (signal: string) => {
          signals += 1;
          if (signals > 1) {
            process.stderr.write('Second signal: cancelling running runs now.\n');
            void engine.close(0).then(resolve);
            return;
          }
          stopWatchdog();
          const running = engine.services.scheduler.running;
          void notifier.send({ STOPPING: '1', STATUS: `Stopping: ${running} run${running === 1 ? '' : 's'} in flight` });
          process.stderr.write(
            `${signal}: stopped firing; ${running ? `waiting up to ${grace} s for ${running} running run${running > 1 ? 's' : ''}` : 'no runs in flight'}…\n`,
          );
          void server.close(grace * 1000).then(() => {
            process.stderr.write('Jobdeck stopped.\n');
            resolve();
          });
        };
        process.on('SIGINT', () => stop('SIGINT'));
        process.on('SIGTERM', () => stop('SIGTERM'));
        restartRequested = () => {
          // A non-zero exit: Restart=on-failure, KeepAlive and WinSW's onfailure start it again.
          process.exitCode = EXIT_RESTART;
          stop('Restart requested');
        };
      });
    });
}
