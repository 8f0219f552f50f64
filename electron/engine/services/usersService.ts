/** Users, roles and API tokens. */
import type { CallContext } from '../../../shared/contract';
import { JobdeckError } from '../../../shared/errors';
import type { Role, User } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { EngineStore as Store } from '../store/engineStore';
import type { Credential } from '../store/usersStore';

/** A caller signed in with a token or a console session. */
export interface AuthenticatedCaller extends CallContext {
  tokenId: string;
  /** How the caller signed in: an API token, a console session, or (another node of a shared database) a node credential. */
  via: 'token' | 'session' | 'node';
}

function toCaller(c: Credential | undefined, via: AuthenticatedCaller['via']): AuthenticatedCaller | null {
  return c ? { actor: c.name, role: c.role, expiresAt: c.expiresAt, tokenId: c.tokenId, via } : null;
}

export class UsersService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  list(): Promise<User[]> {
    return this.store.users.list();
  }

  count(): Promise<number> {
    return this.store.users.count();
  }

  add(name: string, role: Role, ctx: CallContext, expiresInSeconds?: number): Promise<{ user: User; token: string }> {
    const now = this.clock.now();
    return this.store.users.add(name, role, ctx.actor, now, expiresInSeconds ? now + expiresInSeconds * 1000 : null);
  }

  async remove(name: string, ctx: CallContext): Promise<void> {
    if (name.toLowerCase() === ctx.actor.toLowerCase()) throw new JobdeckError('INVALID_STATE', 'you cannot remove yourself; ask another superadmin', 'name');
    await this.store.users.remove(name, ctx.actor, this.clock.now());
    this.changed();
  }

  async createToken(name: string, ctx: CallContext, expiresInSeconds?: number): Promise<{ id: string; token: string; expiresAt: string | null }> {
    const now = this.clock.now();
    const expiresAt = expiresInSeconds ? now + expiresInSeconds * 1000 : null;
    return { ...(await this.store.users.createToken(name, ctx.actor, now, expiresAt)), expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString() };
  }

  async revokeToken(tokenId: string, ctx: CallContext): Promise<void> {
    await this.store.users.revokeToken(tokenId, ctx.actor, this.clock.now());
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
  async authenticate(token: string): Promise<AuthenticatedCaller | null> {
    const now = Date.now();
    const found = await this.store.users.authenticate(token, now);
    if (found?.useToRecord) await this.store.users.markTokenUsed(found.tokenId, now);
    return toCaller(found, 'token');
  }

  /** The caller a console session id stands for, if the session and its token are valid. */
  async authenticateSession(sessionId: string): Promise<AuthenticatedCaller | null> {
    return toCaller(await this.store.users.authenticateSession(sessionId, Date.now()), 'session');
  }

  /** Starts a console session for a caller signed in with a token; returns the session id and when it ends. */
  async startSession(caller: AuthenticatedCaller, lifetimeMs: number): Promise<{ id: string; expiresAt: number }> {
    const now = Date.now();
    const expiresAt = caller.expiresAt === null || caller.expiresAt === undefined ? now + lifetimeMs : Math.min(caller.expiresAt, now + lifetimeMs);
    return { id: await this.store.users.startSession(caller.tokenId, now, expiresAt), expiresAt };
  }

  async endSession(sessionId: string): Promise<void> {
    if (await this.store.users.endSession(sessionId)) this.changed();
  }
}
