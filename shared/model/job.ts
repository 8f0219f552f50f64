/**
 * Jobs: the schemas every transport validates with, and the shapes the
 * engine returns. Field schemas carry no defaults so that a partial update
 * never fills in values the caller did not send; defaults live in
 * JOB_DEFAULTS and are applied on create.
 */
import { notifySchema } from './notify';
import * as z from 'zod';
import { isoTime } from './time';
import '../zodErrors';
import { cronProblem, isValidTimeZone } from '../cron';

export const BUILTIN_RUNTIMES = ['sh', 'bash', 'node', 'python3'] as const;
export type BuiltinRuntime = (typeof BUILTIN_RUNTIMES)[number];
/** The runtime of a job whose script is a workflow definition (a tree of tasks, as JSON): see workflow.ts. */
export const WORKFLOW_RUNTIME = 'workflow';

export const INTERVAL_MIN = 1;
export const INTERVAL_MAX = 300;
export const INTERVAL_DEFAULT = 60;
export const NAME_MAX = 100;
export const SCRIPT_MAX = 1_000_000;

export const intervalSchedule = z.strictObject({
  kind: z.literal('interval'),
  /** Seconds between fires, 1 to 300 (the Async Job Manager's poll interval). */
  seconds: z
    .number()
    .int('interval must be a whole number of seconds')
    .min(INTERVAL_MIN, `interval must be at least ${INTERVAL_MIN} second`)
    .max(INTERVAL_MAX, `interval must be at most ${INTERVAL_MAX} seconds`),
});

export const cronSchedule = z
  .strictObject({
    kind: z.literal('cron'),
    /** croner syntax, 5 or 6 fields (seconds first when 6). */
    expression: z.string().trim().min(1, 'cron expression is required').max(200),
    /** IANA time zone the expression is read in. */
    timezone: z.string().trim().min(1).max(64).refine(isValidTimeZone, { message: 'unknown IANA time zone' }),
  })
  .superRefine((value, ctx) => {
    if (!isValidTimeZone(value.timezone)) return;
    const problem = cronProblem(value.expression, value.timezone);
    if (problem) ctx.addIssue({ code: 'custom', path: ['expression'], message: `invalid cron expression: ${problem}` });
  });

export const manualSchedule = z.strictObject({ kind: z.literal('manual') });

export const scheduleSchema = z.discriminatedUnion('kind', [intervalSchedule, cronSchedule, manualSchedule]);
export type Schedule = z.infer<typeof scheduleSchema>;

export const PARAM_TYPES = ['string', 'number', 'boolean', 'choice'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];
export const paramValue = z.union([z.string().max(10_000), z.number().finite(), z.boolean()]);
export type ParamValue = z.infer<typeof paramValue>;

export const paramDefSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/, 'parameter names start with a letter or _ and use letters, digits, _ . -'),
    type: z.enum(PARAM_TYPES),
    default: paramValue.optional(),
    required: z.boolean().optional(),
    description: z.string().max(1000).optional(),
    /** The allowed values of a `choice` parameter. */
    choices: z.array(z.string().min(1).max(200)).max(100).optional(),
  })
  .superRefine((def, ctx) => {
    if (def.type === 'choice' && (!def.choices || def.choices.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['choices'], message: 'a choice parameter needs at least one choice' });
    }
    if (def.default !== undefined) {
      const problem = paramValueProblem(def, def.default);
      if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: problem });
    }
  });
export type ParamDef = z.infer<typeof paramDefSchema>;

/** Why `value` does not fit the parameter definition, or null. */
export function paramValueProblem(def: ParamDef, value: ParamValue): string | null {
  switch (def.type) {
    case 'string':
      return typeof value === 'string' ? null : `${def.name} must be text`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? null : `${def.name} must be a number`;
    case 'boolean':
      return typeof value === 'boolean' ? null : `${def.name} must be true or false`;
    case 'choice':
      return typeof value === 'string' && (def.choices ?? []).includes(value)
        ? null
        : `${def.name} must be one of ${(def.choices ?? []).join(', ')}`;
  }
}

/** Reads a parameter value typed as text (CLI `--param k=v`, query strings, form fields). */
export function coerceParamText(def: ParamDef, text: string): ParamValue {
  if (def.type === 'number') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text;
  }
  if (def.type === 'boolean') {
    if (/^(true|yes|1|on)$/i.test(text)) return true;
    if (/^(false|no|0|off)$/i.test(text)) return false;
    return text;
  }
  return text;
}

export const runtimeSchema = z
  .string()
  .trim()
  .min(1, 'runtime is required')
  .max(500)
  .refine((r) => (BUILTIN_RUNTIMES as readonly string[]).includes(r) || r === WORKFLOW_RUNTIME || r.includes('{script}'), {
    message: 'runtime must be sh, bash, node, python3, workflow, or a command line containing {script}',
  });

export const OVERLAP_POLICIES = ['skip', 'queue'] as const;
export const MISFIRE_POLICIES = ['run-once', 'skip'] as const;

/** Characters that show nothing: spaces, format characters, fillers. */
const INVISIBLE = /[\p{Cf}\p{Z}\p{Cc}\u115F\u1160\u3164\uFFA0\u2800\u180E]/gu;
/** Characters that reorder the text around them (a name could then read as another). */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/**
 * Why a name shown to people is unusable: control characters, bidirectional
 * controls, or nothing visible at all. Null when it is fine.
 */
export function displayNameProblem(text: string, what: string): string | null {
  if (/[\u0000-\u001f\u007f]/.test(text)) return `${what} must not contain control characters`;
  if (BIDI_CONTROLS.test(text)) return `${what} must not contain bidirectional control characters`;
  if (text.length > 0 && text.replace(INVISIBLE, '') === '') return `${what} must contain a visible character`;
  return null;
}

const displayName = (what: string) => (text: string, ctx: z.core.$RefinementCtx<string>) => {
  const problem = displayNameProblem(text, what);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
};

export const jobNameSchema = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(NAME_MAX, `name must be at most ${NAME_MAX} characters`)
  .superRefine(displayName('name'));

export const lockNameSchema = z.string().trim().min(1).max(100).superRefine(displayName('lock name'));

/** A job another job waits for: it must have finished (with this status, if given) since the waiting job's last run. */
export const dependencySchema = z.strictObject({
  job: jobNameSchema,
  status: z.enum(['SUCCEEDED', 'FAILED', 'CANCELLED']).optional(),
});
export type Dependency = z.infer<typeof dependencySchema>;

/** Every editable field of a job, none with a default. */
export const jobFields = {
  name: jobNameSchema,
  group: z.string().trim().max(100, 'group must be at most 100 characters').superRefine(displayName('group')),
  description: z.string().max(2000, 'description must be at most 2000 characters'),
  script: z
    .string()
    .max(SCRIPT_MAX, `script must be at most ${SCRIPT_MAX} characters`)
    .refine((text) => text.trim() !== '', { message: 'script is empty: give the commands the job runs' }),
  runtime: runtimeSchema,
  params: z.array(paramDefSchema).max(50),
  paramValues: z.record(z.string(), paramValue),
  user: z.string().trim().max(100, 'user must be at most 100 characters'),
  schedule: scheduleSchema,
  enabled: z.boolean(),
  /** Seconds before a run is stopped and failed with `timeout`; null for none. */
  timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).nullable(),
  overlap: z.enum(OVERLAP_POLICIES),
  retries: z.strictObject({
    count: z.number().int().min(0).max(10),
    delaySeconds: z.number().int().min(0).max(24 * 3600),
  }),
  misfire: z.enum(MISFIRE_POLICIES),
  lock: lockNameSchema.nullable(),
  /** Runs (with their logs and files) kept per job; older ones are deleted. */
  retention: z.number().int().min(1).max(1_000_000),
  /**
   * Jobs this one waits for. Without a gate: it is triggered once every one of
   * them has finished (with its status) since its last run. With a gate: it
   * keeps its schedule and runs at its time only if each succeeded within the
   * gate's window; otherwise a skipped run says why.
   */
  after: z.array(dependencySchema).max(20, 'a job waits for at most 20 jobs'),
  gate: z.strictObject({ withinMinutes: z.number().int().min(1).max(7 * 24 * 60) }).nullable(),
  /** Who hears of which of its events (null: nobody). */
  notify: notifySchema.nullable(),
  /**
   * node and python3 runs may start in a pre-started interpreter (a few ms
   * instead of the interpreter's start); off: always a fresh process. Other
   * runtimes always start fresh.
   */
  warm: z.boolean(),
};

export type JobSpec = { [K in keyof typeof jobFields]: z.infer<(typeof jobFields)[K]> };

/** Values a new job takes for every field it was not given. */
export const JOB_DEFAULTS: Omit<JobSpec, 'name' | 'script'> = {
  group: '',
  description: '',
  runtime: 'sh',
  params: [],
  paramValues: {},
  user: '',
  schedule: { kind: 'interval', seconds: INTERVAL_DEFAULT },
  enabled: true,
  timeoutSeconds: null,
  overlap: 'skip',
  retries: { count: 0, delaySeconds: 60 },
  misfire: 'run-once',
  lock: null,
  retention: 500,
  after: [],
  gate: null,
  notify: null,
  warm: true,
};

/** Checks that stored parameter values match their definitions; returns [field, message] or null. */
export function paramValuesProblem(params: ParamDef[], values: Record<string, ParamValue>): [string, string] | null {
  const names = new Set<string>();
  for (const [i, def] of params.entries()) {
    if (names.has(def.name.toLowerCase())) return [`params.${i}.name`, `parameter ${def.name} is defined twice`];
    names.add(def.name.toLowerCase());
  }
  for (const [name, value] of Object.entries(values)) {
    const def = params.find((p) => p.name === name);
    if (!def) return [`paramValues.${name}`, `no parameter named ${name} is defined`];
    const problem = paramValueProblem(def, value);
    if (problem) return [`paramValues.${name}`, problem];
  }
  return null;
}

export const RUN_STATUSES = ['QUEUED', 'IN_PROGRESS', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = (typeof RUN_STATUSES)[number];


// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const lastRunSchema = z.lazy(() => z.object({ id: z.number().int(), status: runStatusSchema, at: isoTime }));
export type LastRun = z.infer<typeof lastRunSchema>;

/** A job's fields as the API answers them (looser than the input rules: stored jobs are shown as they are). */
const specOutputFields = () => ({
  name: z.string(),
  group: z.string(),
  description: z.string(),
  runtime: z.string(),
  params: z.array(paramDefSchema),
  paramValues: z.record(z.string(), paramValue),
  user: z.string(),
  schedule: scheduleSchema,
  enabled: z.boolean(),
  timeoutSeconds: z.number().int().nullable(),
  overlap: z.enum(OVERLAP_POLICIES),
  retries: z.object({ count: z.number().int(), delaySeconds: z.number().int() }),
  misfire: z.enum(MISFIRE_POLICIES),
  lock: z.string().nullable(),
  retention: z.number().int(),
  after: z.array(z.object({ job: z.string(), status: z.enum(['SUCCEEDED', 'FAILED', 'CANCELLED']).optional() })),
  gate: z.object({ withinMinutes: z.number().int() }).nullable(),
  notify: notifySchema.nullable(),
  warm: z.boolean(),
});

const summaryFields = () => ({
  ...specOutputFields(),
  id: z.number().int(),
  scriptMd5: z.string().regex(/^[0-9a-f]{32}$/),
  archived: z.boolean(),
  revision: z.number().int(),
  nextRunAt: isoTime.nullable(),
  lastRun: lastRunSchema.nullable(),
  createdAt: isoTime,
  createdBy: z.string(),
  updatedAt: isoTime,
  updatedBy: z.string(),
});

/** A job as lists show it: everything but the script text. */
export const jobSummarySchema = z.lazy(() => z.object(summaryFields()));
export type JobSummary = z.infer<typeof jobSummarySchema>;

export const jobSchema = z.lazy(() => z.object({ ...summaryFields(), script: z.string() }));
export type Job = z.infer<typeof jobSchema>;

export const scriptVersionSchema = z.lazy(() =>
  z.object({
    version: z.number().int(),
    md5: z.string(),
    script: z.string(),
    savedBy: z.string(),
    savedAt: isoTime,
  }),
);
export type ScriptVersion = z.infer<typeof scriptVersionSchema>;

/** What deleting a job took with it. */
export const jobDeletionSchema = z.lazy(() =>
  z.object({
    id: z.number().int(),
    name: z.string(),
    runs: z.number().int(),
    logLines: z.number().int(),
    files: z.number().int(),
  }),
);
export type JobDeletionResult = z.infer<typeof jobDeletionSchema>;
