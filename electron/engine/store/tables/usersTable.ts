/** Users, roles and API tokens (stored as SHA-256 hashes, never in clear). */
import { createHash, randomBytes } from 'node:crypto';
import { iso } from '../../../../shared/dates';
import type { Role, User } from '../../../../shared/model/misc';
import type { Db } from '../database';

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
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export class UsersTable {
  constructor(private readonly db: Db) {}

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  get(name: string): User | undefined {
    const row = this.db.prepare('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return row ? this.toUser(row) : undefined;
  }

  list(): User[] {
    return (this.db.prepare('SELECT * FROM users ORDER BY name COLLATE NOCASE').all() as UserRow[]).map((r) => this.toUser(r));
  }

  add(name: string, role: Role, at: number): void {
    this.db.prepare('INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)').run(name, role, at);
  }

  remove(name: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes === 1;
  }

  /** Creates a token; returns its id and the clear text (shown once). */
  createToken(userName: string, at: number): { id: string; token: string } {
    const id = randomBytes(6).toString('base64url');
    const token = `jd_${randomBytes(32).toString('base64url')}`;
    this.db
      .prepare('INSERT INTO tokens (id, user_name, hash, created_at) VALUES (?, ?, ?, ?)')
      .run(id, this.get(userName)!.name, hashToken(token), at);
    return { id, token };
  }

  revokeToken(id: string, at: number): 'revoked' | 'already' | 'missing' {
    const row = this.db.prepare('SELECT revoked_at FROM tokens WHERE id = ?').get(id) as { revoked_at: number | null } | undefined;
    if (!row) return 'missing';
    if (row.revoked_at !== null) return 'already';
    this.db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id);
    return 'revoked';
  }

  tokenOwner(id: string): string | undefined {
    return (this.db.prepare('SELECT user_name FROM tokens WHERE id = ?').get(id) as { user_name: string } | undefined)?.user_name;
  }

  /** The user a clear-text token belongs to, if it is valid and not revoked. */
  authenticate(token: string, at: number): { name: string; role: Role } | undefined {
    const row = this.db
      .prepare(
        `SELECT t.id, u.name, u.role, t.last_used_at FROM tokens t JOIN users u ON u.name = t.user_name
         WHERE t.hash = ? AND t.revoked_at IS NULL`,
      )
      .get(hashToken(token)) as { id: string; name: string; role: Role; last_used_at: number | null } | undefined;
    if (!row) return undefined;
    // Record use at most once a minute per token, to keep reads read-only.
    if (row.last_used_at === null || at - row.last_used_at > 60_000) {
      this.db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?').run(at, row.id);
    }
    return { name: row.name, role: row.role };
  }

  private toUser(row: UserRow): User {
    const tokens = this.db
      .prepare('SELECT id, user_name, created_at, last_used_at, revoked_at FROM tokens WHERE user_name = ? ORDER BY created_at')
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
      })),
    };
  }
}
