/** Creating, editing, archiving, copying, listing, exporting and importing jobs. */
import { JOBS_PAGE_DEFAULT, type CallContext, type ParsedInput } from '../../../shared/contract';
import { validationError } from '../../../shared/dispatch';
import { iso } from '../../../shared/dates';
import { JobdeckError, notFound } from '../../../shared/errors';
import { JOB_DEFAULTS, paramValuesProblem, type Job, type JobDeletionResult, type JobSpec, type JobSummary, type ScriptVersion } from '../../../shared/model/job';
import { normaliseWorkflow, type JobChanges } from '../../../shared/model/jobInput';
import { WORKFLOW_RUNTIME } from '../../../shared/model/workflow';
import { buildPlan, jobRefLookup, parseWorkflow, type JobRef } from '../workflows/plan';
import { checkDependencies, type DependencyInfo } from './dependencyCheck';
import { exportDocumentSchema, type ExportDocument, type ImportReport } from '../../../shared/model/misc';
import type { Clock } from '../clock';
import type { JobSummaries } from '../jobSummaries';
import { nameTaken, type JobListFilter, type JobReplace, type JobWrite } from '../store/jobsStore';
import { specOf, toJob, type JobRow } from '../store/rows';
import type { Store } from '../store/store';
import { jobsNaming } from './jobReferences';
import { copyNames, diffSpecs, md5, nextFireFor, sameJson } from './jobSpec';

export interface JobsServiceDeps {
  store: Store;
  clock: Clock;
  summaries: JobSummaries;
  /** A job was created or changed here: its schedule and listeners hear of it. */
  changed(jobId: number): void;
  /** Cancels the job's waiting runs (an archived job is out of use). */
  cancelQueued(jobId: number, ctx: CallContext): void;
  /** A job was deleted: forget what is kept of it and remove its run folders from disk (in the background). */
  deleted(jobId: number): void;
}

/** Most attempts at writing a job when other writers keep saving it in between. */
const MAX_WRITE_ATTEMPTS = 5;

/**
 * A workflow must expand: its references name existing jobs without a cycle,
 * its conditions and templates parse, it stays within the limits. `lookup`
 * sees the jobs as they will be (an import's document before the store).
 */
function checkWorkflow(spec: JobSpec, lookup: (name: string) => JobRef | undefined, field = 'workflow'): void {
  if (spec.runtime !== WORKFLOW_RUNTIME) return;
  buildPlan(parseWorkflow(spec.script, field), spec.name, lookup, field);
}

/** What the dependency check needs of stored jobs. */
function storedDependencies(store: Store): (name: string) => DependencyInfo | undefined {
  return (name) => {
    const row = store.jobs.getByName(name);
    if (!row) return undefined;
    const spec = specOf(row);
    return { name: row.name, after: spec.after, gated: spec.gate !== null };
  };
}

function checkParams(spec: JobSpec, prefix = ''): void {
  const problem = paramValuesProblem(spec.params, spec.paramValues);
  if (problem) {
    const field = prefix + problem[0];
    throw new JobdeckError('VALIDATION_FAILED', `${field}: ${problem[1]}`, field);
  }
}

export class JobsService {
  constructor(private readonly deps: JobsServiceDeps) {}

  private row(id: number): JobRow {
    const row = this.deps.store.jobs.get(id);
    if (!row) throw notFound('job', id);
    return row;
  }

  get(id: number): Job {
    return toJob(this.row(id));
  }

  /** One job by its name (names compare without case). */
  find(name: string): Job {
    const row = this.deps.store.jobs.getByName(name);
    if (!row) throw new JobdeckError('NOT_FOUND', `no job named "${name}"`, 'name');
    return toJob(row);
  }

  list(filter: JobListFilter): { items: JobSummary[]; total: number } {
    return this.deps.summaries.list({ ...filter, limit: filter.limit ?? JOBS_PAGE_DEFAULT });
  }

  groups(): string[] {
    return this.deps.store.jobs.groups();
  }

  history(id: number): ScriptVersion[] {
    this.row(id);
    return this.deps.store.jobs.history(id).map((v) => ({
      version: v.version,
      md5: v.md5,
      script: v.script,
      savedBy: v.saved_by,
      savedAt: new Date(v.saved_at).toISOString(),
    }));
  }

  create(input: ParsedInput<'jobs.create'>, ctx: CallContext): Job {
    const spec = { ...JOB_DEFAULTS, ...normaliseWorkflow(input) } as JobSpec;
    checkParams(spec);
    checkWorkflow(spec, jobRefLookup(this.deps.store));
    checkDependencies(spec, storedDependencies(this.deps.store));
    const now = this.deps.clock.now();
    const { script: _s, ...details } = spec;
    const id = this.deps.store.jobs.create({
      spec,
      md5: md5(spec.script),
      archived: false,
      nextFireAt: nextFireFor(spec, false, now),
      by: ctx.actor,
      at: now,
      audit: { action: 'job.create', targetType: 'job', targetName: spec.name, details: { ...details, scriptMd5: md5(spec.script) } },
    });
    this.deps.changed(id);
    return this.get(id);
  }

  update(input: ParsedInput<'jobs.update'>, ctx: CallContext): Job {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const row = this.row(input.id);
      if (input.ifRevision !== undefined && input.ifRevision !== row.revision) {
        throw new JobdeckError(
          'CONFLICT',
          `job "${row.name}" was changed by ${row.updated_by} at ${iso(row.updated_at)} (revision ${row.revision}, you edited revision ${input.ifRevision}); reload it and try again`,
          'ifRevision',
        );
      }
      const before = specOf(row);
      const after = { ...before, ...normaliseWorkflow(input.changes as JobChanges) } as JobSpec;
      checkParams(after);
      checkWorkflow(after, jobRefLookup(this.deps.store));
      checkDependencies(after, storedDependencies(this.deps.store));
      const diff = diffSpecs(before, after);
      if (Object.keys(diff).length === 0) return toJob(row);
      const now = this.deps.clock.now();
      const timing = diff.schedule || diff.enabled || row.next_fire_at === null;
      const write: JobReplace = {
        spec: after,
        md5: md5(after.script),
        archived: row.archived === 1,
        nextFireAt: timing ? nextFireFor(after, row.archived === 1, now) : row.next_fire_at,
        scriptChanged: Boolean(diff.script),
        by: ctx.actor,
        at: now,
        audit: { action: 'job.update', targetType: 'job', targetName: after.name, details: { changes: diff } },
      };
      if (this.deps.store.jobs.replace(row.id, row.revision, write)) {
        this.deps.changed(row.id);
        return this.get(row.id);
      }
      // Saved by someone else between the read and the write: read again (or say so, with ifRevision).
    }
    throw new JobdeckError('CONFLICT', `job ${input.id} keeps changing; try again`, 'id');
  }

  setArchived(id: number, archived: boolean, ctx: CallContext): Job {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const row = this.row(id);
      if ((row.archived === 1) === archived) return toJob(row);
      const spec = specOf(row);
      const now = this.deps.clock.now();
      const done = this.deps.store.jobs.replace(row.id, row.revision, {
        spec,
        md5: row.script_md5,
        archived,
        nextFireAt: nextFireFor(spec, archived, now),
        scriptChanged: false,
        by: ctx.actor,
        at: now,
        audit: { action: archived ? 'job.archive' : 'job.unarchive', targetType: 'job', targetName: row.name },
      });
      if (!done) continue;
      this.deps.changed(id);
      // An archived job is out of use: its waiting runs are cancelled (running ones finish).
      if (archived) this.deps.cancelQueued(id, ctx);
      return this.get(id);
    }
    throw new JobdeckError('CONFLICT', `job ${id} keeps changing; try again`, 'id');
  }

  /**
   * Deletes a job with its runs, logs and result files (see JobDeletion).
   * Refused while a run of it is queued or in progress, and while another
   * job waits for it or runs it as a workflow task (naming them).
   */
  delete(id: number, ctx: CallContext): JobDeletionResult {
    const row = this.row(id);
    const counts = this.deps.store.jobDeletion.delete(row, ctx.actor, this.deps.clock.now(), (jobs) => {
      const needed = jobsNaming(jobs, row.name);
      if (needed.length > 0) {
        const shown = needed.slice(0, 5).join(', ') + (needed.length > 5 ? ` and ${needed.length - 5} more` : '');
        throw new JobdeckError('CONFLICT', `job "${row.name}" is needed by ${shown}: change them first`, 'id');
      }
    });
    this.deps.changed(id);
    this.deps.deleted(id);
    return { id, name: row.name, ...counts };
  }

  /** A disabled copy under a new name: the given one, or the first free "(copy N)". */
  duplicate(id: number, name: string | undefined, ctx: CallContext): Job {
    const row = this.row(id);
    let newName = name;
    if (!newName) {
      for (const candidate of copyNames(row.name)) {
        if (!this.deps.store.jobs.getByName(candidate)) {
          newName = candidate;
          break;
        }
      }
      if (!newName) throw nameTaken(`${row.name} (copy …)`, 'name');
    }
    const spec = { ...specOf(row), name: newName, enabled: false };
    const job = this.create(spec, ctx);
    this.deps.store.audit.record({
      at: this.deps.clock.now(),
      actor: ctx.actor,
      action: 'job.duplicate',
      targetType: 'job',
      targetId: job.id,
      targetName: job.name,
      jobId: job.id,
      details: { from: { id: row.id, name: row.name } },
    });
    return job;
  }

  /** Every job, or only the one given, as a document `import` takes. */
  export(jobId?: number): ExportDocument {
    const rows = jobId === undefined ? this.deps.store.jobs.all() : [this.row(jobId)];
    return {
      format: 'jobdeck-export',
      version: 1,
      exportedAt: new Date(this.deps.clock.now()).toISOString(),
      jobs: rows.map((row) => ({ ...specOf(row), archived: row.archived === 1 })),
    };
  }

  /** Creates or updates (by name) every job of an export document, all or nothing. */
  import(document: unknown, dryRun: boolean, ctx: CallContext): ImportReport {
    const parsed = exportDocumentSchema.safeParse(document);
    if (!parsed.success) throw validationError(parsed.error.issues, 'document');
    const doc = parsed.data;
    const seen = new Map<string, number>();
    doc.jobs.forEach((job, i) => {
      const key = job.name.toLowerCase();
      if (seen.has(key)) {
        throw new JobdeckError('VALIDATION_FAILED', `document.jobs.${i}.name: "${job.name}" appears twice (also at jobs.${seen.get(key)})`, `document.jobs.${i}.name`);
      }
      seen.set(key, i);
      checkParams({ ...job }, `document.jobs.${i}.`);
    });
    // References resolve against the document first: it may bring the jobs a workflow names.
    const stored = jobRefLookup(this.deps.store);
    const inDocument = new Map(doc.jobs.map((j) => [j.name.toLowerCase(), j]));
    const lookup = (name: string): JobRef | undefined => {
      const j = inDocument.get(name.toLowerCase());
      return j ? { name: j.name, runtime: j.runtime, script: j.script, timeoutSeconds: j.timeoutSeconds ?? null, archived: j.archived } : stored(name);
    };
    doc.jobs.forEach((job, i) => checkWorkflow(job, lookup, `document.jobs.${i}.workflow`));
    const storedDeps = storedDependencies(this.deps.store);
    const depLookup = (name: string): DependencyInfo | undefined => {
      const j = inDocument.get(name.toLowerCase());
      return j ? { name: j.name, after: j.after ?? [], gated: (j.gate ?? null) !== null } : storedDeps(name);
    };
    doc.jobs.forEach((job, i) => checkDependencies(job, depLookup, `document.jobs.${i}.`));
    const report: ImportReport = { dryRun, created: [], updated: [], unchanged: [] };
    const now = this.deps.clock.now();
    const creates: JobWrite[] = [];
    const replaces: { id: number; revision: number; write: JobReplace }[] = [];
    for (const { archived, ...spec } of doc.jobs) {
      const row = this.deps.store.jobs.getByName(spec.name);
      const base = { spec, md5: md5(spec.script), archived, nextFireAt: nextFireFor(spec, archived, now), by: ctx.actor, at: now, audit: null };
      if (!row) {
        report.created.push(spec.name);
        creates.push(base);
        continue;
      }
      const before = specOf(row);
      if (sameJson(before, { ...before, ...spec }) && (row.archived === 1) === archived) {
        report.unchanged.push(spec.name);
        continue;
      }
      report.updated.push(spec.name);
      replaces.push({ id: row.id, revision: row.revision, write: { ...base, scriptChanged: before.script !== spec.script } });
    }
    if (dryRun || (creates.length === 0 && replaces.length === 0)) return report;
    const touched = this.deps.store.jobs.importAll(creates, replaces, {
      at: now,
      actor: ctx.actor,
      action: 'jobs.import',
      targetType: 'import',
      details: { created: report.created, updated: report.updated, unchanged: report.unchanged.length },
    });
    for (const id of touched) this.deps.changed(id);
    return report;
  }
}
