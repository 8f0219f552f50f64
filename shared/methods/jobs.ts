/** The contract's calls on jobs. */
import * as z from 'zod';
import { jobDeletionSchema, jobNameSchema, jobSchema, jobSummarySchema, runStatusSchema, scriptVersionSchema } from '../model/job';
import { jobChangesSchema, jobCreateSchema } from '../model/jobInput';
import { exportDocumentSchema, importReportSchema } from '../model/misc';
import { ARCHIVED_FILTERS, empty, id, JOB_ORDERS, JOBS_PAGE_DEFAULT, JOBS_PAGE_MAX, limit, listResult, m, offset } from './common';

export const jobMethods = {
  'jobs.list': m({
    summary: `A page of jobs (${JOBS_PAGE_DEFAULT} unless limit says otherwise, at most ${JOBS_PAGE_MAX}), ordered by next execution with disabled and archived last, or by id (stable while paging)`,
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs' },
    input: () => z.strictObject({
      search: z.string().max(200).optional(),
      group: z.string().max(100).optional(),
      lastStatus: z.union([runStatusSchema, z.literal('NEVER')]).optional(),
      archived: z.enum(ARCHIVED_FILTERS).optional(),
      order: z.enum(JOB_ORDERS).optional(),
      limit: limit(JOBS_PAGE_MAX).optional(),
      offset: offset.optional(),
    }),
    output: () => listResult(jobSummarySchema),
  }),
  'jobs.groups': m({
    summary: 'The distinct job groups',
    role: 'viewer',
    http: { method: 'GET', path: '/api/groups' },
    input: () => empty,
    output: () => z.array(z.string()),
  }),
  'jobs.get': m({
    summary: 'One job with its script',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs/:id' },
    input: () => z.strictObject({ id }),
    output: () => jobSchema,
  }),
  'jobs.find': m({
    summary: 'One job by its name (names compare without case)',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs-by-name/:name' },
    input: () => z.strictObject({ name: jobNameSchema }),
    output: () => jobSchema,
  }),
  'jobs.create': m({
    summary: 'Create a job',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs' },
    input: () => jobCreateSchema,
    output: () => jobSchema,
  }),
  'jobs.update': m({
    summary: 'Change some fields of a job; ifRevision refuses the change if someone saved in between',
    role: 'superadmin',
    http: { method: 'PATCH', path: '/api/jobs/:id' },
    input: () => z.strictObject({ id, ifRevision: z.number().int().min(1).optional(), changes: jobChangesSchema }),
    output: () => jobSchema,
  }),
  'jobs.archive': m({
    summary: 'Archive a job: it stays listed but is never fired',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/archive' },
    input: () => z.strictObject({ id }),
    output: () => jobSchema,
  }),
  'jobs.unarchive': m({
    summary: 'Bring an archived job back into use',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/unarchive' },
    input: () => z.strictObject({ id }),
    output: () => jobSchema,
  }),
  'jobs.delete': m({
    summary: 'Delete a job with its runs, logs and result files (its audit entries stay); refused while it has a run queued or in progress, or another job needs it',
    role: 'superadmin',
    http: { method: 'DELETE', path: '/api/jobs/:id' },
    input: () => z.strictObject({ id }),
    output: () => jobDeletionSchema,
  }),
  'jobs.duplicate': m({
    summary: 'Copy a job under a new name (disabled, so it does not fire until reviewed)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/duplicate' },
    input: () => z.strictObject({ id, name: jobNameSchema.optional() }),
    output: () => jobSchema,
  }),
  'jobs.history': m({
    summary: 'Every saved version of a job script, newest first',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs/:id/history' },
    input: () => z.strictObject({ id }),
    output: () => z.array(scriptVersionSchema),
  }),
  'jobs.export': m({
    summary: 'Every job (or the one given by jobId) with its script, schedule and parameters, as one JSON document',
    role: 'viewer',
    http: { method: 'GET', path: '/api/export' },
    input: () => z.strictObject({ jobId: id.optional() }),
    output: () => exportDocumentSchema,
  }),
  'jobs.import': m({
    summary: 'Create or update jobs from an export document, all or nothing',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/import' },
    input: () => z.strictObject({ document: z.unknown(), dryRun: z.boolean().optional() }),
    output: () => importReportSchema,
  }),
} as const;
