/** Which jobs name another one: in what they wait for (`after`) or as a workflow task's `job`. */
import { parseWorkflowText, WORKFLOW_RUNTIME, type TaskSpec } from '../../../shared/model/workflow';
import { specOf, type JobRow } from '../store/rows';

/** Does any task of the tree run the job named `name`? Bounded by the tree's own size limits. */
function treeNames(tasks: readonly TaskSpec[], name: string): boolean {
  const stack = [...tasks];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t.job?.toLowerCase() === name) return true;
    if (t.subtasks) stack.push(...t.subtasks);
  }
  return false;
}

/** The names of the other jobs that need the job named `name`, each with how. */
export function jobsNaming(rows: readonly JobRow[], name: string): string[] {
  const key = name.toLowerCase();
  const found: string[] = [];
  for (const row of rows) {
    if (row.name.toLowerCase() === key) continue;
    const spec = specOf(row);
    if (spec.after.some((d) => d.job.toLowerCase() === key)) found.push(`"${row.name}" (waits for it)`);
    else if (row.runtime === WORKFLOW_RUNTIME) {
      const parsed = parseWorkflowText(row.script ?? '');
      if (parsed.ok && treeNames(parsed.spec.tasks, key)) found.push(`"${row.name}" (a workflow task runs it)`);
    }
  }
  return found;
}
