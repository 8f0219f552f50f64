/** Workflow runs in the store: the tree a run executes, and its task runs (both backends). */
import { runsTable } from './tables/runsTable';
import { tasksTable, type PlanRow } from './tables/tasksTable';
import type { TaskPlace, TaskState } from './taskRows';
import type { Performed, StorePart, Work } from './work';

export type { PlanRow };

const reads = {
  list: tasksTable.list,
  get: tasksTable.get,
  /** The run's plan (null until it starts) and, for a run of one task, that task's path. */
  plan: tasksTable.plan,
};

const writes = {
  /** The tree a workflow run executes and its task runs, as it starts its first round. */
  *recordPlan(runId: number, plan: string, tasks: readonly (TaskPlace & TaskState)[]): Work<void> {
    yield* tasksTable.setPlan(runId, plan);
    yield* tasksTable.insertMany(runId, tasks);
    yield* runsTable.setTasks(runId, tasks.length);
  },
};

export const tasksPart: StorePart<typeof reads, typeof writes> = { reads, writes };

export type TasksStore = Performed<typeof reads> & Performed<typeof writes>;
