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
import type { EngineStore as Store } from '../store/engineStore';
import { jobsNaming } from './jobReferences';
import { checkWithLookup } from '../nameLookup';
import { copyNames, diffSpecs, md5, nextFireFor, sameJson } from './jobSpec';

export interface JobsServiceDeps {
  store: Store;
  clock: Clock;
  summaries: JobSummaries;
  /** A job was created or changed here: its schedule and listeners hear of it. */
  changed(jobId: number): Promise<void>;
  /** Cancels the job's waiting runs (an archived job is out of use). */
  cancelQueued(jobId: number, ctx: CallContext): Promise<void>;
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

/** A job's workflow and dependencies checked against the stored jobs. */
async function checkReferences(spec: JobSpec, store: Store): Promise<void> {
  await checkWithLookup(jobRefLookup(store), (lookup) => checkWorkflow(spec, lookup));
  await checkWithLookup(storedDependencies(store), (lookup) => checkDependencies(spec, lookup));
}

/** What the dependency check needs of stored jobs. */
function storedDependencies(store: Store): (name: string) => Promise<DependencyInfo | undefined> {
  return async (name) => {
    const row = await store.jobs.getByName(name);
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

  private async row(id: number): Promise<JobRow> {
    const row = await this.deps.store.jobs.get(id);
    if (!row) throw notFound('job', id);
    return row;
  }

  async get(id: number): Promise<Job> {
    return toJob(await this.row(id));
  }

  /** One job by its name (names compare without case). */
  async find(name: string): Promise<Job> {
    const row = await this.deps.store.jobs.getByName(name);
    if (!row) throw new JobdeckError('NOT_FOUND', `no job named "${name}"`, 'name');
    return toJob(row);
  }

  list(filter: JobListFilter): Promise<{ items: JobSummary[]; total: number }> {
    return this.deps.summaries.list({ ...filter, limit: filter.limit ?? JOBS_PAGE_DEFAULT });
  }

  groups(): Promise<string[]> {
    return this.deps.store.jobs.groups();
  }

  async history(id: number): Promise<ScriptVersion[]> {
    await this.row(id);
    return (await this.deps.store.jobs.history(id)).map((v) => ({
      version: v.version,
      md5: v.md5,
      script: v.script,
      savedBy: v.saved_by,
      savedAt: new Date(v.saved_at).toISOString(),
    }));
  }

  async create(input: ParsedInput<'jobs.create'>, ctx: CallContext): Promise<Job> {
    const spec = { ...JOB_DEFAULTS, ...normaliseWorkflow(input) } as JobSpec;
    checkParams(spec);
    await checkReferences(spec, this.deps.store);
    const now = this.deps.clock.now();
    const { script: _s, ...details } = spec;
    const id = await this.deps.store.jobs.create({
      spec,
      md5: md5(spec.script),
      archived: false,
      nextFireAt: nextFireFor(spec, false, now),
      by: ctx.actor,
      at: now,
      audit: { action: 'job.create', targetType: 'job', targetName: spec.name, details: { ...details, scriptMd5: md5(spec.script) } },
    });
    await this.deps.changed(id);
    return this.get(id);
  }

  async update(input: ParsedInput<'jobs.update'>, ctx: CallContext): Promise<Job> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const row = await this.row(input.id);
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
      await checkReferences(after, this.deps.store);
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
      if (await this.deps.store.jobs.replace(row.id, row.revision, write)) {
        await this.deps.changed(row.id);
        return this.get(row.id);
      }
      // Saved by someone else between the read and the write: read again (or say so, with ifRevision).
    }
    throw new JobdeckError('CONFLICT', `job ${input.id} keeps changing; try again`, 'id');
  }

  async setArchived(id: number, archived: boolean, ctx: CallContext): Promise<Job> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const row = await this.row(id);
      if ((row.archived === 1) === archived) return toJob(row);
      const spec = specOf(row);
      const now = this.deps.clock.now();
      const done = await this.deps.store.jobs.replace(row.id, row.revision, {
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
      await this.deps.changed(id);
      // An archived job is out of use: its waiting runs are cancelled (running ones finish).
      if (archived) await this.deps.cancelQueued(id, ctx);
      return this.get(id);
    }
    throw new JobdeckError('CONFLICT', `job ${id} keeps changing; try again`, 'id');
  }

  /**
   * Deletes a job with its runs, logs and result files (see JobDeletion).
   * Refused while a run of it is queued or in progress, and while another
   * job waits for it or runs it as a workflow task (naming them).
   */
  async delete(id: number, ctx: CallContext): Promise<JobDeletionResult> {
    const row = await this.row(id);
    const counts = await this.deps.store.jobDeletion.delete(row, ctx.actor, this.deps.clock.now(), (jobs) => {
      const needed = jobsNaming(jobs, row.name);
      if (needed.length > 0) {
        const shown = needed.slice(0, 5).join(', ') + (needed.length > 5 ? ` and ${needed.length - 5} more` : '');
        throw new JobdeckError('CONFLICT', `job "${row.name}" is needed by ${shown}: change them first`, 'id');
      }
    });
    await this.deps.changed(id);
    this.deps.deleted(id);
    return { id, name: row.name, ...counts };
  }

  /** A disabled copy under a new name: the given one, or the first free "(copy N)". */
  async duplicate(id: number, name: string | undefined, ctx: CallContext): Promise<Job> {
    const row = await this.row(id);
    let newName = name;
    if (!newName) {
      for (const candidate of copyNames(row.name)) {
        if (!(await this.deps.store.jobs.getByName(candidate))) {
          newName = candidate;
          break;
        }
      }
      if (!newName) throw nameTaken(`${row.name} (copy …)`, 'name');
    }
    const spec = { ...specOf(row), name: newName, enabled: false };
    const job = await this.create(spec, ctx);
    await this.deps.store.audit.record({
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
  async export(jobId?: number): Promise<ExportDocument> {
    const rows = jobId === undefined ? await this.deps.store.jobs.all() : [await this.row(jobId)];
    return {
      format: 'jobdeck-export',
      version: 1,
      exportedAt: new Date(this.deps.clock.now()).toISOString(),
      jobs: rows.map((row) => ({ ...specOf(row), archived: row.archived === 1 })),
    };
  }

  /** Creates or updates (by name) every job of an export document, all or nothing. */
  async import(document: unknown, dryRun: boolean, ctx: CallContext): Promise<ImportReport> {
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
    const lookup = async (name: string): Promise<JobRef | undefined> => {
      const j = inDocument.get(name.toLowerCase());
      return j ? { name: j.name, runtime: j.runtime, script: j.script, timeoutSeconds: j.timeoutSeconds ?? null, archived: j.archived } : stored(name);
    };
    await checkWithLookup(lookup, (found) => doc.jobs.forEach((job, i) => checkWorkflow(job, found, `document.jobs.${i}.workflow`)));
    const storedDeps = storedDependencies(this.deps.store);
    const depLookup = async (name: string): Promise<DependencyInfo | undefined> => {
      const j = inDocument.get(name.toLowerCase());
      return j ? { name: j.name, after: j.after ?? [], gated: (j.gate ?? null) !== null } : storedDeps(name);
    };
    await checkWithLookup(depLookup, (found) => doc.jobs.forEach((job, i) => checkDependencies(job, found, `document.jobs.${i}.`)));
    const report: ImportReport = { dryRun, created: [], updated: [], unchanged: [] };
    const now = this.deps.clock.now();
    const creates: JobWrite[] = [];
    const replaces: { id: number; revision: number; write: JobReplace }[] = [];
    for (const { archived, ...spec } of doc.jobs) {
      const row = await this.deps.store.jobs.getByName(spec.name);
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
    const touched = await this.deps.store.jobs.importAll(creates, replaces, {
      at: now,
      actor: ctx.actor,
      action: 'jobs.import',
      targetType: 'import',
      details: { created: report.created, updated: report.updated, unchanged: report.unchanged.length },
    });
    for (const id of touched) await this.deps.changed(id);
    return report;
  }
}
