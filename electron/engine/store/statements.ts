import type Database from 'better-sqlite3';
import type { Db } from './database';

/** Prepared statements cached by SQL text, for queries built from filters. */
export class StatementCache {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(private readonly db: Db) {}

  get(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (this.cache.size > 200) this.cache.clear();
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

/** Escapes LIKE wildcards so user text matches literally (with ESCAPE '\\'). */
export const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);
