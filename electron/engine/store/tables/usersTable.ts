/** Statements on users, API tokens (stored as SHA-256 hashes, never in clear) and console sessions. */
import { createHash, randomBytes } from 'node:crypto';
import { iso } from '../../../../shared/dates';
import type { Role, User } from '../../../../shared/model/misc';
import type { Db } from '../database';
import { StatementCache } from '../statements';

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

export class UsersTable {
  private readonly q: StatementCache;

  constructor(db: Db) {
    this.q = new StatementCache(db);
  }

  count(): number {
    return this.q.get('SELECT COUNT(*) FROM users').pluck().get() as number;
  }

  get(name: string): User | undefined {
    const row = this.q.get('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row ? this.toUser(row) : undefined;
  }

  list(): User[] {
    return (this.q.get('SELECT * FROM users ORDER BY name COLLATE NOCASE').all() as UserRow[]).map((r) => this.toUser(r));
  }

  add(name: string, role: Role, at: number): void {
    this.q.get('INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)').run(name, role, at);
  }

  remove(name: string): boolean {
    return this.q.get('DELETE FROM users WHERE name = ?').run(name).changes === 1;
  }

  /** Creates a token; returns its id and the clear text (shown once). */
  createToken(userName: string, at: number, expiresAt: number | null): { id: string; token: string } {
    const id = randomBytes(6).toString('base64url');
    const token = `jd_${randomBytes(32).toString('base64url')}`;
    this.q
      .get('INSERT INTO tokens (id, user_name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, this.get(userName)!.name, hashToken(token), at, expiresAt);
    return { id, token };
  }

  /** Revokes a token and ends its sessions. */
  revokeToken(id: string, at: number): 'revoked' | 'already' | 'missing' {
    const row = this.q.get('SELECT revoked_at FROM tokens WHERE id = ?').get(id) as { revoked_at: number | null } | undefined;
    if (!row) return 'missing';
    if (row.revoked_at !== null) return 'already';
    this.q.get('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
    this.q.get('DELETE FROM sessions WHERE token_id = ?').run(id);
    return 'revoked';
  }

  tokenOwner(id: string): string | undefined {
    return this.q.get('SELECT user_name FROM tokens WHERE id = ?').pluck().get(id) as string | undefined;
  }

  /** The user a clear-text token belongs to, if it is valid: not revoked, not expired, its user still there. */
  authenticate(token: string, at: number): Credential | undefined {
    const row = this.q
      .get(
        `SELECT t.id, u.name, u.role, t.last_used_at, t.expires_at FROM tokens t JOIN users u ON u.name = t.user_name
         WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
      )
      .get(hashToken(token), at) as { id: string; name: string; role: Role; last_used_at: number | null; expires_at: number | null } | undefined;
    if (!row) return undefined;
    // Record use at most once a minute per token, to keep reads read-only.
    if (row.last_used_at === null || at - row.last_used_at > 60_000) {
      this.q.get('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, row.id);
    }
    return { name: row.name, role: row.role, tokenId: row.id, expiresAt: row.expires_at };
  }

  /** Starts a session for a token; returns the session id in clear (it goes in the cookie). */
  createSession(tokenId: string, at: number, expiresAt: number): string {
    this.q.get('DELETE FROM sessions WHERE expires_at <= ?').run(at);
    const id = randomBytes(32).toString('base64url');
    this.q.get('INSERT INTO sessions (hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)').run(hashToken(id), tokenId, at, expiresAt);
    return id;
  }

  /** The user a session stands for, if the session and its token are still valid. */
  authenticateSession(id: string, at: number): Credential | undefined {
    const row = this.q
      .get(
        `SELECT t.id, u.name, u.role, t.expires_at AS token_expires, s.expires_at AS session_expires FROM sessions s
         JOIN tokens t ON t.id = s.token_id JOIN users u ON u.name = t.user_name
         WHERE s.hash = ? AND s.expires_at > ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`,
      )
      .get(hashToken(id), at, at) as { id: string; name: string; role: Role; token_expires: number | null; session_expires: number } | undefined;
    if (!row) return undefined;
    return { name: row.name, role: row.role, tokenId: row.id, expiresAt: minOf(row.token_expires, row.session_expires) };
  }

  endSession(id: string): boolean {
    return this.q.get('DELETE FROM sessions WHERE hash = ?').run(hashToken(id)).changes === 1;
  }

  private toUser(row: UserRow): User {
    const tokens = this.q
      .get('SELECT id, user_name, created_at, last_used_at, revoked_at, expires_at FROM tokens WHERE user_name = ? ORDER BY created_at')
      .all(row.name) as TokenRow[];
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
}
