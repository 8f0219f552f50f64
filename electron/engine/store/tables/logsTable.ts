/** Statements on log lines, written in batches, for both backends. */
import type { LogRow } from '../rows';
import { likeEscape } from '../statements';
import { all, allWithin, get, run, runRows, sql, type Work } from '../work';

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

const INSERT = sql(
  'INSERT INTO log_lines (run_id, seq, ts, stream, text, task) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  'INSERT INTO log_lines (run_id, seq, ts, stream, text, task) SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::integer[], ?::text[], ?::text[]) ON CONFLICT DO NOTHING',
);
const PAGE = sql('SELECT seq, ts, stream, text, task FROM log_lines WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
const TASK_PAGE = sql('SELECT seq, ts, stream, text, task FROM log_lines WHERE run_id = ? AND task = ? AND seq > ? ORDER BY seq LIMIT ?');
const DELETE_CHUNK = sql('DELETE FROM log_lines WHERE run_id = ? AND seq IN (SELECT seq FROM log_lines WHERE run_id = ? ORDER BY seq LIMIT ?)');
// SQLite's LIKE folds ASCII case; PostgreSQL's does not, so both sides are folded there.
const SEARCH = sql(
  "SELECT seq FROM log_lines WHERE run_id = ? AND text LIKE ? ESCAPE '\\' ORDER BY seq LIMIT ?",
  `SELECT seq FROM log_lines WHERE run_id = ? AND lower(text COLLATE "C") LIKE lower(? COLLATE "C") ESCAPE '\\' ORDER BY seq LIMIT ?`,
);
const MAX_SEQ = sql('SELECT COALESCE(MAX(seq), 0) AS n FROM log_lines WHERE run_id = ?');
const BYTES = sql(
  'SELECT COALESCE(SUM(length(CAST(text AS BLOB)) + 1), 0) AS n FROM log_lines WHERE run_id = ?',
  'SELECT COALESCE(SUM(octet_length(text) + 1), 0)::bigint AS n FROM log_lines WHERE run_id = ?',
);
const TAIL = sql('SELECT substr(text, 1, 501) AS text FROM log_lines WHERE run_id = ? ORDER BY seq DESC LIMIT ?');
const ANY = sql('SELECT 1 AS one FROM log_lines WHERE run_id = ? LIMIT 1');

export const logsTable = {
  /** Inserts lines (inside the caller's transaction); a line already stored is left as it is. */
  *insertMany(lines: readonly PendingLine[]): Work<void> {
    yield* runRows(
      INSERT,
      lines.map((l) => [l.runId, l.seq, l.ts, l.stream, l.text, l.task]),
    );
  },

  /**
   * Lines after a sequence number, at most `limit` of them and about
   * `maxBytes` of text (always at least one line, so a page always moves on).
   */
  page(runId: number, afterSeq: number, limit: number, maxBytes = Infinity, task?: string): Work<LogRow[]> {
    const args = task === undefined ? [runId, afterSeq, limit] : [runId, task, afterSeq, limit];
    const statement = task === undefined ? PAGE : TASK_PAGE;
    if (maxBytes === Infinity) return all<LogRow>(statement, ...args);
    return allWithin<LogRow>(statement, maxBytes, (row) => Buffer.byteLength(row.text, 'utf8') + LINE_OVERHEAD_BYTES, ...args);
  },

  /** Deletes up to `chunk` lines of a run; returns how many went. */
  deleteSome(runId: number, chunk: number): Work<number> {
    return run(DELETE_CHUNK, runId, runId, chunk);
  },

  /** Sequence numbers of a run's lines containing text (case-insensitive for ASCII). */
  *search(runId: number, text: string, limit: number): Work<number[]> {
    return (yield* all<{ seq: number }>(SEARCH, runId, `%${likeEscape(text)}%`, limit)).map((r) => r.seq);
  },

  *hasLines(runId: number): Work<boolean> {
    return (yield* get(ANY, runId)) !== undefined;
  },

  *maxSeq(runId: number): Work<number> {
    return (yield* get<{ n: number }>(MAX_SEQ, runId))!.n;
  },

  /** The last n lines' texts, oldest first. */
  *tail(runId: number, n: number): Work<string[]> {
    return (yield* all<{ text: string }>(TAIL, runId, n)).map((r) => r.text).reverse();
  },

  *bytes(runId: number): Work<number> {
    return (yield* get<{ n: number }>(BYTES, runId))!.n;
  },
};
