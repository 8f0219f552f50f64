/** Workflow runs' task runs, runs of one task, and re-runs in place. */
import type { CallContext, ParsedInput } from '../../../shared/contract';
import { JobdeckError, notFound } from '../../../shared/errors';
import { isFinished, type Run } from '../../../shared/model/run';
import { WORKFLOW_RUNTIME, type TaskRun } from '../../../shared/model/workflow';
import type { RunStateMachine } from '../runs/stateMachine';
import { toRun } from '../store/rows';
import { checkWithLookup } from '../nameLookup';
import type { EngineStore as Store } from '../store/engineStore';
import { toTaskRun } from '../store/taskRows';
import { buildPlan, jobRefLookup, numberPlan, parseWorkflow, readPlan, subtree } from '../workflows/plan';
import { ownPartDone } from '../workflows/treeWalk';

export class TaskRunsService {
  constructor(private readonly deps: { store: Store; machine: RunStateMachine }) {}

  async tasks(id: number): Promise<TaskRun[]> {
    if (!(await this.deps.store.runs.get(id))) throw notFound('run', id);
    const now = Date.now();
    return (await this.deps.store.tasks.list(id)).map((r) => toTaskRun(r, now));
  }

  /** Refuses a one-task run of a job that is not a workflow, or of a path its workflow lacks. */
  async checkTaskTrigger(jobId: number, task: string): Promise<void> {
    const job = await this.deps.store.jobs.get(jobId);
    if (!job) throw notFound('job', jobId, 'jobId');
    if (job.runtime !== WORKFLOW_RUNTIME) throw new JobdeckError('VALIDATION_FAILED', `task: job "${job.name}" is a script, not a workflow`, 'task');
    const nodes = numberPlan(await checkWithLookup(jobRefLookup(this.deps.store), (lookup) => buildPlan(parseWorkflow(job.script ?? ''), job.name, lookup)));
    if (!nodes.some((n) => n.path === task)) {
      throw new JobdeckError('NOT_FOUND', `task: workflow "${job.name}" has no task ${task} (its tasks: ${nodes.slice(0, 8).map((n) => n.path).join(', ')}${nodes.length > 8 ? ', …' : ''})`, 'task');
    }
  }

  /**
   * Re-runs a finished workflow run in place: the task given and its
   * subtasks, or every task that did not succeed. The others keep their
   * outcome; the successful ones are reused (not executed again).
   */
  async rerun(input: ParsedInput<'runs.rerun'>, ctx: CallContext): Promise<Run> {
    const { store } = this.deps;
    const row = await store.runs.get(input.id);
    if (!row) throw notFound('run', input.id);
    if (!isFinished(row.status)) throw new JobdeckError('INVALID_STATE', `run ${input.id} has not finished (${row.status}); re-run it once it has`, 'id');
    const plan = await store.tasks.plan(input.id);
    const stored = plan?.plan;
    if (!stored) {
      const why = row.tasks === null && !plan ? 'is not a workflow run' : 'never started';
      throw new JobdeckError('INVALID_STATE', `run ${input.id} ${why}: there are no tasks to re-run; trigger a new run instead`, 'id');
    }
    const job = await store.jobs.get(row.job_id);
    if (!job || job.archived) throw new JobdeckError('INVALID_STATE', `job "${row.job_name}" is archived: unarchive it to re-run its runs`, 'id');
    if (job.runtime !== WORKFLOW_RUNTIME) throw new JobdeckError('INVALID_STATE', `job "${job.name}" is no longer a workflow: trigger a new run instead`, 'id');
    const { nodes } = readPlan(stored);
    const rows = await store.tasks.list(input.id);
    let reset: number[];
    let note: string;
    if (input.task !== undefined) {
      const node = nodes.find((n) => n.path === input.task);
      if (!node) throw new JobdeckError('NOT_FOUND', `task: run ${input.id} has no task ${input.task}`, 'task');
      reset = subtree(node).map((n) => n.idx);
      note = `task ${node.path}${node.children.length ? ' and its subtasks' : ''}`;
    } else {
      // A parent whose own part is done (it failed through a subtask) is not run again: its subtasks are.
      reset = rows.filter((r) => r.status !== 'SUCCEEDED' && !(nodes[r.idx]!.children.length > 0 && ownPartDone(nodes[r.idx]!, r))).map((r) => r.idx);
      if (reset.length === 0) throw new JobdeckError('INVALID_STATE', `every task of run ${input.id} succeeded: nothing failed to re-run`, 'failed');
      note = `the ${reset.length} task${reset.length > 1 ? 's' : ''} that did not succeed`;
    }
    return toRun(await this.deps.machine.reopen(input.id, reset, note, ctx.actor));
  }
}
