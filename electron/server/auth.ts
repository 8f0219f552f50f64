/**
 * Who is calling: an API token from `Authorization: Bearer`, or the console's
 * session cookie (a random session id set by POST /api/session; HttpOnly,
 * SameSite=Strict; never the token itself). A cookie travels with any request
 * the browser makes to this host, even from a page on another port, so
 * cookie-authenticated writes and WebSocket upgrades must come from this
 * origin. Wrong tokens from one address are slowed down, then refused for a
 * while with 429; valid ones always get through.
 */
import { fromThisOrigin, subprotocolToken } from './crossOrigin';
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { JobdeckError } from '../../shared/errors';
import type { Engine } from '../engine/engine';
import type { AuthenticatedCaller } from '../engine/services/usersService';
import { NODE_AUTH_SCHEME } from '../engine/nodeFiles';
import { contract } from '../../shared/contract';

/** The one route another node's credential opens: a result file (see engine/nodeFiles.ts). */
const NODE_ROUTE = contract['runs.download'].http.path;
const NODE_CREDENTIAL = new RegExp(`^${NODE_AUTH_SCHEME}\\s+(\\S+)\\s*$`);

export const SESSION_COOKIE = 'jobdeck_session';

export interface AuthOptions {
  /** Wrong tokens from one address within the window before it is refused (429). Default 10. */
  maxFailures?: number;
  /** Window for counting failures, and the refusal period (ms). Default 60 s. */
  windowMs?: number;
  /** Delay added to each answer after the 3rd failure, doubling, at most 2 s. Default 100 ms. */
  failureDelayMs?: number;
  /** How long a console session lasts (ms). Default 12 h. */
  sessionMs?: number;
}

/** A signed-in caller and the secret they signed in with (kept to check it again later). */
export interface Identity extends AuthenticatedCaller {
  secret: string;
}

interface Failures {
  count: number;
  since: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AuthGuard {
  private readonly failures = new Map<string, Failures>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly failureDelayMs: number;
  readonly sessionMs: number;

  constructor(
    private readonly engine: Engine,
    options: AuthOptions = {},
  ) {
    this.maxFailures = options.maxFailures ?? 10;
    this.windowMs = options.windowMs ?? 60_000;
    this.failureDelayMs = options.failureDelayMs ?? 100;
    this.sessionMs = options.sessionMs ?? 12 * 3600_000;
  }

  /** The bearer token of a request ('' for a malformed header), or null without one. */
  static bearerOf(req: FastifyRequest): string | null {
    const header = req.headers.authorization;
    if (header === undefined) return null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1]! : '';
  }

  /** The caller of a request; throws UNAUTHORIZED (401), FORBIDDEN (403, a cross-site write) or RATE_LIMITED (429). */
  async identify(req: FastifyRequest): Promise<Identity> {
    const node = NODE_CREDENTIAL.exec(req.headers.authorization ?? '');
    if (node) return this.verifyNode(req, node[1]!);
    const bearer = AuthGuard.bearerOf(req) ?? subprotocolToken(req);
    if (bearer !== null) return this.verify(req.ip, bearer);
    const session = req.cookies?.[SESSION_COOKIE];
    if (session) {
      if (!SAFE_METHODS.has(req.method) || req.headers.upgrade) this.requireSameOrigin(req);
      const caller = await this.engine.services.users.authenticateSession(session);
      if (caller) return { ...caller, secret: session };
      throw new JobdeckError('UNAUTHORIZED', 'the console session has ended (signed out, expired, or its token was revoked); sign in again');
    }
    this.refuseIfLimited(req.ip);
    throw new JobdeckError('UNAUTHORIZED', 'sign in: send an API token as "Authorization: Bearer TOKEN"');
  }

  private requireSameOrigin(req: FastifyRequest): void {
    if (fromThisOrigin(req)) return;
    throw new JobdeckError(
      'FORBIDDEN',
      `cross-site request refused: a request signed in with the console's cookie must come from a page of ${req.host}; API clients send "Authorization: Bearer TOKEN"`,
    );
  }

  /**
   * Checks a token given by a client at `ip`. Only failures count against the
   * address: a valid token always gets through, so an attacker guessing
   * tokens from one address (or from behind the same proxy) cannot lock the
   * real users out.
   */
  async verify(ip: string, token: string): Promise<Identity> {
    const caller = token ? await this.engine.services.users.authenticate(token) : null;
    if (caller) return { ...caller, secret: token };
    this.refuseIfLimited(ip);
    const count = this.countFailure(ip);
    if (count > 3) await sleep(Math.min(this.failureDelayMs * 2 ** (count - 4), 2000));
    throw new JobdeckError('UNAUTHORIZED', 'the token is not valid (wrong, expired, revoked, or its user was removed)');
  }

  /** Another node of a shared database fetching a result file this node keeps. Failures count as wrong tokens do. */
  private async verifyNode(req: FastifyRequest, credential: string): Promise<Identity> {
    try {
      if (req.routeOptions.url !== NODE_ROUTE || req.method !== 'GET') {
        throw new JobdeckError('UNAUTHORIZED', `node credentials open result files only (GET ${NODE_ROUTE})`);
      }
      const from = await this.engine.services.nodes.authenticateNode(credential, req.method, req.url);
      return { actor: `node ${from}`, role: 'admin', expiresAt: null, tokenId: '', via: 'node', secret: credential };
    } catch (err) {
      this.refuseIfLimited(req.ip);
      this.countFailure(req.ip);
      throw err;
    }
  }

  /** Is an identity still good (its token not revoked or expired, its session not ended, its user still there)? */
  async stillValid(identity: Identity): Promise<boolean> {
    const users = this.engine.services.users;
    const again = identity.via === 'token' ? await users.authenticate(identity.secret) : await users.authenticateSession(identity.secret);
    return again !== null && again.role === identity.role;
  }

  /** Counts a failure against an address; returns its count in the window. */
  private countFailure(ip: string): number {
    const now = Date.now();
    if (this.failures.size > 10_000) {
      for (const [key, rec] of this.failures) if (now - rec.since > this.windowMs) this.failures.delete(key);
    }
    const f = this.failures.get(ip) ?? { count: 0, since: now };
    f.count += 1;
    this.failures.set(ip, f);
    return f.count;
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
