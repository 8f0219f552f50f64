/**
 * Who is calling: an API token from `Authorization: Bearer`, or the console's
 * session cookie (set by POST /api/session, HttpOnly, SameSite=Strict).
 * Repeated wrong tokens from one address are slowed down, then refused for a
 * while with 429.
 */
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import type { CallContext } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';

export const SESSION_COOKIE = 'jobdeck_session';

export interface AuthOptions {
  /** Wrong tokens from one address within the window before it is refused (429). Default 10. */
  maxFailures?: number;
  /** Window for counting failures, and the refusal period (ms). Default 60 s. */
  windowMs?: number;
  /** Delay added to each answer after the 3rd failure, doubling, at most 2 s. Default 100 ms. */
  failureDelayMs?: number;
}

interface Failures {
  count: number;
  since: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AuthGuard {
  private readonly failures = new Map<string, Failures>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly failureDelayMs: number;

  constructor(
    private readonly engine: Engine,
    options: AuthOptions = {},
  ) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.failureDelayMs = options.failureDelayMs ?? 100;
  }

  static tokenOf(req: FastifyRequest): string | null {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      return m ? m[1]! : '';
    }
    const cookie = req.cookies?.[SESSION_COOKIE];
    return cookie ?? null;
  }

  /** The caller of a request; throws UNAUTHORIZED (401) or RATE_LIMITED (429). */
  async identify(req: FastifyRequest): Promise<CallContext> {
    const token = AuthGuard.tokenOf(req);
    if (token === null) {
      this.refuseIfLimited(req.ip);
      throw new JobdeckError('UNAUTHORIZED', 'sign in: send an API token as "Authorization: Bearer TOKEN"');
    }
    return this.verify(req.ip, token);
  }

  /**
   * Checks a token given by a client at `ip`. Only failures count against the
   * address: a valid token always gets through, so an attacker guessing
   * tokens from one address (or from behind the same proxy) cannot lock the
   * real users out.
   */
  async verify(ip: string, token: string): Promise<CallContext> {
    const now = Date.now();
    const user = token ? this.engine.services.users.authenticate(token) : null;
    if (user) return user;
    this.refuseIfLimited(ip);
    if (this.failures.size > 10_000) {
      for (const [key, rec] of this.failures) if (now - rec.since > this.windowMs) this.failures.delete(key);
    }
    const f = this.failures.get(ip) ?? { count: 0, since: now };
    f.count += 1;
    this.failures.set(ip, f);
    if (f.count > 3) await sleep(Math.min(this.failureDelayMs * 2 ** (f.count - 4), 2000));
    throw new JobdeckError('UNAUTHORIZED', 'the token is not valid (wrong, revoked, or its user was removed)');
  }

  private refuseIfLimited(ip: string): void {
    const now = Date.now();
    const record = this.failures.get(ip);
    if (!record) return;
    if (now - record.since > this.windowMs) {
      this.failures.delete(ip);
      return;
    }
    if (record.count >= this.maxFailures) {
      const retry = Math.max(1, Math.ceil((record.since + this.windowMs - now) / 1000));
      const err = new JobdeckError('RATE_LIMITED', `too many wrong tokens from ${ip}; try again in ${retry} s`);
      (err as JobdeckError & { retryAfter?: number }).retryAfter = retry;
      throw err;
    }
  }
}
