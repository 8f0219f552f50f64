/** Workflow runs in the store: the tree a run executes, and its task runs. */
import type { TaskPlace, TaskRow, TaskState } from './taskRows';
import type { PlanRow } from './tables/tasksTable';
import type { Tables, Tx } from './tables';

export class TasksStore {
  constructor(
    private readonly t: Tables,
    private readonly tx: Tx,
  ) {}

  list(runId: number): TaskRow[] {
    return this.t.tasks.list(runId);
  }

  get(runId: number, path: string): TaskRow | undefined {
    return this.t.tasks.get(runId, path);
  }

  /** The run's plan (null until it starts) and, for a run of one task, that task's path. */
  plan(runId: number): PlanRow | undefined {
    return this.t.tasks.plan(runId);
  }

  /** The tree a workflow run executes and its task runs, as it starts its first round. */
  recordPlan(runId: number, plan: string, tasks: readonly (TaskPlace & TaskState)[]): void {
    this.tx(() => {
      this.t.tasks.setPlan(runId, plan);
      this.t.tasks.insertMany(runId, tasks);
      this.t.runs.setTasks(runId, tasks.length);
    });
  }
}
