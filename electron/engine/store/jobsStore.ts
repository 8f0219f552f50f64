/**
 * Jobs in the store: reads, and the intents that change them. Each intent is
 * one transaction that also writes its audit entry and tells other processes
 * (through the jobs version) that their schedules are stale.
 */
import { JobdeckError } from '../../../shared/errors';
import type { JobSpec } from '../../../shared/model/job';
import type { NewAudit } from './tables/auditTable';
import type { JobListFilter, JobKeyRow, SchedulableRow } from './tables/jobsTable';
import type { JobRow } from './rows';
import type { Tables, Tx } from './tables';

export type { JobListFilter, JobKeyRow, SchedulableRow };

/** What a write of a job's whole definition needs besides the spec. */
export interface JobWrite {
  spec: JobSpec;
  md5: string;
  archived: boolean;
  nextFireAt: number | null;
  by: string;
  at: number;
  audit: Omit<NewAudit, 'at' | 'actor' | 'targetId' | 'jobId'> | null;
}

export interface JobReplace extends JobWrite {
  scriptChanged: boolean;
}

/** Settings key bumped by every change to job definitions. */
export const JOBS_VERSION = 'jobs.version';

export const nameTaken = (name: string, field = 'name'): JobdeckError =>
  new JobdeckError('NAME_TAKEN', `a job named "${name}" already exists (names are compared without case)`, field);

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export class JobsStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  // ----- reads -----

  get(id: number): JobRow | undefined {
    return this.t.jobs.get(id);
  }

  /** Is any job waiting for other jobs (trigger `dependency`)? */
  hasDependents(): boolean {
    return this.t.jobs.hasDependents();
  }

  getByName(name: string): JobRow | undefined {
    return this.t.jobs.getByName(name);
  }

  listKeys(filter: JobListFilter): { rows: JobKeyRow[]; total: number } {
    return this.t.jobs.listKeys(filter);
  }

  revisions(afterId: number, limit: number): [id: number, revision: number][] {
    return this.t.jobs.revisions(afterId, limit);
  }

  summaries(ids: number[]): JobRow[] {
    return this.t.jobs.summaries(ids);
  }

  all(): JobRow[] {
    return this.t.jobs.all();
  }

  groups(): string[] {
    return this.t.jobs.groups();
  }

  history(id: number) {
    return this.t.jobs.history(id);
  }

  schedulable(): SchedulableRow[] {
    return this.t.jobs.schedulable();
  }

  schedulableOne(id: number): SchedulableRow | undefined {
    return this.t.jobs.schedulableOne(id);
  }

  nextFiresFrom(from: number): [id: number, at: number][] {
    return this.t.jobs.nextFiresFrom(from);
  }

  schedulableToCompute(before: number): SchedulableRow[] {
    return this.t.jobs.schedulableToCompute(before);
  }

  count(): number {
    return this.t.jobs.count();
  }

  /** Bumped by every change to job definitions; another process reloads its schedule when it moves. */
  version(): number {
    return this.t.settings.get(JOBS_VERSION, 0);
  }

  // ----- intents -----

  /** Creates a job; throws NAME_TAKEN. Returns its id. */
  create(w: JobWrite): number {
    try {
      return this.tx(() => {
        if (this.t.jobs.getByName(w.spec.name)) throw nameTaken(w.spec.name);
        const id = this.t.jobs.insert(w.spec, w.md5, w.archived, w.nextFireAt, w.by, w.at);
        this.audit(w, id);
        this.bump();
        return id;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(w.spec.name);
      throw err;
    }
  }

  /**
   * Writes a job's whole definition over the revision it was read at; false
   * when someone saved in between (the caller reads again). Throws NAME_TAKEN.
   */
  replace(id: number, revision: number, w: JobReplace, nameField = 'changes.name'): boolean {
    try {
      return this.tx(() => {
        const other = this.t.jobs.getByName(w.spec.name);
        if (other && other.id !== id) throw nameTaken(w.spec.name, nameField);
        if (!this.t.jobs.update(id, revision, w.spec, w.md5, w.archived, w.nextFireAt, w.scriptChanged, w.by, w.at)) return false;
        this.audit(w, id);
        this.bump();
        return true;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(w.spec.name, nameField);
      throw err;
    }
  }

  /** Creates and replaces jobs all at once (an import), with one audit entry. Returns the ids written. */
  importAll(creates: JobWrite[], replaces: { id: number; revision: number; write: JobReplace }[], audit: NewAudit | null): number[] {
    return this.tx(() => {
      const ids: number[] = [];
      for (const w of creates) {
        if (this.t.jobs.getByName(w.spec.name)) throw nameTaken(w.spec.name);
        ids.push(this.t.jobs.insert(w.spec, w.md5, w.archived, w.nextFireAt, w.by, w.at));
      }
      for (const { id, revision, write: w } of replaces) {
        if (!this.t.jobs.update(id, revision, w.spec, w.md5, w.archived, w.nextFireAt, w.scriptChanged, w.by, w.at)) {
          throw new JobdeckError('CONFLICT', `job "${w.spec.name}" was changed while importing; try again`, 'document');
        }
        ids.push(id);
      }
      if (audit) this.t.audit.add(audit);
      if (ids.length) this.bump();
      return ids;
    });
  }

  /** Stores the next fire times the scheduler computed (no runs created). */
  setNextFires(next: readonly [jobId: number, at: number | null][]): void {
    if (next.length === 0) return;
    this.tx(() => {
      for (const [jobId, at] of next) this.t.jobs.setNextFire(jobId, at);
    });
  }

  private audit(w: JobWrite, id: number): void {
    if (!w.audit) return;
    this.t.audit.add({ ...w.audit, at: w.at, actor: w.by, targetId: id, jobId: id });
  }

  private bump(): void {
    this.t.settings.set(JOBS_VERSION, this.t.settings.get(JOBS_VERSION, 0) + 1);
  }
}
