/** The audit log: who did what, when. */
import type { AuditEntry } from '../../../../shared/model/misc';
import { iso } from '../../../../shared/dates';
import { all, dynamicSql, get, run, sql, type Work } from '../work';

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

export interface AuditFilter {
  actor?: string;
  jobId?: number;
  limit: number;
  offset: number;
}

const INSERT = sql('INSERT INTO audit (at, actor, action, target_type, target_id, target_name, job_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');

/** The WHERE clause of a filter in both dialects (an actor matches without ASCII case, as NOCASE does). */
function whereOf(filter: AuditFilter): { sqlite: string; pg: string; args: unknown[] } {
  const sqlite: string[] = [];
  const pg: string[] = [];
  const args: unknown[] = [];
  if (filter.actor) {
    sqlite.push('actor = ? COLLATE NOCASE');
    pg.push('lower(actor COLLATE "C") = lower(? COLLATE "C")');
    args.push(filter.actor);
  }
  if (filter.jobId !== undefined) {
    sqlite.push('job_id = ?');
    pg.push('job_id = ?');
    args.push(filter.jobId);
  }
  const clause = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
  return { sqlite: clause(sqlite), pg: clause(pg), args };
}

export const auditTable = {
  *add(e: NewAudit): Work<void> {
    yield* run(
      INSERT,
      e.at ?? Date.now(),
      e.actor,
      e.action,
      e.targetType,
      e.targetId === undefined || e.targetId === null ? null : String(e.targetId),
      e.targetName ?? null,
      e.jobId ?? null,
      e.details ? JSON.stringify(e.details) : null,
    );
  },

  *list(filter: AuditFilter): Work<{ items: AuditEntry[]; total: number }> {
    const where = whereOf(filter);
    const page = (clause: string) => `SELECT id, at, actor, action, target_type, target_id, target_name, details FROM audit ${clause} ORDER BY id DESC LIMIT ? OFFSET ?`;
    const count = (clause: string) => `SELECT COUNT(*) AS n FROM audit ${clause}`;
    const rows = yield* all<AuditRow>(dynamicSql(page(where.sqlite), page(where.pg)), ...where.args, filter.limit, filter.offset);
    const total = (yield* get<{ n: number }>(dynamicSql(count(where.sqlite), count(where.pg)), ...where.args))!.n;
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
  },
};

