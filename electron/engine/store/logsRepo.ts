/** Log lines, written in batches. */
import type { Db } from './database';
import type { LogRow } from './rows';
import { likeEscape } from './statements';

export interface PendingLine {
  runId: number;
  seq: number;
  ts: number;
  stream: number;
  text: string;
}

export class LogsRepo {
  private readonly insertStmt;
  private readonly pageStmt;
  private readonly deleteChunk;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT OR IGNORE INTO log_lines (run_id, seq, ts, stream, text) VALUES (?, ?, ?, ?, ?)');
    this.pageStmt = db.prepare('SELECT seq, ts, stream, text FROM log_lines WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.deleteChunk = db.prepare(
      'DELETE FROM log_lines WHERE run_id = ? AND seq IN (SELECT seq FROM log_lines WHERE run_id = ? ORDER BY seq LIMIT ?)',
    );
  }

  /** Inserts lines; call inside a transaction. */
  insertMany(lines: readonly PendingLine[]): void {
    const stmt = this.insertStmt;
    for (const l of lines) stmt.run(l.runId, l.seq, l.ts, l.stream, l.text);
  }

  page(runId: number, afterSeq: number, limit: number): LogRow[] {
    return this.pageStmt.all(runId, afterSeq, limit) as LogRow[];
  }

  /** Deletes up to `chunk` lines of a run; returns how many went. */
  deleteSome(runId: number, chunk: number): number {
    return this.deleteChunk.run(runId, runId, chunk).changes;
  }

  /** Sequence numbers of a run's lines containing text (case-insensitive for ASCII). */
  search(runId: number, text: string, limit: number): number[] {
    const pattern = `%${likeEscape(text)}%`;
    return (
      this.db
        .prepare("SELECT seq FROM log_lines WHERE run_id = ? AND text LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?")
        .pluck()
        .all(runId, pattern, limit) as number[]
    );
  }

  maxSeq(runId: number): number {
    const row = this.db.prepare('SELECT MAX(seq) AS m FROM log_lines WHERE run_id = ?').get(runId) as { m: number | null };
    return row.m ?? 0;
  }
}
