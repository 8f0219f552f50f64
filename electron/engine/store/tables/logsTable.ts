/** Statements on log lines, written in batches. */
import type { Db } from '../database';
import type { LogRow } from '../rows';
import { likeEscape } from '../statements';

export interface PendingLine {
  runId: number;
  seq: number;
  ts: number;
  stream: number;
  text: string;
  /** Path of the workflow task that printed it (null: a script run, or the workflow itself). */
  task: string | null;
}

/** What a line costs on the wire besides its text (sequence number, time, stream, JSON punctuation). */
export const LINE_OVERHEAD_BYTES = 64;

export class LogsTable {
  private readonly insertStmt;
  private readonly pageStmt;
  private readonly taskPageStmt;
  private readonly deleteChunk;
  private readonly searchStmt;
  private readonly maxSeqStmt;
  private readonly tailStmt;
  private readonly bytesStmt;
  private readonly anyStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare('INSERT OR IGNORE INTO log_lines (run_id, seq, ts, stream, text, task) VALUES (?, ?, ?, ?, ?, ?)');
    this.pageStmt = db.prepare('SELECT seq, ts, stream, text, task FROM log_lines WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
    this.taskPageStmt = db.prepare(
      'SELECT seq, ts, stream, text, task FROM log_lines WHERE run_id = ? AND task = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.deleteChunk = db.prepare(
      'DELETE FROM log_lines WHERE run_id = ? AND seq IN (SELECT seq FROM log_lines WHERE run_id = ? ORDER BY seq LIMIT ?)',
    );
    this.searchStmt = db
      .prepare("SELECT seq FROM log_lines WHERE run_id = ? AND text LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?")
      .pluck();
    this.maxSeqStmt = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM log_lines WHERE run_id = ?').pluck();
    this.bytesStmt = db.prepare('SELECT COALESCE(SUM(length(CAST(text AS BLOB)) + 1), 0) FROM log_lines WHERE run_id = ?').pluck();
    this.tailStmt = db.prepare('SELECT substr(text, 1, 501) FROM log_lines WHERE run_id = ? ORDER BY seq DESC LIMIT ?').pluck();
    this.anyStmt = db.prepare('SELECT 1 FROM log_lines WHERE run_id = ? LIMIT 1').pluck();
  }

  /** Inserts lines; call inside a transaction. */
  insertMany(lines: readonly PendingLine[]): void {
    const stmt = this.insertStmt;
    for (const l of lines) stmt.run(l.runId, l.seq, l.ts, l.stream, l.text, l.task);
  }

  /**
   * Lines after a sequence number, at most `limit` of them and about
   * `maxBytes` of text (always at least one line, so a page always moves on).
   */
  page(runId: number, afterSeq: number, limit: number, maxBytes = Infinity, task?: string): LogRow[] {
    const rows = (): IterableIterator<LogRow> =>
      (task === undefined ? this.pageStmt.iterate(runId, afterSeq, limit) : this.taskPageStmt.iterate(runId, task, afterSeq, limit)) as IterableIterator<LogRow>;
    if (maxBytes === Infinity) return [...rows()];
    const out: LogRow[] = [];
    let bytes = 0;
    for (const row of rows()) {
      bytes += Buffer.byteLength(row.text, 'utf8') + LINE_OVERHEAD_BYTES;
      if (bytes > maxBytes && out.length > 0) break;
      out.push(row);
    }
    return out;
  }

  /** Deletes up to `chunk` lines of a run; returns how many went. */
  deleteSome(runId: number, chunk: number): number {
    return this.deleteChunk.run(runId, runId, chunk).changes;
  }

  /** Sequence numbers of a run's lines containing text (case-insensitive for ASCII). */
  search(runId: number, text: string, limit: number): number[] {
    return this.searchStmt.all(runId, `%${likeEscape(text)}%`, limit) as number[];
  }

  hasLines(runId: number): boolean {
    return this.anyStmt.get(runId) !== undefined;
  }

  maxSeq(runId: number): number {
    return this.maxSeqStmt.get(runId) as number;
  }

  /** The last n lines' texts, oldest first. */
  tail(runId: number, n: number): string[] {
    return (this.tailStmt.all(runId, n) as string[]).reverse();
  }

  bytes(runId: number): number {
    return this.bytesStmt.get(runId) as number;
  }
}
