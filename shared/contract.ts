/**
 * The one API of Jobdeck. Every call is listed here once with its input and
 * output schemas, the least role allowed to make it, and its HTTP binding.
 * The engine implements it; IPC and HTTP dispatch it; the console and the
 * CLI consume it.
 */
import { z } from 'zod';
import {
  jobChangesSchema,
  jobCreateSchema,
  jobNameSchema,
  jobSchema,
  lockNameSchema,
  jobSummarySchema,
  paramValue,
  runStatusSchema,
  scriptVersionSchema,
} from './model/job';
import { logPageSchema, resultFileSchema, runSchema } from './model/run';
import {
  auditEntrySchema,
  exportDocumentSchema,
  importReportSchema,
  lockInfoSchema,
  ROLES,
  schedulerStatusSchema,
  userNameSchema,
  userSchema,
  type Role,
} from './model/misc';
import { DATE_FORMAT_HINT, parseDate } from './dates';
import { isoTime } from './model/time';

const id = z.number({ error: 'must be a numeric id' }).int('must be a numeric id').positive('must be a positive id');
const limit = (max: number) => z.number().int().min(1).max(max);
const offset = z.number().int().min(0).max(100_000_000);
const dateText = z
  .string()
  .trim()
  .max(40)
  .refine((s) => parseDate(s) !== null, { message: DATE_FORMAT_HINT });
const empty = z.strictObject({});
const ok = z.object({ ok: z.literal(true) });

export const ARCHIVED_FILTERS = ['exclude', 'include', 'only'] as const;
/** 'schedule': next execution first, disabled then archived last; 'id': creation order (stable while jobs fire). */
export const JOB_ORDERS = ['schedule', 'id'] as const;
export const JOBS_PAGE_DEFAULT = 200;
export const JOBS_PAGE_MAX = 1000;
export const CALLER_TRIGGERS = ['manual', 'api', 'cli'] as const;

export const listResult = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int() });

export interface HttpBinding {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify-style path; `:name` segments become input fields. */
  path: string;
}

export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  summary: string;
  role: Role;
  input: I;
  output: O;
  http: HttpBinding;
  /** 'download': the output is a Download streamed as a file, not JSON. Default 'json'. */
  result?: 'json' | 'download';
}

/**
 * What a download call returns: a file to stream. HTTP sends its bytes as the
 * response body; the desktop app saves it where the user picks; the CLI
 * writes it to a file. Never JSON, never held in memory whole.
 */
export interface Download {
  /** The name a browser or save dialog suggests. */
  fileName: string;
  contentType: string;
  /** Bytes, when known ahead (a log export is not). */
  size: number | null;
  sha256: string | null;
  /** The bytes in chunks; each call starts from the beginning. */
  chunks(): AsyncIterable<Uint8Array>;
}

export const downloadSchema = z.custom<Download>(
  (v) => typeof v === 'object' && v !== null && typeof (v as Download).chunks === 'function' && typeof (v as Download).fileName === 'string',
  { message: 'not a download' },
);

/** How long a new API token lives, in seconds: a minute to ten years (omitted: it does not expire). */
const tokenLifetime = z.number().int().min(60, 'a token lives at least 60 s').max(10 * 365 * 24 * 3600, 'a token lives at most ten years');

/** Longest a runs.wait call waits, in seconds. */
export const WAIT_MAX_SECONDS = 120;

const m = <I extends z.ZodType, O extends z.ZodType>(spec: MethodSpec<I, O>): MethodSpec<I, O> => spec;

export const contract = {
  'jobs.list': m({
    summary: `A page of jobs (${JOBS_PAGE_DEFAULT} unless limit says otherwise, at most ${JOBS_PAGE_MAX}), ordered by next execution with disabled and archived last, or by id (stable while paging)`,
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs' },
    input: z.strictObject({
      search: z.string().max(200).optional(),
      group: z.string().max(100).optional(),
      lastStatus: z.union([runStatusSchema, z.literal('NEVER')]).optional(),
      archived: z.enum(ARCHIVED_FILTERS).optional(),
      order: z.enum(JOB_ORDERS).optional(),
      limit: limit(JOBS_PAGE_MAX).optional(),
      offset: offset.optional(),
    }),
    output: listResult(jobSummarySchema),
  }),
  'jobs.groups': m({
    summary: 'The distinct job groups',
    role: 'viewer',
    http: { method: 'GET', path: '/api/groups' },
    input: empty,
    output: z.array(z.string()),
  }),
  'jobs.get': m({
    summary: 'One job with its script',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs/:id' },
    input: z.strictObject({ id }),
    output: jobSchema,
  }),
  'jobs.find': m({
    summary: 'One job by its name (names compare without case)',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs-by-name/:name' },
    input: z.strictObject({ name: jobNameSchema }),
    output: jobSchema,
  }),
  'jobs.create': m({
    summary: 'Create a job',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs' },
    input: jobCreateSchema,
    output: jobSchema,
  }),
  'jobs.update': m({
    summary: 'Change some fields of a job; ifRevision refuses the change if someone saved in between',
    role: 'superadmin',
    http: { method: 'PATCH', path: '/api/jobs/:id' },
    input: z.strictObject({ id, ifRevision: z.number().int().min(1).optional(), changes: jobChangesSchema }),
    output: jobSchema,
  }),
  'jobs.archive': m({
    summary: 'Archive a job: it stays listed but is never fired',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/archive' },
    input: z.strictObject({ id }),
    output: jobSchema,
  }),
  'jobs.unarchive': m({
    summary: 'Bring an archived job back into use',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/unarchive' },
    input: z.strictObject({ id }),
    output: jobSchema,
  }),
  'jobs.duplicate': m({
    summary: 'Copy a job under a new name (disabled, so it does not fire until reviewed)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/jobs/:id/duplicate' },
    input: z.strictObject({ id, name: jobNameSchema.optional() }),
    output: jobSchema,
  }),
  'jobs.history': m({
    summary: 'Every saved version of a job script, newest first',
    role: 'viewer',
    http: { method: 'GET', path: '/api/jobs/:id/history' },
    input: z.strictObject({ id }),
    output: z.array(scriptVersionSchema),
  }),
  'runs.trigger': m({
    summary: 'Queue a run of a job now',
    role: 'admin',
    http: { method: 'POST', path: '/api/jobs/:jobId/runs' },
    input: z.strictObject({
      jobId: id,
      /** Space-separated arguments, passed to the script as argv and JOBDECK_ARGS. */
      args: z.string().max(10_000).optional(),
      params: z.record(z.string(), paramValue).optional(),
      trigger: z.enum(CALLER_TRIGGERS).optional(),
    }),
    output: runSchema,
  }),
  'runs.list': m({
    summary: 'List runs, newest first, filtered by job, status and queued time',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs' },
    input: z.strictObject({
      jobId: id.optional(),
      status: z.array(runStatusSchema).max(5).optional(),
      from: dateText.optional(),
      to: dateText.optional(),
      limit: limit(1000).optional(),
      offset: offset.optional(),
    }),
    output: listResult(runSchema),
  }),
  'runs.get': m({
    summary: 'One run',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id' },
    input: z.strictObject({ id }),
    output: runSchema,
  }),
  'runs.cancel': m({
    summary: 'Cancel a queued or running run (its whole process tree is stopped)',
    role: 'admin',
    http: { method: 'POST', path: '/api/runs/:id/cancel' },
    input: z.strictObject({ id }),
    output: runSchema,
  }),
  'runs.wait': m({
    summary: 'Waits until a run has finished (or the timeout passes) and returns it as it is then',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/wait' },
    input: z.strictObject({ id, timeoutSeconds: z.number().int().min(0).max(WAIT_MAX_SECONDS).optional() }),
    output: runSchema,
  }),
  'runs.download': m({
    summary: 'Download a result file of a run (without a name: the primary one, else the first by name)',
    role: 'admin',
    http: { method: 'GET', path: '/api/runs/:id/files/*' },
    input: z.strictObject({ id, name: z.string().min(1).max(1024).optional() }),
    output: downloadSchema,
    result: 'download',
  }),
  'runs.logExport': m({
    summary: "Download a run's whole log as text",
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/log' },
    input: z.strictObject({ id }),
    output: downloadSchema,
    result: 'download',
  }),
  'runs.logs': m({
    summary: 'Log lines of a run after a sequence number',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/logs' },
    input: z.strictObject({ id, afterSeq: z.number().int().min(0).optional(), limit: limit(10_000).optional() }),
    output: logPageSchema,
  }),
  'runs.search': m({
    summary: 'Sequence numbers of log lines of a run containing some text (case-insensitive)',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/search' },
    input: z.strictObject({
      id,
      text: z.string().min(1, 'give some text to search for').max(200),
      limit: limit(10_000).optional(),
    }),
    output: z.object({ seqs: z.array(z.number().int()), truncated: z.boolean() }),
  }),
  'runs.files': m({
    summary: 'Result files of a run',
    role: 'viewer',
    http: { method: 'GET', path: '/api/runs/:id/files' },
    input: z.strictObject({ id }),
    output: z.array(resultFileSchema),
  }),
  'runs.readFile': m({
    summary: 'The start of a result file as text (for previews; at most 1 MB)',
    role: 'admin',
    http: { method: 'GET', path: '/api/runs/:id/preview' },
    input: z.strictObject({ id, name: z.string().min(1).max(255), maxBytes: z.number().int().min(1).max(1_048_576).optional() }),
    output: z.object({ text: z.string(), size: z.number().int(), truncated: z.boolean() }),
  }),
  'scheduler.status': m({
    summary: 'Running and queued counts, paused or not, next fires',
    role: 'viewer',
    http: { method: 'GET', path: '/api/scheduler' },
    input: empty,
    output: schedulerStatusSchema,
  }),
  'scheduler.pause': m({
    summary: 'Stop firing schedules (running runs go on; on-demand runs still start)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/pause' },
    input: empty,
    output: schedulerStatusSchema,
  }),
  'scheduler.resume': m({
    summary: 'Fire schedules again',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/resume' },
    input: empty,
    output: schedulerStatusSchema,
  }),
  'scheduler.restart': m({
    summary: 'Reload every job from the store and rebuild the schedule, keeping runs in flight',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/scheduler/restart' },
    input: empty,
    output: schedulerStatusSchema,
  }),
  'locks.list': m({
    summary: 'Locks held by runs',
    role: 'viewer',
    http: { method: 'GET', path: '/api/locks' },
    input: empty,
    output: z.array(lockInfoSchema),
  }),
  'locks.break': m({
    summary: 'Break a lock (for a stale lock left by a run that is no longer executing; force breaks one whose run still executes)',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/locks/:name/break' },
    input: z.strictObject({ name: lockNameSchema, force: z.boolean().optional() }),
    output: ok,
  }),
  'jobs.export': m({
    summary: 'Every job with its script, schedule and parameters, as one JSON document',
    role: 'viewer',
    http: { method: 'GET', path: '/api/export' },
    input: empty,
    output: exportDocumentSchema,
  }),
  'jobs.import': m({
    summary: 'Create or update jobs from an export document, all or nothing',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/import' },
    input: z.strictObject({ document: z.unknown(), dryRun: z.boolean().optional() }),
    output: importReportSchema,
  }),
  'audit.list': m({
    summary: 'Who did what, when, newest first',
    role: 'viewer',
    http: { method: 'GET', path: '/api/audit' },
    input: z.strictObject({
      actor: z.string().max(100).optional(),
      jobId: id.optional(),
      limit: limit(1000).optional(),
      offset: offset.optional(),
    }),
    output: listResult(auditEntrySchema),
  }),
  'users.list': m({
    summary: 'Users and their tokens (never the tokens themselves)',
    role: 'superadmin',
    http: { method: 'GET', path: '/api/users' },
    input: empty,
    output: z.array(userSchema),
  }),
  'users.add': m({
    summary: 'Add a user; the new API token is returned once',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/users' },
    input: z.strictObject({ name: userNameSchema, role: z.enum(ROLES), expiresInSeconds: tokenLifetime.optional() }),
    output: z.object({ user: userSchema, token: z.string() }),
  }),
  'users.remove': m({
    summary: 'Remove a user and revoke their tokens',
    role: 'superadmin',
    http: { method: 'DELETE', path: '/api/users/:name' },
    input: z.strictObject({ name: userNameSchema }),
    output: ok,
  }),
  'tokens.create': m({
    summary: 'Issue another API token for a user; returned once',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/users/:name/tokens' },
    input: z.strictObject({ name: userNameSchema, expiresInSeconds: tokenLifetime.optional() }),
    output: z.object({ id: z.string(), token: z.string(), expiresAt: isoTime.nullable() }),
  }),
  'tokens.revoke': m({
    summary: 'Revoke an API token by its id',
    role: 'superadmin',
    http: { method: 'POST', path: '/api/tokens/:tokenId/revoke' },
    input: z.strictObject({ tokenId: z.string().regex(/^[A-Za-z0-9_-]{4,64}$/, 'not a token id') }),
    output: ok,
  }),
  'auth.whoami': m({
    summary: 'The caller and their role',
    role: 'viewer',
    http: { method: 'GET', path: '/api/whoami' },
    input: empty,
    output: z.object({
      name: z.string(),
      role: z.enum(ROLES),
      /** When the caller's token or console session stops working; null for never. */
      expiresAt: isoTime.nullable(),
    }),
  }),
} as const;

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type Input<M extends MethodName> = z.input<Contract[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type Output<M extends MethodName> = z.output<Contract[M]['output']>;

export const METHOD_NAMES = Object.keys(contract) as MethodName[];
/** Methods whose result is a Download (streamed), not JSON. */
export const isDownloadMethod = (name: MethodName): boolean => (contract[name] as MethodSpec).result === 'download';
export const isMethodName = (name: string): name is MethodName => Object.hasOwn(contract, name);

/** Who is calling: every service call runs on someone's behalf. */
export interface CallContext {
  actor: string;
  role: Role;
  /** When the caller's credential stops working (ms since the epoch); absent or null for never. */
  expiresAt?: number | null;
}

/** The service every host implements: one async function per contract method. */
export type Handlers = { [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<Output<M>> };
