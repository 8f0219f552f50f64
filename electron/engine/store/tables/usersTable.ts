/** Statements on users, API tokens (stored as SHA-256 hashes, never in clear) and console sessions. */
import { createHash, randomBytes } from 'node:crypto';
import { iso } from '../../../../shared/dates';
import type { Role, User } from '../../../../shared/model/misc';
import { all, get, run, sql, type Work } from '../work';

interface UserRow {
  name: string;
  role: Role;
  created_at: number;
}

interface TokenRow {
  id: string;
  user_name: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

/** Who a valid token or session stands for, and until when. */
export interface Credential {
  name: string;
  role: Role;
  tokenId: string;
  /** When the credential stops working (ms), null for never. */
  expiresAt: number | null;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));

// A user's name matches without ASCII case: SQLite's column is NOCASE; PostgreSQL compares lower(… "C"), as its unique index does.
const BY_NAME = { sqlite: 'name = ?', pg: 'lower(name COLLATE "C") = lower(? COLLATE "C")' };

const COUNT = sql('SELECT COUNT(*) AS n FROM users');
const GET = sql(`SELECT * FROM users WHERE ${BY_NAME.sqlite}`, sql(`SELECT * FROM users WHERE ${BY_NAME.pg}`).pg);
const LIST = sql('SELECT * FROM users ORDER BY name COLLATE NOCASE', 'SELECT * FROM users ORDER BY lower(name COLLATE "C")');
const ADD = sql('INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)');
const REMOVE = sql(`DELETE FROM users WHERE ${BY_NAME.sqlite}`, sql(`DELETE FROM users WHERE ${BY_NAME.pg}`).pg);
// SQLite lists tokens of one millisecond in the order they were made (rowid); PostgreSQL's tokens have no such order, so by id.
const TOKENS_OF = sql(
  'SELECT id, user_name, created_at, last_used_at, revoked_at, expires_at FROM tokens WHERE user_name = ? ORDER BY created_at',
  'SELECT id, user_name, created_at, last_used_at, revoked_at, expires_at FROM tokens WHERE user_name = ? ORDER BY created_at, id',
);
const INSERT_TOKEN = sql('INSERT INTO tokens (id, user_name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
const TOKEN_REVOKED = sql('SELECT revoked_at FROM tokens WHERE id = ?');
const REVOKE = sql('UPDATE tokens SET revoked_at = ? WHERE id = ?');
const END_TOKEN_SESSIONS = sql('DELETE FROM sessions WHERE token_id = ?');
const TOKEN_OWNER = sql('SELECT user_name FROM tokens WHERE id = ?');
const AUTHENTICATE = sql(`SELECT t.id, u.name, u.role, t.last_used_at, t.expires_at FROM tokens t JOIN users u ON u.name = t.user_name
  WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`);
const USED = sql('UPDATE tokens SET last_used_at = ? WHERE id = ?');
const DROP_EXPIRED_SESSIONS = sql('DELETE FROM sessions WHERE expires_at <= ?');
const INSERT_SESSION = sql('INSERT INTO sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)');
const AUTHENTICATE_SESSION = sql(`SELECT t.id, u.name, u.role, t.expires_at AS token_expires, s.expires_at AS session_expires FROM sessions s
  JOIN tokens t ON t.id = s.token_id JOIN users u ON u.name = t.user_name
  WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`);
const END_SESSION = sql('DELETE FROM sessions WHERE hash = ?');

function* toUser(row: UserRow): Work<User> {
  const tokens = yield* all<TokenRow>(TOKENS_OF, row.name);
  return {
    name: row.name,
    role: row.role,
    createdAt: iso(row.created_at)!,
    tokens: tokens.map((t) => ({
      id: t.id,
      createdAt: iso(t.created_at)!,
      lastUsedAt: iso(t.last_used_at),
      revokedAt: iso(t.revoked_at),
      expiresAt: iso(t.expires_at),
    })),
  };
}

export const usersTable = {
  *count(): Work<number> {
    return (yield* get<{ n: number }>(COUNT))!.n;
  },

  *get(name: string): Work<User | undefined> {
    const row = yield* get<UserRow>(GET, name);
    return row ? yield* toUser(row) : undefined;
  },

  *list(): Work<User[]> {
    const users: User[] = [];
    for (const row of yield* all<UserRow>(LIST)) users.push(yield* toUser(row));
    return users;
  },

  *add(name: string, role: Role, at: number): Work<void> {
    yield* run(ADD, name, role, at);
  },

  *remove(name: string): Work<boolean> {
    return (yield* run(REMOVE, name)) === 1;
  },

  /** Creates a token for an existing user (named as the store spells it); returns its id and the clear text (shown once). */
  *createToken(userName: string, at: number, expiresAt: number | null): Work<{ id: string; token: string }> {
    const id = randomBytes(6).toString('base64url');
    const token = `jd_${randomBytes(32).toString('base64url')}`;
    const user = yield* get<UserRow>(GET, userName);
    yield* run(INSERT_TOKEN, id, user!.name, hashToken(token), at, expiresAt);
    return { id, token };
  },

  /** Revokes a token and ends its sessions. */
  *revokeToken(id: string, at: number): Work<'revoked' | 'already' | 'missing'> {
    const row = yield* get<{ revoked_at: number | null }>(TOKEN_REVOKED, id);
    if (!row) return 'missing';
    if (row.revoked_at !== null) return 'already';
    yield* run(REVOKE, at, id);
    yield* run(END_TOKEN_SESSIONS, id);
    return 'revoked';
  },

  *tokenOwner(id: string): Work<string | undefined> {
    return (yield* get<{ user_name: string }>(TOKEN_OWNER, id))?.user_name;
  },

  /**
   * The user a clear-text token belongs to, if it is valid: not revoked, not
   * expired, its user still there. `useToRecord`: the token's last use is
   * over a minute old, so the caller records this one (markUsed): a read
   * writes nothing, and most requests write nothing either.
   */
  *authenticate(token: string, at: number): Work<(Credential & { useToRecord: boolean }) | undefined> {
    const row = yield* get<{ id: string; name: string; role: Role; last_used_at: number | null; expires_at: number | null }>(AUTHENTICATE, hashToken(token), at);
    if (!row) return undefined;
    const useToRecord = row.last_used_at === null || at - row.last_used_at > 60_000;
    return { name: row.name, role: row.role, tokenId: row.id, expiresAt: row.expires_at, useToRecord };
  },

  /** Records a token's use (see authenticate). */
  *markUsed(tokenId: string, at: number): Work<void> {
    yield* run(USED, at, tokenId);
  },

  /** Starts a session for a token; returns the session id in clear (it goes in the cookie). */
  *createSession(tokenId: string, at: number, expiresAt: number): Work<string> {
    yield* run(DROP_EXPIRED_SESSIONS, at);
    const id = randomBytes(32).toString('base64url');
    yield* run(INSERT_SESSION, hashToken(id), tokenId, at, expiresAt);
    return id;
  },

  /** The user a session stands for, if the session and its token are still valid. */
  *authenticateSession(id: string, at: number): Work<Credential | undefined> {
    const row = yield* get<{ id: string; name: string; role: Role; token_expires: number | null; session_expires: number }>(AUTHENTICATE_SESSION, hashToken(id), at, at);
    if (!row) return undefined;
    return { name: row.name, role: row.role, tokenId: row.id, expiresAt: minOf(row.token_expires, row.session_expires) };
  },

  *endSession(id: string): Work<boolean> {
    return (yield* run(END_SESSION, hashToken(id))) === 1;
  },
};
