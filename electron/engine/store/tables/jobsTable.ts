/** Statements on jobs and their script versions, for both backends. Only the store's intents call the writing ones. */
import { JOB_DEFAULTS, type JobSpec, type RunStatus } from '../../../../shared/model/job';
import { SUMMARY_COLUMNS, specColumns, type JobRow } from '../rows';
import { nextIdSql } from '../idFloors';
import { likeEscape } from '../statements';
import { all, allRaw, dynamicSql, get, run, sql, type Sql, type Work } from '../work';

export interface JobListFilter {
  search?: string;
  group?: string;
  lastStatus?: RunStatus | 'NEVER';
  archived?: 'exclude' | 'include' | 'only';
  order?: 'schedule' | 'id';
  limit?: number;
  offset?: number;
}

/** Order of the job list: next execution first; disabled, then archived, last (PostgreSQL's as its jobs_list_order index). */
const LIST_ORDER = {
  sqlite: 'ORDER BY archived, enabled DESC, next_fire_at IS NULL, next_fire_at, name COLLATE NOCASE',
  pg: 'ORDER BY archived, enabled DESC, (next_fire_at IS NULL), next_fire_at, lower(name COLLATE "C")',
};

export type JobKeyRow = [id: number, revision: number, nextFireAt: number | null, lastRunId: number | null, lastStatus: RunStatus | null, lastRunAt: number | null];

export interface SchedulableRow {
  id: number;
  name: string;
  schedule_kind: JobRow['schedule_kind'];
  interval_s: number | null;
  cron_expr: string | null;
  timezone: string | null;
  next_fire_at: number | null;
  misfire: JobSpec['misfire'];
  updated_at: number;
}

/** The columns a spec writes (specColumns' keys, read once), in one order for the statements and their values. */
const SPEC_COLUMNS = Object.keys(specColumns({ ...JOB_DEFAULTS, name: '', script: '' }));
const quoted = SPEC_COLUMNS.map((c) => (c === 'user' ? '"user"' : c));
const specValues = (spec: JobSpec): unknown[] => {
  const cols = specColumns(spec) as Record<string, unknown>;
  return SPEC_COLUMNS.map((c) => cols[c]);
};

const BY_ID = sql('SELECT * FROM jobs WHERE id = ?');
// SQLite's write transaction already holds the whole database; PostgreSQL locks the job's row until the transaction ends.
/**
 * How intents lock a job's row on PostgreSQL: against each other, but not
 * against a foreign key's check. A transaction that writes a run's row twice
 * (a writer's batch: the run started, then finishing) has the second write's
 * foreign key checked, which takes KEY SHARE on the job's row: FOR UPDATE
 * would make it wait for any intent holding the job, while that intent
 * waited for a job the batch holds (a deadlock the cluster bench met). Only
 * deleting a job locks it FOR UPDATE.
 */
export const JOB_ROW_LOCK = 'FOR NO KEY UPDATE';
const LOCK_IDS = sql(
  'SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id',
  `SELECT id FROM jobs WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)) ORDER BY id ${JOB_ROW_LOCK}`,
);
const LOCK_ROWS = sql(
  'SELECT * FROM jobs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id',
  `SELECT * FROM jobs WHERE id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)) ORDER BY id ${JOB_ROW_LOCK}`,
);
const BY_ID_FOR_UPDATE = sql('SELECT * FROM jobs WHERE id = ?', `SELECT * FROM jobs WHERE id = ? ${JOB_ROW_LOCK}`);
const FOR_DELETE = sql('SELECT id FROM jobs WHERE id = ?', 'SELECT id FROM jobs WHERE id = ? FOR UPDATE');
const BY_NAME = sql('SELECT * FROM jobs WHERE name = ? COLLATE NOCASE', 'SELECT * FROM jobs WHERE lower(name COLLATE "C") = lower(? COLLATE "C")');
const INSERT_TAIL = `${quoted.join(', ')}, script_md5, archived, next_fire_at, created_at, created_by, updated_at, updated_by`;
const INSERT_VALUES = `${SPEC_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?, ?, ?, ?, ?`;
// SQLite's ids come above the floors deleted jobs left (idFloors.ts); PostgreSQL's identity never goes back.
const INSERT = sql(
  `INSERT INTO jobs (id, ${INSERT_TAIL}) VALUES (${nextIdSql('jobs')}, ${INSERT_VALUES}) RETURNING id`,
  `INSERT INTO jobs (${INSERT_TAIL}) VALUES (${INSERT_VALUES}) RETURNING id`,
);
const UPDATE = sql(
  `UPDATE jobs SET ${quoted.map((c) => `${c} = ?`).join(', ')}, script_md5 = ?, archived = ?, next_fire_at = ?,
   revision = revision + 1, updated_at = ?, updated_by = ? WHERE id = ? AND revision = ?`,
);
const ADD_VERSION = sql(
  `INSERT INTO script_versions (job_id, version, script, md5, saved_by, saved_at)
   VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM script_versions WHERE job_id = ?), ?, ?, ?, ?)`,
);
const HISTORY = sql('SELECT version, md5, script, saved_by, saved_at FROM script_versions WHERE job_id = ? ORDER BY version DESC');
const SET_NEXT_FIRE = sql('UPDATE jobs SET next_fire_at = ? WHERE id = ?');
const SET_LAST_RUN = sql('UPDATE jobs SET last_run_id = ?, last_status = ?, last_run_at = ? WHERE id = ? AND (last_run_id IS NULL OR last_run_id <= ?)');
const REVISIONS = sql('SELECT id, revision FROM jobs WHERE id > ? ORDER BY id LIMIT ?');
const ALL = sql('SELECT * FROM jobs ORDER BY id');
const GROUPS = sql(
  "SELECT DISTINCT grp FROM jobs WHERE grp <> '' ORDER BY grp COLLATE NOCASE",
  // DISTINCT keeps differently cased groups apart on both; ORDER BY must name a selected expression in PostgreSQL.
  "SELECT grp FROM (SELECT DISTINCT grp FROM jobs WHERE grp <> '') g ORDER BY lower(grp COLLATE \"C\"), grp COLLATE \"C\"",
);
const DEPENDENTS_WHERE = "after_deps <> '[]' AND gate_minutes IS NULL AND enabled = 1 AND archived = 0";
const DEPENDENTS = sql(`SELECT * FROM jobs WHERE ${DEPENDENTS_WHERE}`);
/**
 * The index is named for SQLite: left to itself, it walks jobs_list_order's
 * (archived, enabled) prefix instead, reading every job when none waits
 * (0.1 s at 100,000 jobs).
 */
const HAS_DEPENDENTS = sql(`SELECT 1 AS one FROM jobs INDEXED BY jobs_dependents WHERE ${DEPENDENTS_WHERE} LIMIT 1`, `SELECT 1 AS one FROM jobs WHERE ${DEPENDENTS_WHERE} LIMIT 1`);
const SCHEDULABLE_COLUMNS = 'id, name, schedule_kind, interval_s, cron_expr, timezone, next_fire_at, misfire, updated_at';
const SCHEDULED = "archived = 0 AND enabled = 1 AND schedule_kind <> 'manual'";
const SCHEDULABLE = sql(`SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE ${SCHEDULED}`);
const SCHEDULABLE_ONE = sql(`SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE id = ? AND ${SCHEDULED}`);
const NEXT_FIRES_FROM = sql(
  'SELECT id, next_fire_at FROM jobs WHERE archived = 0 AND enabled = 1 AND (next_fire_at IS NULL) = 0 AND next_fire_at >= ? ORDER BY next_fire_at',
  'SELECT id, next_fire_at FROM jobs WHERE archived = 0 AND enabled = 1 AND (next_fire_at IS NULL) = false AND next_fire_at >= ? ORDER BY next_fire_at',
);
const TO_COMPUTE = sql(
  `SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE ${SCHEDULED} AND (next_fire_at IS NULL) = 1
   UNION ALL SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE ${SCHEDULED} AND (next_fire_at IS NULL) = 0 AND next_fire_at < ?`,
  `SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE ${SCHEDULED} AND next_fire_at IS NULL
   UNION ALL SELECT ${SCHEDULABLE_COLUMNS} FROM jobs WHERE ${SCHEDULED} AND next_fire_at < ?`,
);
const COUNT = sql('SELECT COUNT(*) AS n FROM jobs');

/** A filter's WHERE clause in both dialects (names and groups match without ASCII case, as NOCASE and LIKE do in SQLite). */
function whereOf(filter: JobListFilter): { sqlite: string; pg: string; args: unknown[] } {
  const sqlite: string[] = [];
  const pg: string[] = [];
  const args: unknown[] = [];
  const both = (text: string) => {
    sqlite.push(text);
    pg.push(text);
  };
  if (filter.search) {
    sqlite.push("name LIKE ? ESCAPE '\\'");
    pg.push(`lower(name COLLATE "C") LIKE lower(? COLLATE "C") ESCAPE '\\'`);
    args.push(`%${likeEscape(filter.search)}%`);
  }
  if (filter.group !== undefined) {
    sqlite.push('grp = ? COLLATE NOCASE');
    pg.push('lower(grp COLLATE "C") = lower(? COLLATE "C")');
    args.push(filter.group);
  }
  if (filter.lastStatus === 'NEVER') both('last_status IS NULL');
  else if (filter.lastStatus) {
    both('last_status = ?');
    args.push(filter.lastStatus);
  }
  const archived = filter.archived ?? 'include';
  if (archived === 'exclude') both('archived = 0');
  if (archived === 'only') both('archived = 1');
  const clause = (parts: string[]) => (parts.length ? `WHERE ${parts.join(' AND ')}` : '');
  return { sqlite: clause(sqlite), pg: clause(pg), args };
}

export const jobsTable = {
  get(id: number): Work<JobRow | undefined> {
    return get<JobRow>(BY_ID, id);
  },

  /**
   * Locks jobs' rows in ascending id order (PostgreSQL; SQLite's write
   * transaction already excludes other writers). Intents that lock several
   * jobs take them all first, in one order, and take a job's row before its
   * runs' rows, so two nodes never wait on each other in a circle. One job
   * is locked only with `evenOne`: otherwise the intent's next statement on
   * it is one that locks it (a run's insert reads its job for update first).
   */
  *lockInOrder(ids: Iterable<number>, { evenOne = false }: { evenOne?: boolean } = {}): Work<void> {
    const unique = [...new Set(ids)];
    if (unique.length < (evenOne ? 1 : 2)) return;
    // One parameter however many jobs (a start-up's next fires can be 100,000: beyond PostgreSQL's 65,535 parameters).
    yield* all(LOCK_IDS, JSON.stringify(unique));
  },

  /**
   * Jobs' rows by id, locked in ascending id order even if there is one:
   * for intents whose first write is to a run (a claim, a cancel, an
   * interruption), which must hold the job's row before it (lockInOrder).
   * Jobs that do not exist are missing from the map.
   */
  *lockRows(ids: Iterable<number>): Work<Map<number, JobRow>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    return new Map((yield* all<JobRow>(LOCK_ROWS, JSON.stringify(unique))).map((job) => [job.id, job]));
  },

  /**
   * The job, locked for the rest of the transaction: intents that read a job's
   * runs or incident before writing them (queue, a run's end, follow-ups) take
   * it first, so two nodes acting on one job take turns.
   */
  getForUpdate(id: number): Work<JobRow | undefined> {
    return get<JobRow>(BY_ID_FOR_UPDATE, id);
  },

  /** The job's row locked to be deleted: no run of it is inserted or written twice meanwhile. */
  *lockForDelete(id: number): Work<void> {
    yield* get(FOR_DELETE, id);
  },

  getByName(name: string): Work<JobRow | undefined> {
    return get<JobRow>(BY_NAME, name);
  },

  /**
   * The list's order and the fields that change without a new revision, as
   * arrays (cheap to read for 10,000 jobs): [id, revision, next_fire_at,
   * last_run_id, last_status, last_run_at].
   */
  *listKeys(filter: JobListFilter): Work<{ rows: JobKeyRow[]; total: number }> {
    const where = whereOf(filter);
    const limit = filter.limit ?? -1;
    const offset = filter.offset ?? 0;
    const order = filter.order === 'id' ? { sqlite: 'ORDER BY id', pg: 'ORDER BY id' } : LIST_ORDER;
    const head = 'SELECT id, revision, next_fire_at, last_run_id, last_status, last_run_at FROM jobs';
    // SQLite's "no limit" is LIMIT -1; PostgreSQL's is LIMIT NULL.
    const page: Sql = dynamicSql(`${head} ${where.sqlite} ${order.sqlite} LIMIT ? OFFSET ?`, `${head} ${where.pg} ${order.pg} LIMIT NULLIF(?::bigint, -1) OFFSET ?`);
    const rows = yield* allRaw<JobKeyRow>(page, ...where.args, limit, offset);
    const total = limit === -1 && offset === 0 ? rows.length : (yield* get<{ n: number }>(dynamicSql(`SELECT COUNT(*) AS n FROM jobs ${where.sqlite}`, `SELECT COUNT(*) AS n FROM jobs ${where.pg}`), ...where.args))!.n;
    return { rows, total };
  },

  /** Jobs' ids and revisions in id order, a page at a time (the ids after `afterId`). */
  *revisions(afterId: number, limit: number): Work<[id: number, revision: number][]> {
    return yield* allRaw<[number, number]>(REVISIONS, afterId, limit);
  },

  /** Summary rows (no script) of some jobs. */
  summaries(ids: number[]): Work<JobRow[]> {
    return all<JobRow>(dynamicSql(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id IN (${ids.map(() => '?').join(',')})`), ...ids);
  },

  all(): Work<JobRow[]> {
    return all<JobRow>(ALL);
  },

  *groups(): Work<string[]> {
    return (yield* all<{ grp: string }>(GROUPS)).map((r) => r.grp);
  },

  *insert(spec: JobSpec, md5: string, archived: boolean, nextFireAt: number | null, by: string, at: number): Work<number> {
    const { id } = (yield* get<{ id: number }>(INSERT, ...specValues(spec), md5, archived ? 1 : 0, nextFireAt, at, by, at, by))!;
    yield* run(ADD_VERSION, id, id, spec.script, md5, by, at);
    return id;
  },

  /**
   * Writes a whole spec over the given revision; records a script version when
   * the script changed. False when the job is at another revision (someone
   * saved in between) or gone.
   */
  *update(id: number, revision: number, spec: JobSpec, md5: string, archived: boolean, nextFireAt: number | null, scriptChanged: boolean, by: string, at: number): Work<boolean> {
    const changed = yield* run(UPDATE, ...specValues(spec), md5, archived ? 1 : 0, nextFireAt, at, by, id, revision);
    if (changed === 0) return false;
    if (scriptChanged) yield* run(ADD_VERSION, id, id, spec.script, md5, by, at);
    return true;
  },

  history(id: number): Work<{ version: number; md5: string; script: string; saved_by: string; saved_at: number }[]> {
    return all(HISTORY, id);
  },

  *setNextFire(id: number, at: number | null): Work<void> {
    yield* run(SET_NEXT_FIRE, at, id);
  },

  *setLastRun(id: number, runId: number, status: RunStatus, at: number): Work<void> {
    yield* run(SET_LAST_RUN, runId, status, at, id, runId);
  },

  /** Jobs triggered by other jobs (waiting for them, not gated), enabled and not archived. */
  dependents(): Work<JobRow[]> {
    return all<JobRow>(DEPENDENTS);
  },

  /** Cheap (a partial index): is any job waiting for others? */
  *hasDependents(): Work<boolean> {
    return (yield* get(HAS_DEPENDENTS)) !== undefined;
  },

  /** Enabled, unarchived jobs with a schedule: what the scheduler fires. */
  schedulable(): Work<SchedulableRow[]> {
    return all<SchedulableRow>(SCHEDULABLE);
  },

  /**
   * Enabled, unarchived jobs' stored next fires at or after `from`, earliest
   * first, as [id, at] pairs: read from the job-list index alone (no row is
   * visited), so 100,000 of them cost what a job list does. A manual job has
   * no next fire, so none is among them.
   */
  nextFiresFrom(from: number): Work<[id: number, at: number][]> {
    return allRaw<[number, number]>(NEXT_FIRES_FROM, from);
  },

  /**
   * The schedulable jobs whose next fire is not stored, or is before `before`
   * (missed): what start-up must compute. Two ranges of the job-list index
   * (an OR of them would walk every enabled job).
   */
  schedulableToCompute(before: number): Work<SchedulableRow[]> {
    return all<SchedulableRow>(TO_COMPUTE, before);
  },

  schedulableOne(id: number): Work<SchedulableRow | undefined> {
    return get<SchedulableRow>(SCHEDULABLE_ONE, id);
  },

  *count(): Work<number> {
    return (yield* get<{ n: number }>(COUNT))!.n;
  },
};
