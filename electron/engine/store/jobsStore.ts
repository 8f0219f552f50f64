/**
 * Jobs in the store: reads, and the intents that change them. Each intent is
 * one transaction that also writes its audit entry and tells other processes
 * (through the jobs version) that their schedules are stale.
 */
import { JobdeckError } from '../../../shared/errors';
import type { JobSpec } from '../../../shared/model/job';
import { auditTable, type NewAudit } from './tables/auditTable';
import { jobsTable, type JobListFilter, type JobKeyRow, type SchedulableRow } from './tables/jobsTable';
import { settingsTable } from './tables/settingsTable';
import { isUniqueViolation, type Performed, type StorePart, type Work } from './work';

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

function* auditWrite(w: JobWrite, id: number): Work<void> {
  if (!w.audit) return;
  yield* auditTable.add({ ...w.audit, at: w.at, actor: w.by, targetId: id, jobId: id });
}

/** Tells other processes (and nodes) that job definitions changed. */
function* bump(): Work<void> {
  yield* settingsTable.increment(JOBS_VERSION);
}

const reads = {
  get: jobsTable.get,
  /** Is any job waiting for other jobs (trigger `dependency`)? */
  hasDependents: jobsTable.hasDependents,
  getByName: jobsTable.getByName,
  listKeys: jobsTable.listKeys,
  revisions: jobsTable.revisions,
  summaries: jobsTable.summaries,
  all: jobsTable.all,
  groups: jobsTable.groups,
  history: jobsTable.history,
  schedulable: jobsTable.schedulable,
  schedulableOne: jobsTable.schedulableOne,
  nextFiresFrom: jobsTable.nextFiresFrom,
  schedulableToCompute: jobsTable.schedulableToCompute,
  count: jobsTable.count,
  /** Bumped by every change to job definitions; another process reloads its schedule when it moves. */
  version: (): Work<number> => settingsTable.get(JOBS_VERSION, 0),
};

const writes = {
  /** Creates a job; throws NAME_TAKEN. Returns its id. */
  *create(w: JobWrite): Work<number> {
    if (yield* jobsTable.getByName(w.spec.name)) throw nameTaken(w.spec.name);
    let id: number;
    try {
      id = yield* jobsTable.insert(w.spec, w.md5, w.archived, w.nextFireAt, w.by, w.at);
    } catch (err) {
      // Another process (or node) took the name after the check.
      if (isUniqueViolation(err)) throw nameTaken(w.spec.name);
      throw err;
    }
    yield* auditWrite(w, id);
    yield* bump();
    return id;
  },

  /**
   * Writes a job's whole definition over the revision it was read at; false
   * when someone saved in between (the caller reads again). Throws NAME_TAKEN.
   */
  *replace(id: number, revision: number, w: JobReplace, nameField = 'changes.name'): Work<boolean> {
    const other = yield* jobsTable.getByName(w.spec.name);
    if (other && other.id !== id) throw nameTaken(w.spec.name, nameField);
    let written: boolean;
    try {
      written = yield* jobsTable.update(id, revision, w.spec, w.md5, w.archived, w.nextFireAt, w.scriptChanged, w.by, w.at);
    } catch (err) {
      if (isUniqueViolation(err)) throw nameTaken(w.spec.name, nameField);
      throw err;
    }
    if (!written) return false;
    yield* auditWrite(w, id);
    yield* bump();
    return true;
  },

  /** Creates and replaces jobs all at once (an import), with one audit entry. Returns the ids written. */
  *importAll(creates: JobWrite[], replaces: { id: number; revision: number; write: JobReplace }[], audit: NewAudit | null): Work<number[]> {
    const ids: number[] = [];
    for (const w of creates) {
      if (yield* jobsTable.getByName(w.spec.name)) throw nameTaken(w.spec.name);
      ids.push(yield* jobsTable.insert(w.spec, w.md5, w.archived, w.nextFireAt, w.by, w.at));
    }
    for (const { id, revision, write: w } of replaces) {
      if (!(yield* jobsTable.update(id, revision, w.spec, w.md5, w.archived, w.nextFireAt, w.scriptChanged, w.by, w.at))) {
        throw new JobdeckError('CONFLICT', `job "${w.spec.name}" was changed while importing; try again`, 'document');
      }
      ids.push(id);
    }
    if (audit) yield* auditTable.add(audit);
    if (ids.length) yield* bump();
    return ids;
  },

  /** Stores the next fire times the scheduler computed (no runs created). */
  *setNextFires(next: readonly [jobId: number, at: number | null][]): Work<void> {
    yield* jobsTable.lockInOrder(next.map(([jobId]) => jobId));
    for (const [jobId, at] of next) yield* jobsTable.setNextFire(jobId, at);
  },
};

export const jobsPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type JobsStore = Performed<typeof reads> & Performed<typeof writes>;
