/** Statements on runs and their result files, for both backends. Only the store's intents call the writing ones. */
import type { RunStatus } from '../../../../shared/model/job';
import type { FailureCode, RunPhase, RunTrigger } from '../../../../shared/model/run';
import type { RunRow } from '../rows';
import { nextIdSql } from '../idFloors';
import { fireValues } from './fireRefusalsTable';
import { all, dynamicSql, get, guardedGet, run, sql, type Work } from '../work';

const RUN_SELECT = 'SELECT r.*, j.name AS job_name FROM runs r JOIN jobs j ON j.id = r.job_id';

export interface NewRun {
  jobId: number;
  trigger: RunTrigger;
  triggeredBy: string;
  user: string;
  args: string;
  params: string;
  dueAt: number | null;
  notBefore: number | null;
  queuedAt: number;
  attempt: number;
  retryOf: number | null;
  owner: string;
}

export interface RunListFilter {
  jobId?: number;
  statuses?: RunStatus[];
  fromMs?: number;
  toMs?: number;
  limit: number;
  offset: number;
}

/** How a run ended. */
export interface RunEnd {
  status: Extract<RunStatus, 'SUCCEEDED' | 'FAILED' | 'CANCELLED'>;
  failure: FailureCode | null;
  finishedAt: number;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  lastSeq: number;
  resultFile: string | null;
}

export interface ResultFileRow {
  name: string;
  size: number;
  sha256: string;
  is_primary: number;
}

const FINISHED = "('SUCCEEDED','FAILED','CANCELLED')";
const UNFINISHED = "('QUEUED','IN_PROGRESS')";

const INSERT_COLUMNS = 'job_id, status, trigger, triggered_by, "user", args, params, due_at, not_before, queued_at, attempt, retry_of, owner';
const INSERT_VALUES = "?, 'QUEUED', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
// SQLite's ids come above the floors deleted runs left (idFloors.ts); PostgreSQL's identity never goes back.
const INSERT = sql(
  `INSERT INTO runs (id, ${INSERT_COLUMNS}) VALUES (${nextIdSql('runs')}, ${INSERT_VALUES}) RETURNING id`,
  `INSERT INTO runs (${INSERT_COLUMNS}) VALUES (${INSERT_VALUES}) RETURNING id`,
);
const BY_ID = sql(`${RUN_SELECT} WHERE r.id = ?`);
const ACTIVE_FOR_JOB = sql(`SELECT id, status FROM runs WHERE job_id = ? AND status IN ${UNFINISHED} ORDER BY id`);
const ACTIVE_AMONG = sql(
  `SELECT id, job_id, status FROM runs WHERE job_id IN (SELECT value FROM json_each(?)) AND status IN ${UNFINISHED} ORDER BY id`,
  `SELECT id, job_id, status FROM runs WHERE job_id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)) AND status IN ${UNFINISHED} ORDER BY id`,
);
const IN_PROGRESS_AMONG = sql(
  "SELECT job_id FROM runs WHERE job_id IN (SELECT value FROM json_each(?)) AND status = 'IN_PROGRESS'",
  "SELECT job_id FROM runs WHERE job_id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)) AND status = 'IN_PROGRESS'",
);
// A re-run keeps the script version of its first round.
const CLAIM = sql("UPDATE runs SET status = 'IN_PROGRESS', phase = 'STARTING', script_md5 = COALESCE(script_md5, ?) WHERE id = ? AND status = 'QUEUED' AND cancel_by IS NULL RETURNING *");
// A re-run keeps the start of its first round (its reused tasks started then).
const RUNNING = sql("UPDATE runs SET phase = 'RUNNING', started_at = COALESCE(started_at, ?), pid = ? WHERE id = ? AND status = 'IN_PROGRESS'");
// SQLite's two-argument MAX is PostgreSQL's GREATEST.
const PHASE = sql(
  "UPDATE runs SET phase = ?, last_seq = MAX(last_seq, ?) WHERE id = ? AND status = 'IN_PROGRESS'",
  "UPDATE runs SET phase = ?, last_seq = GREATEST(last_seq, ?) WHERE id = ? AND status = 'IN_PROGRESS'",
);
const PROGRESS = sql(
  'UPDATE runs SET progress_pct = ?, progress_msg = ?, last_seq = MAX(last_seq, ?) WHERE id = ?',
  'UPDATE runs SET progress_pct = ?, progress_msg = ?, last_seq = GREATEST(last_seq, ?) WHERE id = ?',
);
const TRUNCATED = sql('UPDATE runs SET log_truncated = 1 WHERE id = ?');
const LAST_SEQ = sql('UPDATE runs SET last_seq = MAX(last_seq, ?) WHERE id = ?', 'UPDATE runs SET last_seq = GREATEST(last_seq, ?) WHERE id = ?');
const END = sql(
  `UPDATE runs SET status = ?, phase = NULL, failure = ?, finished_at = ?, exit_code = ?, signal = ?, error = ?,
   last_seq = MAX(last_seq, ?), result_file = ? WHERE id = ? AND status IN ${UNFINISHED}`,
  `UPDATE runs SET status = ?, phase = NULL, failure = ?, finished_at = ?, exit_code = ?, signal = ?, error = ?,
   last_seq = GREATEST(last_seq, ?), result_file = ? WHERE id = ? AND status IN ${UNFINISHED}`,
);
const CANCEL = sql('UPDATE runs SET cancel_by = COALESCE(cancel_by, ?) WHERE id = ?');
const ADD_FILE = sql(
  `INSERT INTO result_files (run_id, name, size, sha256, is_primary) VALUES (?, ?, ?, ?, ?)
   ON CONFLICT(run_id, name) DO UPDATE SET size = excluded.size, sha256 = excluded.sha256, is_primary = excluded.is_primary`,
);
const FILES = sql('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? ORDER BY is_primary DESC, name', 'SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? ORDER BY is_primary DESC, name COLLATE "C"');
const FILE = sql('SELECT name, size, sha256, is_primary FROM result_files WHERE run_id = ? AND name = ?');
const REOPEN = sql(`UPDATE runs SET status = 'QUEUED', phase = NULL, round = round + 1, finished_at = NULL,
  exit_code = NULL, signal = NULL, error = NULL, failure = NULL, cancel_by = NULL, owner = ?, not_before = NULL,
  progress_pct = NULL, progress_msg = NULL, pid = NULL WHERE id = ? AND status IN ${FINISHED}`);
const SET_TASKS = sql('UPDATE runs SET tasks = ? WHERE id = ?');
const HAND_OVER = sql("UPDATE runs SET owner = ? WHERE id = ? AND owner = ? AND status = 'QUEUED'");
const LATEST_QUEUED = sql('SELECT MAX(queued_at) AS at FROM runs WHERE job_id = ?');
const UNFINISHED_ALL = sql(`${RUN_SELECT} WHERE r.status IN ${UNFINISHED} ORDER BY r.id`);
const UNFINISHED_OF = sql(`${RUN_SELECT} WHERE r.owner = ? AND r.status IN ${UNFINISHED} ORDER BY r.id`);
const UNFINISHED_OF_OWNERS = sql(
  `${RUN_SELECT} WHERE r.owner IN (SELECT value FROM json_each(?)) AND r.status IN ${UNFINISHED} ORDER BY r.id`,
  `${RUN_SELECT} WHERE r.owner IN (SELECT value FROM jsonb_array_elements_text(?::jsonb)) AND r.status IN ${UNFINISHED} ORDER BY r.id`,
);
const UNFINISHED_OWNERS = sql(`SELECT DISTINCT owner FROM runs WHERE status IN ${UNFINISHED}`);
const CANCEL_REQUESTED = sql(`SELECT id, cancel_by FROM runs WHERE owner = ? AND cancel_by IS NOT NULL AND status IN ${UNFINISHED}`);
// The job's retention read in the same statement (a job gone keeps nothing to delete here: its runs went with it).
const BEYOND_RETENTION = sql(
  `SELECT id FROM runs WHERE job_id = ? AND status IN ${FINISHED} ORDER BY id DESC LIMIT ? OFFSET COALESCE((SELECT retention FROM jobs WHERE id = ?), 9007199254740991)`,
);
/**
 * CROSS JOIN keeps the ids' order of lookup (by rowid); left to itself,
 * SQLite may walk the status index over every finished run. PostgreSQL reads
 * the same JSON array.
 */
const AMONG = sql(
  'SELECT r.*, j.name AS job_name FROM json_each(?) AS w CROSS JOIN runs AS r ON r.id = w.value JOIN jobs j ON j.id = r.job_id',
  'SELECT r.*, j.name AS job_name FROM jsonb_array_elements_text(?::jsonb) AS w(value) JOIN runs AS r ON r.id = w.value::bigint JOIN jobs j ON j.id = r.job_id',
);
const FINISHED_AMONG = sql(
  `SELECT r.id FROM json_each(?) AS j CROSS JOIN runs AS r ON r.id = j.value WHERE r.status IN ${FINISHED}`,
  `SELECT r.id FROM jsonb_array_elements_text(?::jsonb) AS j(value) JOIN runs AS r ON r.id = j.value::bigint WHERE r.status IN ${FINISHED}`,
);
const EXISTING_AMONG = sql(
  'SELECT r.id FROM json_each(?) AS j CROSS JOIN runs AS r ON r.id = j.value',
  'SELECT r.id FROM jsonb_array_elements_text(?::jsonb) AS j(value) JOIN runs AS r ON r.id = j.value::bigint',
);
// Only a finished run: one re-run meanwhile is kept.
const DELETE = sql(`DELETE FROM runs WHERE id = ? AND status IN ${FINISHED}`);

type Finished = { id: number; status: RunStatus; finished_at: number };

export const runsTable = {
  /** Guarded: a second run of one scheduled fire is refused by a unique index, and recording fires goes on. */
  *insert(r: NewRun): Work<number> {
    const row = yield* guardedGet<{ id: number }>(INSERT, r.jobId, r.trigger, r.triggeredBy, r.user, r.args, r.params, r.dueAt, r.notBefore, r.queuedAt, r.attempt, r.retryOf, r.owner);
    return row!.id;
  },

  get(id: number): Work<RunRow | undefined> {
    return get<RunRow>(BY_ID, id);
  },

  /** These runs (those that exist), by id, in one statement. */
  *among(ids: readonly number[]): Work<Map<number, RunRow>> {
    if (ids.length === 0) return new Map();
    return new Map((yield* all<RunRow>(AMONG, JSON.stringify(ids))).map((r) => [r.id, r]));
  },

  /** QUEUED and IN_PROGRESS runs of a job, oldest first. */
  active(jobId: number): Work<{ id: number; status: RunStatus }[]> {
    return all(ACTIVE_FOR_JOB, jobId);
  },

  /** QUEUED and IN_PROGRESS runs of several jobs (one statement), oldest first, by job; every job given has a list. */
  *activeAmong(jobIds: Iterable<number>): Work<Map<number, { id: number; status: RunStatus }[]>> {
    const unique = [...new Set(jobIds)];
    const byJob = new Map(unique.map((id) => [id, [] as { id: number; status: RunStatus }[]]));
    if (unique.length === 0) return byJob;
    for (const r of yield* all<{ id: number; job_id: number; status: RunStatus }>(ACTIVE_AMONG, JSON.stringify(unique))) {
      byJob.get(Number(r.job_id))?.push({ id: r.id, status: r.status });
    }
    return byJob;
  },

  /** Which of these jobs have a run IN_PROGRESS (one statement). */
  *inProgressAmong(jobIds: Iterable<number>): Work<Set<number>> {
    const unique = [...new Set(jobIds)];
    if (unique.length === 0) return new Set();
    return new Set((yield* all<{ job_id: number }>(IN_PROGRESS_AMONG, JSON.stringify(unique))).map((r) => Number(r.job_id)));
  },

  /**
   * QUEUED -> IN_PROGRESS (STARTING); false when the run was no longer
   * queued. Guarded: the unique index on a job's IN_PROGRESS run may refuse
   * it, and the claim goes on with the next run.
   */
  /** QUEUED -> IN_PROGRESS (STARTING) unless a cancel was asked for; the row as it now is (without job_name), or undefined. */
  claim(id: number, scriptMd5: string): Work<Omit<RunRow, 'job_name'> | undefined> {
    return guardedGet<Omit<RunRow, 'job_name'>>(CLAIM, scriptMd5, id);
  },

  *running(id: number, at: number, pid: number | null): Work<void> {
    yield* run(RUNNING, at, pid, id);
  },

  *phase(id: number, phase: RunPhase, lastSeq: number): Work<void> {
    yield* run(PHASE, phase, lastSeq, id);
  },

  *setProgress(id: number, percent: number, message: string, lastSeq: number): Work<void> {
    yield* run(PROGRESS, percent, message, lastSeq, id);
  },

  *markTruncated(id: number): Work<void> {
    yield* run(TRUNCATED, id);
  },

  *raiseLastSeq(id: number, seq: number): Work<void> {
    yield* run(LAST_SEQ, seq, id);
  },

  /** Records the end of a run that has not ended yet; false when it had. */
  *end(id: number, e: RunEnd): Work<boolean> {
    return (yield* run(END, e.status, e.failure, e.finishedAt, e.exitCode, e.signal, e.error, e.lastSeq, e.resultFile, id)) === 1;
  },

  /** A finished run -> QUEUED in its next round (a re-run); false when it had not finished. */
  *reopen(id: number, owner: string): Work<boolean> {
    return (yield* run(REOPEN, owner, id)) === 1;
  },

  /** When the job's latest run was queued (null: it never ran). */
  *latestQueuedAt(jobId: number): Work<number | null> {
    return (yield* get<{ at: number | null }>(LATEST_QUEUED, jobId))?.at ?? null;
  },

  /** The job's latest run finished after `since` (with that status, if given). */
  finishedSince(jobId: number, since: number, status: RunStatus | null): Work<Finished | undefined> {
    const statuses = status ? [status] : ['SUCCEEDED', 'FAILED', 'CANCELLED'];
    return get<Finished>(
      dynamicSql(`SELECT id, status, finished_at FROM runs WHERE job_id = ? AND finished_at > ? AND status IN (${statuses.map(() => '?').join(',')}) ORDER BY finished_at DESC, id DESC LIMIT 1`),
      jobId,
      since,
      ...statuses,
    );
  },

  /** The job's latest finished run, whatever its status. */
  lastFinished(jobId: number): Work<Finished | undefined> {
    return runsTable.finishedSince(jobId, -1, null);
  },

  *setTasks(id: number, count: number): Work<void> {
    yield* run(SET_TASKS, count, id);
  },

  *requestCancel(id: number, by: string): Work<void> {
    yield* run(CANCEL, by, id);
  },

  *list(filter: RunListFilter): Work<{ rows: RunRow[]; total: number }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.jobId !== undefined) {
      where.push('r.job_id = ?');
      args.push(filter.jobId);
    }
    if (filter.statuses && filter.statuses.length > 0) {
      where.push(`r.status IN (${filter.statuses.map(() => '?').join(',')})`);
      args.push(...filter.statuses);
    }
    if (filter.fromMs !== undefined) {
      where.push('r.queued_at >= ?');
      args.push(filter.fromMs);
    }
    if (filter.toMs !== undefined) {
      where.push('r.queued_at < ?');
      args.push(filter.toMs);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = yield* all<RunRow>(dynamicSql(`${RUN_SELECT} ${clause} ORDER BY r.queued_at DESC, r.id DESC LIMIT ? OFFSET ?`), ...args, filter.limit, filter.offset);
    const total =
      filter.offset === 0 && rows.length < filter.limit ? rows.length : (yield* get<{ n: number }>(dynamicSql(`SELECT COUNT(*) AS n FROM runs r ${clause}`), ...args))!.n;
    return { rows, total };
  },

  /** Unfinished runs, optionally only those of one owner. */
  /** The unfinished runs of several owners (one statement), by id. */
  unfinishedOf(owners: readonly string[]): Work<RunRow[]> {
    return owners.length === 1 ? all<RunRow>(UNFINISHED_OF, owners[0]) : all<RunRow>(UNFINISHED_OF_OWNERS, JSON.stringify(owners));
  },

  unfinished(owner?: string): Work<RunRow[]> {
    return owner === undefined ? all<RunRow>(UNFINISHED_ALL) : all<RunRow>(UNFINISHED_OF, owner);
  },

  /**
   * Of these fires (job, due time), those with no run recorded, no refusal
   * recorded (fire_refusals), and that the job's overlap policy would take
   * now (see overlapProblem: a `skip` job refuses while a run of it waits or
   * runs, a `queue` job while one waits). The last test spares the backup
   * nodes trying fires a busy job would refuse anyway, each try a
   * transaction holding jobs' rows. One statement for them all: a backup
   * node asks about every fire of the jobs it does not own, each second.
   */
  *unrecordedFires(fires: readonly (readonly [jobId: number, dueAt: number])[]): Work<{ job_id: number; due_at: number }[]> {
    if (fires.length === 0) return [];
    const text = (cast: string) =>
      `SELECT f.column1 AS job_id, f.column2 AS due_at FROM (${fireValues(fires.length, cast)}) AS f
       WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.job_id = f.column1 AND r.due_at = f.column2 AND r.trigger IN ('schedule', 'catch-up'))
       AND NOT EXISTS (SELECT 1 FROM fire_refusals x WHERE x.due_at = f.column2 AND x.job_id = f.column1)
       AND NOT EXISTS (SELECT 1 FROM runs a JOIN jobs j ON j.id = a.job_id WHERE a.job_id = f.column1
         AND (a.status = 'QUEUED' OR (a.status = 'IN_PROGRESS' AND j.overlap = 'skip')))`;
    return yield* all(dynamicSql(text(''), text('::bigint')), ...fires.flat());
  },

  /** Gives a QUEUED run of `from` to `to` (true if it was still queued there). */
  *handOver(runId: number, from: string, to: string): Work<boolean> {
    return (yield* run(HAND_OVER, to, runId, from)) === 1;
  },

  *unfinishedOwners(): Work<string[]> {
    return (yield* all<{ owner: string }>(UNFINISHED_OWNERS)).map((r) => r.owner);
  },

  /** Runs of this owner with a cancel request pending. */
  cancelRequested(owner: string): Work<{ id: number; cancel_by: string }[]> {
    return all(CANCEL_REQUESTED, owner);
  },

  /** Up to `limit` of a job's finished runs beyond the newest its retention keeps (one statement). */
  *beyondRetention(jobId: number, limit: number): Work<number[]> {
    return (yield* all<{ id: number }>(BEYOND_RETENTION, jobId, limit, jobId)).map((r) => r.id);
  },

  /** Which of these runs are finished: one query for a batch, instead of a row read each. */
  *finishedAmong(ids: readonly number[]): Work<Set<number>> {
    return new Set((yield* all<{ id: number }>(FINISHED_AMONG, JSON.stringify(ids))).map((r) => r.id));
  },

  /** The ids of those given that are runs in the store. */
  *existingAmong(ids: readonly number[]): Work<Set<number>> {
    return new Set((yield* all<{ id: number }>(EXISTING_AMONG, JSON.stringify(ids))).map((r) => Number(r.id)));
  },

  *delete(id: number): Work<void> {
    yield* run(DELETE, id);
  },

  *addFile(runId: number, name: string, size: number, sha256: string, primary: boolean): Work<void> {
    yield* run(ADD_FILE, runId, name, size, sha256, primary ? 1 : 0);
  },

  files(runId: number): Work<ResultFileRow[]> {
    return all<ResultFileRow>(FILES, runId);
  },

  file(runId: number, name: string): Work<ResultFileRow | undefined> {
    return get<ResultFileRow>(FILE, runId, name);
  },
};
