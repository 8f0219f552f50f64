/**
 * The one logger of engine, server and CLI: levels, and an error's stack
 * kept with its message. `jobdeck serve` logs JSON through pino (the same
 * instance Fastify writes request logs with); the CLI and the desktop app
 * write plain lines to standard error.
 */
import type { Logger as PinoLogger } from 'pino';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Logger {
  error(message: string, err?: unknown): void;
  warn(message: string, err?: unknown): void;
  info(message: string): void;
  debug(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** An error's message with its stack (and its cause's), for a log line. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const stack = err.stack ?? `${err.name}: ${err.message}`;
    const cause = err.cause !== undefined ? `\ncaused by: ${describeError(err.cause)}` : '';
    return stack + cause;
  }
  return String(err);
}

/** Plain lines on a stream: "jobdeck: error: message" and the stack below it. */
export function streamLogger(level: LogLevel = 'warn', out: NodeJS.WritableStream = process.stderr, prefix = 'jobdeck'): Logger {
  const at = RANK[level];
  const write = (lvl: LogLevel, message: string, err?: unknown) => {
    if (RANK[lvl] < at) return;
    const detail = err === undefined ? '' : `\n${describeError(err)}`;
    out.write(`${prefix}: ${lvl}: ${message}${detail}\n`);
  };
  return {
    error: (m, e) => write('error', m, e),
    warn: (m, e) => write('warn', m, e),
    info: (m) => write('info', m),
    debug: (m) => write('debug', m),
  };
}

/** The engine's logger over a pino instance (errors go in pino's `err` field, stack included). */
export function pinoAdapter(pino: PinoLogger): Logger {
  return {
    error: (m, e) => (e === undefined ? pino.error(m) : pino.error({ err: e }, m)),
    warn: (m, e) => (e === undefined ? pino.warn(m) : pino.warn({ err: e }, m)),
    info: (m) => pino.info(m),
    debug: (m) => pino.debug(m),
  };
}

export const silentLogger: Logger = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {} };
