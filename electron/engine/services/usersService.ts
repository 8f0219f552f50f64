/** Users, roles and API tokens. */
import type { CallContext } from '../../../shared/contract';
import { JobdeckError } from '../../../shared/errors';
import type { Role, User } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { Store } from '../store/store';
import type { Credential } from '../store/usersStore';

/** A caller signed in with a token or a console session. */
export interface AuthenticatedCaller extends CallContext {
  tokenId: string;
  via: 'token' | 'session';
}

function toCaller(c: Credential | undefined, via: AuthenticatedCaller['via']): AuthenticatedCaller | null {
  return c ? { actor: c.name, role: c.role, expiresAt: c.expiresAt, tokenId: c.tokenId, via } : null;
}

export class UsersService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  list(): User[] {
    return this.store.users.list();
  }

  count(): number {
    return this.store.users.count();
  }

  add(name: string, role: Role, ctx: CallContext, expiresInSeconds?: number): { user: User; token: string } {
    const now = this.clock.now();
    return this.store.users.add(name, role, ctx.actor, now, expiresInSeconds ? now + expiresInSeconds * 1000 : null);
  }

  remove(name: string, ctx: CallContext): void {
    if (name.toLowerCase() === ctx.actor.toLowerCase()) throw new JobdeckError('INVALID_STATE', 'you cannot remove yourself; ask another superadmin', 'name');
    this.store.users.remove(name, ctx.actor, this.clock.now());
    this.changed();
  }

  createToken(name: string, ctx: CallContext, expiresInSeconds?: number): { id: string; token: string; expiresAt: string | null } {
    const now = this.clock.now();
    const expiresAt = expiresInSeconds ? now + expiresInSeconds * 1000 : null;
    return { ...this.store.users.createToken(name, ctx.actor, now, expiresAt), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
  }

  revokeToken(tokenId: string, ctx: CallContext): void {
    this.store.users.revokeToken(tokenId, ctx.actor, this.clock.now());
    this.changed();
  }

  // ----- credentials (transport-level: the server signs callers in with these) -----

  private readonly listeners = new Set<() => void>();

  /** Tells the listener whenever a token, user or session may have stopped working here. */
  onCredentialsChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** The caller a clear-text token stands for, if it is valid. */
  authenticate(token: string): AuthenticatedCaller | null {
    return toCaller(this.store.users.authenticate(token, Date.now()), 'token');
  }

  /** The caller a console session id stands for, if the session and its token are valid. */
  authenticateSession(sessionId: string): AuthenticatedCaller | null {
    return toCaller(this.store.users.authenticateSession(sessionId, Date.now()), 'session');
  }

  /** Starts a console session for a caller signed in with a token; returns the session id and when it ends. */
  startSession(caller: AuthenticatedCaller, lifetimeMs: number): { id: string; expiresAt: number } {
    const now = Date.now();
    const expiresAt = caller.expiresAt === null || caller.expiresAt === undefined ? now + lifetimeMs : Math.min(caller.expiresAt, now + lifetimeMs);
    return { id: this.store.users.startSession(caller.tokenId, now, expiresAt), expiresAt };
  }

  endSession(sessionId: string): void {
    if (this.store.users.endSession(sessionId)) this.changed();
  }
}
