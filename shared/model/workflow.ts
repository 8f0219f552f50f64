/**
 * Workflows: a job whose definition is a tree of tasks instead of one script
 * (runtime `workflow`, the tree as JSON in the script field). The schemas
 * here check a tree's shape; the engine checks what needs more than the
 * tree itself (condition syntax, referenced jobs, cycles through them).
 */
import * as z from 'zod';
import '../zodErrors';
import { isoTime } from './time';
import { BUILTIN_RUNTIMES, SCRIPT_MAX, WORKFLOW_RUNTIME } from './job';
import { FAILURE_CODES } from './run';

export { WORKFLOW_RUNTIME };
export const TASKS_MAX = 500;
export const DEPTH_MAX = 10;
export const PARALLEL_DEFAULT = 8;
export const PARALLEL_MAX = 64;
/**
 * Largest result a task may report (bytes of JSON): it comes as one output
 * line (lines are cut at 64 KiB) and travels in the environment of later
 * tasks (JOBDECK_DEST_*; one variable may hold at most 128 KiB on Linux).
 */
export const TASK_RESULT_MAX_BYTES = 60 * 1024;
/** The results file later tasks read: past this, large results in it are replaced by a marker. */
export const RESULTS_FILE_MAX_BYTES = 8 * 1024 * 1024;
/** Largest result a task list or event carries (bytes of JSON). */
export const TASK_RESULT_LIST_BYTES = 16 * 1024;

/** A task name: letters, digits, `_`, `-` and inner spaces; no `.` or `#` (they build paths). */
const TASK_NAME = /^[\p{L}\p{N}_](?:[\p{L}\p{N}_ -]{0,62}[\p{L}\p{N}_-])?$/u;
/** A `dest` name is an identifier conditions can use as is. */
const DEST_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Names conditions already use for something else. */
export const RESERVED_NAMES = ['params', 'results', 'result', 'task', 'run'] as const;

export interface TaskSpec {
  name: string;
  /** Runtime of an inline script (default sh). */
  runtime?: string;
  script?: string;
  /** Runs an existing job by name: its script, or its own workflow as this task's subtasks. */
  job?: string;
  /** An expression over `params`, `results` and the `dest` names in scope; false skips the task and its subtasks. */
  condition?: string;
  /** A message logged when the task succeeds; `{{ result.x }}` reads its result. */
  onComplete?: string;
  /** The name its subtasks read its result under. */
  dest?: string;
  retry?: { attempts: number; delaySeconds?: number };
  timeoutSeconds?: number;
  /** Its failure does not fail its parent (or the run). */
  continueOnFailure?: boolean;
  /** When a subtask fails, stop the subtasks still running instead of letting them finish. */
  failFast?: boolean;
  /** Run in parallel after this task, with its result available under `dest`. */
  subtasks?: TaskSpec[];
}

export interface WorkflowSpec {
  tasks: TaskSpec[];
  /** Most task processes of one run at a time (default 8). */
  maxParallel?: number;
}

const runtimeText = z
  .string()
  .trim()
  .min(1, 'runtime is required')
  .max(500)
  .refine((r) => (BUILTIN_RUNTIMES as readonly string[]).includes(r) || r.includes('{script}'), {
    message: 'runtime must be sh, bash, node, python3, or a command line containing {script}',
  });

export const taskSpecSchema: z.ZodType<TaskSpec> = z.lazy(() =>
  z
    .strictObject({
      name: z
        .string()
        .max(64, 'a task name is at most 64 characters')
        .regex(TASK_NAME, 'a task name uses letters, digits, _, - and inner spaces (no . or #)'),
      runtime: runtimeText.optional(),
      script: z
        .string()
        .max(SCRIPT_MAX)
        .refine((s) => s.trim() !== '', { message: 'script is empty: give the commands the task runs' })
        .optional(),
      job: z.string().trim().min(1, 'job needs a job name').max(100).optional(),
      condition: z.string().trim().min(1, 'condition is empty').max(2000).optional(),
      onComplete: z.string().max(2000).optional(),
      dest: z
        .string()
        .regex(DEST_NAME, 'dest is a name made of letters, digits and _ (not starting with a digit)')
        .refine((d) => !(RESERVED_NAMES as readonly string[]).includes(d), { message: `dest cannot be ${RESERVED_NAMES.join(', ')}` })
        .optional(),
      retry: z
        .strictObject({
          attempts: z.number().int().min(1, 'attempts is at least 1').max(10, 'attempts is at most 10'),
          delaySeconds: z.number().int().min(0).max(3600).optional(),
        })
        .optional(),
      timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
      continueOnFailure: z.boolean().optional(),
      failFast: z.boolean().optional(),
      subtasks: z.array(taskSpecSchema).min(1, 'subtasks needs at least one task (or leave it out)').max(TASKS_MAX).optional(),
    })
    .superRefine((t, ctx) => {
      if (t.script !== undefined && t.job !== undefined) ctx.addIssue({ code: 'custom', path: ['job'], message: 'a task runs a script or a job, not both' });
      if (t.script === undefined && t.job === undefined && !t.subtasks) {
        ctx.addIssue({ code: 'custom', path: ['script'], message: 'a task needs a script, a job, or subtasks' });
      }
      if (t.runtime !== undefined && t.script === undefined) ctx.addIssue({ code: 'custom', path: ['runtime'], message: 'runtime applies to an inline script only' });
      if (t.failFast !== undefined && !t.subtasks) ctx.addIssue({ code: 'custom', path: ['failFast'], message: 'failFast applies to a task with subtasks' });
      if (t.dest !== undefined && !t.subtasks) ctx.addIssue({ code: 'custom', path: ['dest'], message: 'dest names a result for subtasks: this task has none' });
      if (t.retry !== undefined && t.script === undefined && t.job === undefined) {
        ctx.addIssue({ code: 'custom', path: ['retry'], message: 'retry applies to a task that runs a script or a job' });
      }
      if (t.subtasks) checkSiblings(t.subtasks, ['subtasks'], ctx);
    }),
).meta({ id: 'TaskSpec', description: 'A task of a workflow (see the README: Workflows)' });

function checkSiblings(tasks: readonly TaskSpec[], path: (string | number)[], ctx: z.core.$RefinementCtx<unknown>): void {
  const seen = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (typeof t?.name !== 'string') return;
    const first = seen.get(t.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `"${t.name}" is already the name of task ${first + 1} at this level` });
    else seen.set(t.name, i);
  });
}

/** The tree's size and depth; the engine checks them again once job references are expanded. */
export function treeSize(tasks: readonly TaskSpec[], depth = 1): { count: number; depth: number } {
  let count = 0;
  let deepest = depth;
  for (const t of tasks) {
    count += 1;
    if (t.subtasks) {
      const sub = treeSize(t.subtasks, depth + 1);
      count += sub.count;
      deepest = Math.max(deepest, sub.depth);
    }
  }
  return { count, depth: deepest };
}

// Made when first used (z.lazy): a job without a workflow never builds the workflow schemas (see run.ts).
export const workflowSpecSchema: z.ZodType<WorkflowSpec> = z.lazy(() =>
  z
    .strictObject({
      tasks: z.array(taskSpecSchema).min(1, 'a workflow needs at least one task').max(TASKS_MAX),
      maxParallel: z.number().int().min(1).max(PARALLEL_MAX).optional(),
    })
    .superRefine((w, ctx) => {
      checkSiblings(w.tasks, ['tasks'], ctx);
      const { count, depth } = treeSize(w.tasks);
      if (count > TASKS_MAX) ctx.addIssue({ code: 'custom', path: ['tasks'], message: `a workflow has at most ${TASKS_MAX} tasks (this one has ${count})` });
      if (depth > DEPTH_MAX) ctx.addIssue({ code: 'custom', path: ['tasks'], message: `tasks nest at most ${DEPTH_MAX} levels deep (this tree has ${depth})` });
    }),
);

/** JSON nesting allowed before a tree is even looked at: DEPTH_MAX levels of tasks are about 2 × DEPTH_MAX. */
const JSON_DEPTH_MAX = 4 * DEPTH_MAX + 8;

/** How deep a JSON value nests, counted without recursion (stops counting past `limit`). */
export function jsonDepth(value: unknown, limit = JSON_DEPTH_MAX): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, d);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return deepest;
}

/**
 * A workflow as callers give it: its nesting is checked first, without
 * recursion, so a tree nested thousands deep is refused with a message
 * instead of exhausting the stack of the recursive schema.
 */
export const workflowInputSchema = z.lazy(() =>
  z
    .unknown()
    .superRefine((v, ctx) => {
      if (jsonDepth(v) > JSON_DEPTH_MAX) ctx.addIssue({ code: 'custom', path: ['tasks'], message: `tasks nest at most ${DEPTH_MAX} levels deep` });
    })
    .pipe(workflowSpecSchema),
);

/** A task's path: `#` for the top level, then the names from the top down, joined by dots. */
export const taskPath = (parent: string, name: string): string => `${parent}.${name}`;
export const ROOT_PATH = '#';
export const TASK_PATH_PATTERN = /^#(\.[^.#]{1,64}){1,20}$/;
export const taskPathSchema = z.string().max(2000).regex(TASK_PATH_PATTERN, 'a task path looks like #.load.eu');

// ----- task runs -----

/**
 * A task run's status. PENDING: not reached yet; QUEUED: waiting for a
 * parallel slot or a retry delay; SKIPPED: its condition was false, or it
 * was not reached because an earlier task failed (the note says which).
 */
export const TASK_STATUSES = ['PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_KINDS = ['script', 'job', 'group'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const isTaskDone = (s: TaskStatus): boolean => s === 'SUCCEEDED' || s === 'FAILED' || s === 'SKIPPED' || s === 'CANCELLED';

/** Why a task failed: a run's failure codes, or one of its subtasks failed, or its condition could not be evaluated. */
export const TASK_FAILURES = [...FAILURE_CODES, 'SUBTASK_FAILED', 'CONDITION_ERROR'] as const;
export type TaskFailure = (typeof TASK_FAILURES)[number];

// Made when first used (z.lazy), as the schemas of answers: see run.ts.
export const taskRunSchema = z.lazy(() =>
  z.object({
    path: z.string(),
    name: z.string(),
    /** The parent's path; null for a top-level task. */
    parent: z.string().nullable(),
    depth: z.number().int(),
    /** Position in the tree, top to bottom. */
    index: z.number().int(),
    kind: z.enum(TASK_KINDS),
    status: z.enum(TASK_STATUSES),
    attempts: z.number().int(),
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    /** Milliseconds from start to end (to now while it runs). */
    durationMs: z.number().int().nullable(),
    exitCode: z.number().int().nullable(),
    failure: z.enum(TASK_FAILURES).nullable(),
    error: z.string().nullable(),
    /** What the task reported with `::return`, else {"exitCode": N}; null before it ends. */
    result: z.unknown(),
    /** The result was larger than lists carry (16 KB) and is left out here; the task's log has its ::return line. */
    resultTruncated: z.boolean(),
    /** Its result was kept from an earlier round of a re-run, not executed again. */
    reused: z.boolean(),
    /** Why it was skipped or not executed, in words. */
    note: z.string().nullable(),
    /** The re-run round of the run that last executed it (0: the first). */
    round: z.number().int(),
  }),
);
export type TaskRun = z.infer<typeof taskRunSchema>;

/** The status words of the workflow library's seed: inactive, queued, ok, failed. */
export type SeedTaskStatus = 'inactive' | 'queued' | 'ok' | 'failed';

export function seedTaskStatus(status: TaskStatus): SeedTaskStatus {
  switch (status) {
    case 'PENDING':
    case 'SKIPPED':
      return 'inactive';
    case 'QUEUED':
    case 'RUNNING':
      return 'queued';
    case 'SUCCEEDED':
      return 'ok';
    default:
      return 'failed';
  }
}

/** Reads a workflow definition from its JSON text; the problem with its field path when it is not one. */
export function parseWorkflowText(text: string): { ok: true; spec: WorkflowSpec } | { ok: false; field: string; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, field: 'workflow', message: `not valid JSON (${(err as Error).message})` };
  }
  const parsed = workflowInputSchema.safeParse(raw);
  if (parsed.success) return { ok: true, spec: parsed.data };
  const issue = parsed.error.issues[0]!;
  let path = issue.path.map(String);
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  }
  return { ok: false, field: ['workflow', ...path].join('.'), message };
}

/** The text a workflow is stored as (what its versions show and compare). */
export const workflowText = (spec: WorkflowSpec): string => `${JSON.stringify(spec, null, 2)}\n`;
