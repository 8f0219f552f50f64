/** Creating, editing, archiving, copying, exporting and importing jobs. */
import { createHash } from 'node:crypto';
import type { CallContext, ParsedInput } from '../../shared/contract';
import { validationError } from '../../shared/dispatch';
import { JobdeckError, notFound } from '../../shared/errors';
import { iso } from '../../shared/dates';
import {
  JOB_DEFAULTS,
  paramValuesProblem,
  type Job,
  type JobChanges,
  type JobCreate,
  type JobSpec,
} from '../../shared/model/job';
import { exportDocumentSchema, type ExportDocument, type ImportReport } from '../../shared/model/misc';
import { nextFireAfter } from '../../shared/schedule';
import type { Engine } from './engine';
import { specOf, toJob, type JobRow } from './store/rows';

export const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');

function checkParams(spec: JobSpec, prefix = ''): void {
  const problem = paramValuesProblem(spec.params, spec.paramValues);
  if (problem) {
    const field = prefix + problem[0];
    throw new JobdeckError('VALIDATION_FAILED', `${field}: ${problem[1]}`, field);
  }
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

const nameTaken = (name: string, field = 'name') =>
  new JobdeckError('NAME_TAKEN', `a job named "${name}" already exists (names are compared without case)`, field);

/** When a job with this spec fires next, counted from now; null when it does not fire. */
function nextFireFor(spec: JobSpec, archived: boolean, now: number): number | null {
  if (!spec.enabled || archived || spec.schedule.kind === 'manual') return null;
  return nextFireAfter(spec.schedule, now);
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Fields that differ between two specs, as {from, to} (scripts by MD5). */
function diffSpecs(before: JobSpec, after: JobSpec): Record<string, { from: unknown; to: unknown }> {
  const out: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof JobSpec)[]) {
    if (sameJson(before[key], after[key])) continue;
    out[key] = key === 'script' ? { from: md5(before.script), to: md5(after.script) } : { from: before[key], to: after[key] };
  }
  return out;
}

function afterJobChange(engine: Engine, jobId: number): void {
  engine.scheduler?.upsert(jobId);
  engine.publishJob(jobId);
}

function getRow(engine: Engine, id: number): JobRow {
  const row = engine.store.jobs.get(id);
  if (!row) throw notFound('job', id);
  return row;
}

export function createJob(engine: Engine, input: JobCreate, ctx: CallContext): Job {
  const spec: JobSpec = { ...JOB_DEFAULTS, ...input } as JobSpec;
  checkParams(spec);
  const { store } = engine;
  const now = engine.clock.now();
  let id: number;
  try {
    id = store.tx(() => {
      if (store.jobs.getByName(spec.name)) throw nameTaken(spec.name);
      const newId = store.jobs.insert(spec, md5(spec.script), false, nextFireFor(spec, false, now), ctx.actor, now);
      const { script: _s, ...details } = spec;
      store.audit.add({
        at: now,
        actor: ctx.actor,
        action: 'job.create',
        targetType: 'job',
        targetId: newId,
        targetName: spec.name,
        jobId: newId,
        details: { ...details, scriptMd5: md5(spec.script) },
      });
      engine.bumpJobsVersion();
      return newId;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(spec.name);
    throw err;
  }
  afterJobChange(engine, id);
  return toJob(getRow(engine, id));
}

export function updateJob(engine: Engine, input: ParsedInput<'jobs.update'>, ctx: CallContext): Job {
  const { store } = engine;
  const now = engine.clock.now();
  let changed = false;
  try {
    store.tx(() => {
      const row = getRow(engine, input.id);
      if (input.ifRevision !== undefined && input.ifRevision !== row.revision) {
        throw new JobdeckError(
          'CONFLICT',
          `job "${row.name}" was changed by ${row.updated_by} at ${iso(row.updated_at)} (revision ${row.revision}, you edited revision ${input.ifRevision}); reload it and try again`,
          'ifRevision',
        );
      }
      const before = specOf(row);
      const after: JobSpec = { ...before, ...(input.changes as JobChanges) } as JobSpec;
      checkParams(after, '');
      const diff = diffSpecs(before, after);
      if (Object.keys(diff).length === 0) return;
      if (diff.name) {
        const other = store.jobs.getByName(after.name);
        if (other && other.id !== row.id) throw nameTaken(after.name, 'changes.name');
      }
      const timing = diff.schedule || diff.enabled || row.next_fire_at === null;
      const next = timing ? nextFireFor(after, row.archived === 1, now) : row.next_fire_at;
      store.jobs.update(row.id, after, md5(after.script), row.archived === 1, next, Boolean(diff.script), ctx.actor, now);
      store.audit.add({
        at: now,
        actor: ctx.actor,
        action: 'job.update',
        targetType: 'job',
        targetId: row.id,
        targetName: after.name,
        jobId: row.id,
        details: { changes: diff },
      });
      engine.bumpJobsVersion();
      changed = true;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(String(input.changes.name), 'changes.name');
    throw err;
  }
  if (changed) afterJobChange(engine, input.id);
  return toJob(getRow(engine, input.id));
}

export function setArchived(engine: Engine, id: number, archived: boolean, ctx: CallContext): Job {
  const { store } = engine;
  const now = engine.clock.now();
  const queuedToCancel: number[] = [];
  const changed = store.tx(() => {
    const row = getRow(engine, id);
    if ((row.archived === 1) === archived) return false;
    const spec = specOf(row);
    store.jobs.update(row.id, spec, row.script_md5, archived, nextFireFor(spec, archived, now), false, ctx.actor, now);
    store.audit.add({
      at: now,
      actor: ctx.actor,
      action: archived ? 'job.archive' : 'job.unarchive',
      targetType: 'job',
      targetId: row.id,
      targetName: row.name,
      jobId: row.id,
    });
    engine.bumpJobsVersion();
    if (archived) for (const r of store.runs.active(row.id)) if (r.status === 'QUEUED') queuedToCancel.push(r.id);
    return true;
  });
  if (changed) afterJobChange(engine, id);
  // An archived job is out of use: its waiting runs are cancelled (running ones finish).
  for (const runId of queuedToCancel) {
    try {
      engine.cancel(runId, ctx.actor);
    } catch {
      /* it started or ended meanwhile */
    }
  }
  return toJob(getRow(engine, id));
}

export function duplicateJob(engine: Engine, id: number, name: string | undefined, ctx: CallContext): Job {
  const row = getRow(engine, id);
  let newName = name;
  if (!newName) {
    for (let i = 1; ; i++) {
      const candidate = `${row.name} (copy${i > 1 ? ` ${i}` : ''})`.slice(0, 100);
      if (!engine.store.jobs.getByName(candidate)) {
        newName = candidate;
        break;
      }
    }
  }
  const spec = { ...specOf(row), name: newName, enabled: false };
  const job = createJob(engine, spec, ctx);
  engine.store.audit.add({
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

export function exportJobs(engine: Engine): ExportDocument {
  return {
    format: 'jobdeck-export',
    version: 1,
    exportedAt: new Date(engine.clock.now()).toISOString(),
    jobs: engine.store.jobs.all().map((row) => ({ ...specOf(row), archived: row.archived === 1 })),
  };
}

/** Creates or updates (by name) every job of an export document, all in one transaction. */
export function importJobs(engine: Engine, document: unknown, dryRun: boolean, ctx: CallContext): ImportReport {
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
  const report: ImportReport = { dryRun, created: [], updated: [], unchanged: [] };
  const { store } = engine;
  const now = engine.clock.now();
  const touched: number[] = [];
  store.tx(() => {
    for (const { archived, ...spec } of doc.jobs) {
      const row = store.jobs.getByName(spec.name);
      if (!row) {
        report.created.push(spec.name);
        if (!dryRun) touched.push(store.jobs.insert(spec, md5(spec.script), archived, nextFireFor(spec, archived, now), ctx.actor, now));
        continue;
      }
      const before = specOf(row);
      if (sameJson(before, { ...before, ...spec }) && (row.archived === 1) === archived) {
        report.unchanged.push(spec.name);
        continue;
      }
      report.updated.push(spec.name);
      if (!dryRun) {
        const scriptChanged = before.script !== spec.script;
        store.jobs.update(row.id, spec, md5(spec.script), archived, nextFireFor(spec, archived, now), scriptChanged, ctx.actor, now);
        touched.push(row.id);
      }
    }
    if (!dryRun && (report.created.length || report.updated.length)) {
      store.audit.add({
        at: now,
        actor: ctx.actor,
        action: 'jobs.import',
        targetType: 'import',
        details: { created: report.created, updated: report.updated, unchanged: report.unchanged.length },
      });
      engine.bumpJobsVersion();
    }
  });
  for (const id of touched) afterJobChange(engine, id);
  if (touched.length > 100) engine.summaries.warm(() => engine.isClosed);
  return report;
}
