/** The audit log: who did what, when. */
import type { AuditEntry } from '../../../../shared/model/misc';
import { iso } from '../../../../shared/dates';
import type { Db } from '../database';
import { StatementCache } from '../statements';

export interface NewAudit {
  actor: string;
  action: string;
  targetType: AuditEntry['targetType'];
  targetId?: string | number | null;
  targetName?: string | null;
  jobId?: number | null;
  details?: Record<string, unknown> | null;
  at?: number;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  target_type: AuditEntry['targetType'];
  target_id: string | null;
  target_name: string | null;
  details: string | null;
}

export class AuditTable {
  private readonly q: StatementCache;
  private readonly insertStmt;

  constructor(db: Db) {
    this.q = new StatementCache(db);
    this.insertStmt = db.prepare(
      'INSERT INTO audit (at, actor, action, target_type, target_id, target_name, job_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  add(e: NewAudit): void {
    this.insertStmt.run(
      e.at ?? Date.now(),
      e.actor,
      e.action,
      e.targetType,
      e.targetId === undefined || e.targetId === null ? null : String(e.targetId),
      e.targetName ?? null,
      e.jobId ?? null,
      e.details ? JSON.stringify(e.details) : null,
    );
  }

  list(filter: { actor?: string; jobId?: number; limit: number; offset: number }): { items: AuditEntry[]; total: number } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.actor) {
      where.push('actor = ? COLLATE NOCASE');
      args.push(filter.actor);
    }
    if (filter.jobId !== undefined) {
      where.push('job_id = ?');
      args.push(filter.jobId);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.q
      .get(`SELECT id, at, actor, action, target_type, target_id, target_name, details FROM audit ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, filter.limit, filter.offset) as AuditRow[];
    const total = (this.q.get(`SELECT COUNT(*) AS n FROM audit ${clause}`).get(...args) as { n: number }).n;
    return {
      items: rows.map((r) => ({
        id: r.id,
        at: iso(r.at)!,
        actor: r.actor,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        targetName: r.target_name,
        details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
      })),
      total,
    };
  }
}
