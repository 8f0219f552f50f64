/** Statements on jobs and their script versions. Only the store's intents call the writing ones. */
import type { JobSpec, RunStatus } from '../../../../shared/model/job';
import type { Db } from '../database';
import { SUMMARY_COLUMNS, specColumns, type JobRow } from '../rows';
import { nextIdSql } from '../idFloors';
import { likeEscape, StatementCache } from '../statements';

export interface JobListFilter {
  search?: string;
  group?: string;
  lastStatus?: RunStatus | 'NEVER';
  archived?: 'exclude' | 'include' | 'only';
  order?: 'schedule' | 'id';
  limit?: number;
  offset?: number;
}

/** Order of the job list: next execution first; disabled, then archived, last. */
const LIST_ORDER = 'ORDER BY archived, enabled DESC, next_fire_at IS NULL, next_fire_at, name COLLATE NOCASE';

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

export class JobsTable {
  private readonly q: StatementCache;
  private readonly byId;
  private readonly byName;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly versionStmt;
  private readonly historyStmt;
  private readonly nextFireStmt;
  private readonly lastRunStmt;

  constructor(private readonly db: Db) {
    this.q = new StatementCache(db);
    this.byId = db.prepare('SELECT * FROM jobs WHERE id = ?');
    this.byName = db.prepare('SELECT * FROM jobs WHERE name = ? COLLATE NOCASE');
    this.insertStmt = db.prepare(`INSERT INTO jobs (id, name, grp, description, script, script_md5, runtime, params, param_values, user,
      schedule_kind, interval_s, cron_expr, timezone, enabled, timeout_s, overlap, retry_count, retry_delay_s, misfire,
      lock_name, retention, after_deps, gate_minutes, notify, warm, archived, next_fire_at, created_at, created_by, updated_at, updated_by)
      VALUES (${nextIdSql('jobs')}, @name, @grp, @description, @script, @script_md5, @runtime, @params, @param_values, @user,
      @schedule_kind, @interval_s, @cron_expr, @timezone, @enabled, @timeout_s, @overlap, @retry_count, @retry_delay_s, @misfire,
      @lock_name, @retention, @after_deps, @gate_minutes, @notify, @warm, @archived, @next_fire_at, @at, @by, @at, @by)`);
    this.updateStmt = db.prepare(`UPDATE jobs SET name=@name, grp=@grp, description=@description, script=@script,
      script_md5=@script_md5, runtime=@runtime, params=@params, param_values=@param_values, user=@user,
      schedule_kind=@schedule_kind, interval_s=@interval_s, cron_expr=@cron_expr, timezone=@timezone, enabled=@enabled,
      timeout_s=@timeout_s, overlap=@overlap, retry_count=@retry_count, retry_delay_s=@retry_delay_s, misfire=@misfire,
      lock_name=@lock_name, retention=@retention, after_deps=@after_deps, gate_minutes=@gate_minutes, notify=@notify, warm=@warm, archived=@archived, next_fire_at=@next_fire_at,
      revision = revision + 1, updated_at=@at, updated_by=@by WHERE id=@id AND revision=@revision`);
    this.versionStmt = db.prepare(
      `INSERT INTO script_versions (job_id, version, script, md5, saved_by, saved_at)
       VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM script_versions WHERE job_id = ?), ?, ?, ?, ?)`,
    );
    this.historyStmt = db.prepare(
      'SELECT version, md5, script, saved_by, saved_at FROM script_versions WHERE job_id = ? ORDER BY version DESC',
    );
    this.nextFireStmt = db.prepare('UPDATE jobs SET next_fire_at = ? WHERE id = ?');
    this.lastRunStmt = db.prepare(
      'UPDATE jobs SET last_run_id = @runId, last_status = @status, last_run_at = @at WHERE id = @id AND (last_run_id IS NULL OR last_run_id <= @runId)',
    );
  }

  get(id: number): JobRow | undefined {
    return this.byId.get(id) as JobRow | undefined;
  }

  getByName(name: string): JobRow | undefined {
    return this.byName.get(name) as JobRow | undefined;
  }

  private where(filter: JobListFilter): { clause: string; args: unknown[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.search) {
      where.push("name LIKE ? ESCAPE '\\'");
      args.push(`%${likeEscape(filter.search)}%`);
    }
    if (filter.group !== undefined) {
      where.push('grp = ? COLLATE NOCASE');
      args.push(filter.group);
    }
    if (filter.lastStatus === 'NEVER') where.push('last_status IS NULL');
    else if (filter.lastStatus) {
      where.push('last_status = ?');
      args.push(filter.lastStatus);
    }
    const archived = filter.archived ?? 'include';
    if (archived === 'exclude') where.push('archived = 0');
    if (archived === 'only') where.push('archived = 1');
    return { clause: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
  }

  /**
   * The list's order and the fields that change without a new revision, as
   * arrays (cheap to read for 10,000 jobs): [id, revision, next_fire_at,
   * last_run_id, last_status, last_run_at].
   */
  listKeys(filter: JobListFilter): { rows: JobKeyRow[]; total: number } {
    const { clause, args } = this.where(filter);
    const limit = filter.limit ?? -1;
    const offset = filter.offset ?? 0;
    const rows = this.q
      .get(`SELECT id, revision, next_fire_at, last_run_id, last_status, last_run_at FROM jobs ${clause} ${filter.order === 'id' ? 'ORDER BY id' : LIST_ORDER} LIMIT ? OFFSET ?`)
      .raw(true)
      .all(...args, limit, offset) as JobKeyRow[];
    const total =
      limit === -1 && offset === 0 ? rows.length : (this.q.get(`SELECT COUNT(*) AS n FROM jobs ${clause}`).get(...args) as { n: number }).n;
    return { rows, total };
  }

  /** Jobs' ids and revisions in id order, a page at a time (the ids after `afterId`). */
  revisions(afterId: number, limit: number): [id: number, revision: number][] {
    return this.q.get('SELECT id, revision FROM jobs WHERE id > ? ORDER BY id LIMIT ?').raw(true).all(afterId, limit) as [number, number][];
  }

  /** Summary rows (no script) of some jobs. */
  summaries(ids: number[]): JobRow[] {
    return this.q.get(`SELECT ${SUMMARY_COLUMNS} FROM jobs WHERE id IN (${ids.map(() => '?').join(',')})`).all(...ids) as JobRow[];
  }

  all(): JobRow[] {
    return this.q.get(`SELECT * FROM jobs ORDER BY id`).all() as JobRow[];
  }

  groups(): string[] {
    return (this.q.get("SELECT DISTINCT grp FROM jobs WHERE grp <> '' ORDER BY grp COLLATE NOCASE").all() as { grp: string }[]).map(
      (r) => r.grp,
    );
  }

  insert(spec: JobSpec, md5: string, archived: boolean, nextFireAt: number | null, by: string, at: number): number {
    const info = this.insertStmt.run({
      ...specColumns(spec),
      script_md5: md5,
      archived: archived ? 1 : 0,
      next_fire_at: nextFireAt,
      at,
      by,
    });
    const id = Number(info.lastInsertRowid);
    this.versionStmt.run(id, id, spec.script, md5, by, at);
    return id;
  }

  /**
   * Writes a whole spec over the given revision; records a script version when
   * the script changed. False when the job is at another revision (someone
   * saved in between) or gone.
   */
  update(id: number, revision: number, spec: JobSpec, md5: string, archived: boolean, nextFireAt: number | null, scriptChanged: boolean, by: string, at: number): boolean {
    const info = this.updateStmt.run({ ...specColumns(spec), script_md5: md5, archived: archived ? 1 : 0, next_fire_at: nextFireAt, at, by, id, revision });
    if (info.changes === 0) return false;
    if (scriptChanged) this.versionStmt.run(id, id, spec.script, md5, by, at);
    return true;
  }

  history(id: number): { version: number; md5: string; script: string; saved_by: string; saved_at: number }[] {
    return this.historyStmt.all(id) as never;
  }

  setNextFire(id: number, at: number | null): void {
    this.nextFireStmt.run(at, id);
  }

  setLastRun(id: number, runId: number, status: RunStatus, at: number): void {
    this.lastRunStmt.run({ runId, status, at, id });
  }

  /** Enabled, unarchived jobs with a schedule: what the scheduler fires. */
  /** Jobs triggered by other jobs (waiting for them, not gated), enabled and not archived. */
  dependents(): JobRow[] {
    return this.q.get("SELECT * FROM jobs WHERE after_deps <> '[]' AND gate_minutes IS NULL AND enabled = 1 AND archived = 0").all() as JobRow[];
  }

  /**
   * Cheap (a partial index): is any job waiting for others? The index is
   * named: left to itself, SQLite walks jobs_list_order's (archived, enabled)
   * prefix instead, reading every job when none waits (0.1 s at 100,000 jobs).
   */
  hasDependents(): boolean {
    return (
      this.q.get("SELECT 1 FROM jobs INDEXED BY jobs_dependents WHERE after_deps <> '[]' AND gate_minutes IS NULL AND enabled = 1 AND archived = 0 LIMIT 1").get() !==
      undefined
    );
  }

  schedulable(): SchedulableRow[] {
    return this.q
      .get(
        `SELECT id, name, schedule_kind, interval_s, cron_expr, timezone, next_fire_at, misfire, updated_at
         FROM jobs WHERE enabled = 1 AND archived = 0 AND schedule_kind <> 'manual'`,
      )
      .all() as SchedulableRow[];
  }

  /**
   * Enabled, unarchived jobs' stored next fires at or after `from`, earliest
   * first, as [id, at] pairs: read from the job-list index alone (no row is
   * visited), so 100,000 of them cost what a job list does. A manual job has
   * no next fire, so none is among them.
   */
  nextFiresFrom(from: number): [id: number, at: number][] {
    return this.q
      .get('SELECT id, next_fire_at FROM jobs WHERE archived = 0 AND enabled = 1 AND (next_fire_at IS NULL) = 0 AND next_fire_at >= ? ORDER BY next_fire_at')
      .raw(true)
      .all(from) as [number, number][];
  }

  /**
   * The schedulable jobs whose next fire is not stored, or is before `before`
   * (missed): what start-up must compute. Two ranges of the job-list index
   * (an OR of them would walk every enabled job).
   */
  schedulableToCompute(before: number): SchedulableRow[] {
    const columns = 'id, name, schedule_kind, interval_s, cron_expr, timezone, next_fire_at, misfire, updated_at';
    const scheduled = "archived = 0 AND enabled = 1 AND schedule_kind <> 'manual'";
    return this.q
      .get(
        `SELECT ${columns} FROM jobs WHERE ${scheduled} AND (next_fire_at IS NULL) = 1
         UNION ALL SELECT ${columns} FROM jobs WHERE ${scheduled} AND (next_fire_at IS NULL) = 0 AND next_fire_at < ?`,
      )
      .all(before) as SchedulableRow[];
  }

  schedulableOne(id: number): SchedulableRow | undefined {
    return this.q
      .get(
        `SELECT id, name, schedule_kind, interval_s, cron_expr, timezone, next_fire_at, misfire, updated_at
         FROM jobs WHERE id = ? AND enabled = 1 AND archived = 0 AND schedule_kind <> 'manual'`,
      )
      .get(id) as SchedulableRow | undefined;
  }

  count(): number {
    return (this.q.get('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
  }
}
