/** Users and their API tokens in the store: reads and intents (each one transaction, audited). */
import { JobdeckError, notFound } from '../../../shared/errors';
import type { Role, User } from '../../../shared/model/misc';
import type { Credential } from './tables/usersTable';
import type { Tables, Tx } from './tables';

export type { Credential };

export class UsersStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  count(): number {
    return this.t.users.count();
  }

  get(name: string): User | undefined {
    return this.t.users.get(name);
  }

  list(): User[] {
    return this.t.users.list();
  }

  tokenOwner(id: string): string | undefined {
    return this.t.users.tokenOwner(id);
  }

  /** The user a clear-text token belongs to, if it is valid (records its use). */
  authenticate(token: string, now: number): Credential | undefined {
    return this.t.users.authenticate(token, now);
  }

  authenticateSession(id: string, now: number): Credential | undefined {
    return this.t.users.authenticateSession(id, now);
  }

  /** Starts a console session for a valid token; returns the session id (for the cookie). */
  startSession(tokenId: string, now: number, expiresAt: number): string {
    return this.tx(() => this.t.users.createSession(tokenId, now, expiresAt));
  }

  /** Ends a console session (sign-out); false when it was not there. */
  endSession(id: string): boolean {
    return this.tx(() => this.t.users.endSession(id));
  }

  /** Adds a user with a first token (returned once, in clear). */
  add(name: string, role: Role, by: string, now: number, expiresAt: number | null = null): { user: User; token: string } {
    return this.tx(() => {
      if (this.t.users.get(name)) throw new JobdeckError('NAME_TAKEN', `a user named "${name}" already exists`, 'name');
      this.t.users.add(name, role, now);
      const { token } = this.t.users.createToken(name, now, expiresAt);
      this.t.audit.add({ at: now, actor: by, action: 'user.add', targetType: 'user', targetId: name, targetName: name, details: { role } });
      return { user: this.t.users.get(name)!, token };
    });
  }

  remove(name: string, by: string, now: number): void {
    this.tx(() => {
      if (!this.t.users.remove(name)) throw notFound('user', name, 'name');
      this.t.audit.add({ at: now, actor: by, action: 'user.remove', targetType: 'user', targetId: name, targetName: name });
    });
  }

  createToken(name: string, by: string, now: number, expiresAt: number | null = null): { id: string; token: string } {
    return this.tx(() => {
      if (!this.t.users.get(name)) throw notFound('user', name, 'name');
      const created = this.t.users.createToken(name, now, expiresAt);
      this.t.audit.add({ at: now, actor: by, action: 'token.create', targetType: 'token', targetId: created.id, targetName: name });
      return created;
    });
  }

  revokeToken(tokenId: string, by: string, now: number): void {
    this.tx(() => {
      const result = this.t.users.revokeToken(tokenId, now);
      if (result === 'missing') throw notFound('token', tokenId, 'tokenId');
      if (result === 'already') throw new JobdeckError('INVALID_STATE', `token ${tokenId} is already revoked`, 'tokenId');
      this.t.audit.add({ at: now, actor: by, action: 'token.revoke', targetType: 'token', targetId: tokenId, targetName: this.t.users.tokenOwner(tokenId) ?? null });
    });
  }
}
