/** Users and their API tokens in the store: reads and intents (each one transaction, audited), for both backends. */
import { JobdeckError, notFound } from '../../../shared/errors';
import type { Role, User } from '../../../shared/model/misc';
import { auditTable } from './tables/auditTable';
import { usersTable, type Credential } from './tables/usersTable';
import type { Performed, StorePart, Work } from './work';

export type { Credential };

const reads = {
  count: usersTable.count,
  get: usersTable.get,
  list: usersTable.list,
  tokenOwner: usersTable.tokenOwner,
  /** The user a clear-text token belongs to, if it is valid (and whether its use is to be recorded: markTokenUsed). */
  authenticate: usersTable.authenticate,
  authenticateSession: usersTable.authenticateSession,
};

const writes = {
  /** Starts a console session for a valid token; returns the session id (for the cookie). */
  startSession: usersTable.createSession,
  /** Ends a console session (sign-out); false when it was not there. */
  endSession: usersTable.endSession,
  /** Records a token's use (the caller does so when authenticate says: at most once a minute). */
  markTokenUsed: usersTable.markUsed,

  /** Adds a user with a first token (returned once, in clear). */
  *add(name: string, role: Role, by: string, now: number, expiresAt: number | null = null): Work<{ user: User; token: string }> {
    if (yield* usersTable.get(name)) throw new JobdeckError('NAME_TAKEN', `a user named "${name}" already exists`, 'name');
    yield* usersTable.add(name, role, now);
    const { token } = yield* usersTable.createToken(name, now, expiresAt);
    yield* auditTable.add({ at: now, actor: by, action: 'user.add', targetType: 'user', targetId: name, targetName: name, details: { role } });
    return { user: (yield* usersTable.get(name))!, token };
  },

  *remove(name: string, by: string, now: number): Work<void> {
    if (!(yield* usersTable.remove(name))) throw notFound('user', name, 'name');
    yield* auditTable.add({ at: now, actor: by, action: 'user.remove', targetType: 'user', targetId: name, targetName: name });
  },

  *createToken(name: string, by: string, now: number, expiresAt: number | null = null): Work<{ id: string; token: string }> {
    if (!(yield* usersTable.get(name))) throw notFound('user', name, 'name');
    const created = yield* usersTable.createToken(name, now, expiresAt);
    yield* auditTable.add({ at: now, actor: by, action: 'token.create', targetType: 'token', targetId: created.id, targetName: name });
    return created;
  },

  *revokeToken(tokenId: string, by: string, now: number): Work<void> {
    const result = yield* usersTable.revokeToken(tokenId, now);
    if (result === 'missing') throw notFound('token', tokenId, 'tokenId');
    if (result === 'already') throw new JobdeckError('INVALID_STATE', `token ${tokenId} is already revoked`, 'tokenId');
    yield* auditTable.add({ at: now, actor: by, action: 'token.revoke', targetType: 'token', targetId: tokenId, targetName: (yield* usersTable.tokenOwner(tokenId)) ?? null });
  },
};

export const usersPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type UsersStore = Performed<typeof reads> & Performed<typeof writes>;
