/**
 * A workflow's plan: its tree of tasks with every `job` reference expanded
 * (a script job becomes that task's script; a workflow job's tasks become
 * the task's children, run one after another), each task numbered in tree
 * order and given its path. The same expansion checks a workflow before it
 * is saved (unknown jobs, cycles through references, conditions and
 * templates that do not parse, size and depth once expanded) and builds what
 * a run executes when it starts; a run keeps its plan, so re-runs execute
 * the tree it started with even if the jobs changed since.
 */
import { JobdeckError } from '../../../shared/errors';
import {
  DEPTH_MAX,
  PARALLEL_DEFAULT,
  parseWorkflowText,
  ROOT_PATH,
  TASKS_MAX,
  taskPath,
  WORKFLOW_RUNTIME,
  type TaskKind,
  type TaskSpec,
  type WorkflowSpec,
} from '../../../shared/model/workflow';
import { BUILTIN_RUNTIMES } from '../../../shared/model/job';
import { customCommand } from '../runner/runtimes';
import type { EngineStore as Store } from '../store/engineStore';
import type { TaskPlace } from '../store/taskRows';
import { conditionProblem, templateProblem } from './expressions';

export interface PlanNode extends TaskPlace {
  /** What its process runs: its inline script, or the script of the job it refers to. */
  exec: { runtime: string; script: string; timeoutSeconds: number | null } | null;
  /** The job it refers to, if any. */
  job: string | null;
  condition: string | null;
  onComplete: string | null;
  dest: string | null;
  attempts: number;
  delaySeconds: number;
  continueOnFailure: boolean;
  failFast: boolean;
  /** Its children run together after it (subtasks), or one after another (a referenced workflow's tasks). */
  childMode: 'parallel' | 'sequence';
  children: PlanNode[];
}

export interface Plan {
  maxParallel: number;
  /** Top-level tasks, run one after another. */
  tasks: PlanNode[];
}

/** What the plan needs to know of a referenced job. */
export interface JobRef {
  name: string;
  runtime: string;
  script: string;
  timeoutSeconds: number | null;
  archived: boolean;
}

const invalid = (field: string, message: string) => new JobdeckError('VALIDATION_FAILED', `${field}: ${message}`, field);

/** Reads and checks a workflow's text; throws with the field path of the first problem. */
export function parseWorkflow(text: string, field = 'workflow'): WorkflowSpec {
  const parsed = parseWorkflowText(text);
  if (!parsed.ok) throw invalid(parsed.field.replace(/^workflow/, field), parsed.message);
  return parsed.spec;
}

/**
 * Expands a workflow (of the job named ownName) into its plan. Throws a
 * VALIDATION_FAILED naming the field at fault. `lookup` finds jobs by name.
 */
export function buildPlan(spec: WorkflowSpec, ownName: string, lookup: (name: string) => JobRef | undefined, field = 'workflow'): Plan {
  const state: ExpandState = { count: 0, lookup };
  const tasks = expandList(spec.tasks, ROOT_PATH, null, 1, `${field}.tasks`, new Set([ownName.toLowerCase()]), state);
  return { maxParallel: spec.maxParallel ?? PARALLEL_DEFAULT, tasks };
}

interface ExpandState {
  count: number;
  lookup: (name: string) => JobRef | undefined;
}

function expandList(
  specs: readonly TaskSpec[],
  parentPath: string,
  parent: string | null,
  depth: number,
  field: string,
  visiting: Set<string>,
  state: ExpandState,
): PlanNode[] {
  if (depth > DEPTH_MAX) throw invalid(field, `tasks nest at most ${DEPTH_MAX} levels deep (counting the tasks of referenced workflows)`);
  return specs.map((spec, i) => expandTask(spec, taskPath(parentPath, spec.name), parent, depth, `${field}.${i}`, visiting, state));
}

function expandTask(
  spec: TaskSpec,
  path: string,
  parent: string | null,
  depth: number,
  field: string,
  visiting: Set<string>,
  state: ExpandState,
): PlanNode {
  state.count += 1;
  if (state.count > TASKS_MAX) throw invalid(field, `a workflow has at most ${TASKS_MAX} tasks, counting the tasks of referenced workflows`);
  if (spec.condition !== undefined) {
    const problem = conditionProblem(spec.condition);
    if (problem) throw invalid(`${field}.condition`, problem);
  }
  if (spec.onComplete !== undefined) {
    const problem = templateProblem(spec.onComplete);
    if (problem) throw invalid(`${field}.onComplete`, problem);
  }
  const node: PlanNode = {
    idx: -1,
    path,
    name: spec.name,
    parent,
    depth,
    kind: 'group' as TaskKind,
    exec: null,
    job: spec.job ?? null,
    condition: spec.condition ?? null,
    onComplete: spec.onComplete ?? null,
    dest: spec.dest ?? null,
    attempts: spec.retry?.attempts ?? 1,
    delaySeconds: spec.retry?.delaySeconds ?? 0,
    continueOnFailure: spec.continueOnFailure ?? false,
    failFast: spec.failFast ?? false,
    childMode: 'parallel',
    children: [],
  };
  if (spec.script !== undefined) {
    if (spec.runtime !== undefined && !(BUILTIN_RUNTIMES as readonly string[]).includes(spec.runtime)) {
      try {
        customCommand(spec.runtime, 'script');
      } catch (err) {
        throw invalid(`${field}.runtime`, (err as Error).message);
      }
    }
    node.kind = 'script';
    node.exec = { runtime: spec.runtime ?? 'sh', script: spec.script, timeoutSeconds: spec.timeoutSeconds ?? null };
  } else if (spec.job !== undefined) {
    node.kind = 'job';
    const ref = state.lookup(spec.job);
    if (!ref) throw invalid(`${field}.job`, `no job is named "${spec.job}"`);
    if (ref.archived) throw invalid(`${field}.job`, `job "${ref.name}" is archived`);
    if (ref.runtime === WORKFLOW_RUNTIME) {
      const key = ref.name.toLowerCase();
      if (visiting.has(key)) throw invalid(`${field}.job`, `"${ref.name}" refers back to a workflow that refers to it (a cycle)`);
      let inner: WorkflowSpec;
      try {
        inner = parseWorkflow(ref.script);
      } catch (err) {
        throw invalid(`${field}.job`, `job "${ref.name}" holds a workflow that cannot be read (${(err as Error).message})`);
      }
      if (spec.subtasks) throw invalid(`${field}.subtasks`, `job "${ref.name}" is a workflow: its own tasks are this task's subtasks`);
      if (spec.dest) throw invalid(`${field}.dest`, `job "${ref.name}" is a workflow: the task has no result of its own to pass on`);
      node.childMode = 'sequence';
      node.attempts = 1;
      const inside = new Set(visiting).add(key);
      node.children = expandList(inner.tasks, path, path, depth + 1, `${field}(${ref.name}).tasks`, inside, state);
      return node;
    }
    node.exec = { runtime: ref.runtime, script: ref.script, timeoutSeconds: spec.timeoutSeconds ?? ref.timeoutSeconds };
  }
  if (spec.subtasks) node.children = expandList(spec.subtasks, path, path, depth + 1, `${field}.subtasks`, visiting, state);
  return node;
}

/** Numbers the tasks in tree order (what their task runs are keyed by) and lists them. */
export function numberPlan(plan: Plan): PlanNode[] {
  const all: PlanNode[] = [];
  const visit = (nodes: PlanNode[]) => {
    for (const n of nodes) {
      n.idx = all.length;
      all.push(n);
      visit(n.children);
    }
  };
  visit(plan.tasks);
  return all;
}

/** Every node of a subtree (the node first). */
export function subtree(node: PlanNode): PlanNode[] {
  const out: PlanNode[] = [];
  const stack = [node];
  while (stack.length) {
    const n = stack.pop()!;
    out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

/** Reads a stored plan back (what a re-run executes). */
export function readPlan(json: string): { plan: Plan; nodes: PlanNode[] } {
  const plan = JSON.parse(json) as Plan;
  return { plan, nodes: numberPlan(plan) };
}

/** Looks a job up by name for a workflow's `job` references. */
export function jobRefLookup(store: Store): (name: string) => Promise<JobRef | undefined> {
  return async (name) => {
    // The row by name holds every column, the script too.
    const row = await store.jobs.getByName(name);
    if (!row) return undefined;
    return { name: row.name, runtime: row.runtime, script: row.script ?? '', timeoutSeconds: row.timeout_s, archived: row.archived === 1 };
  };
}
