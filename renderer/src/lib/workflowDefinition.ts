/** A workflow job's definition as the editor handles it: a starting example, its task paths, its size. */
import { parseWorkflowText, ROOT_PATH, taskPath, treeSize, workflowText, type TaskSpec, type WorkflowSpec } from '../../../shared/model/workflow';

/** What "Start from an example" puts in the editor. */
export const EXAMPLE_WORKFLOW: WorkflowSpec = {
  tasks: [
    {
      name: 'extract',
      script: 'echo extracting\necho \'::return {"rows": 42}\'',
      dest: 'batch',
      subtasks: [
        { name: 'eu', script: 'echo "loading $JOBDECK_DEST_BATCH into eu"' },
        { name: 'us', script: 'echo "loading into us"', condition: 'batch.rows > 0' },
      ],
    },
    { name: 'report', script: 'echo report', onComplete: 'report done' },
  ],
};

export const exampleWorkflowText = (): string => workflowText(EXAMPLE_WORKFLOW);

/** Every task path of a definition, top to bottom (tasks that run another workflow job list only themselves). */
export function taskPaths(spec: WorkflowSpec): string[] {
  const out: string[] = [];
  const walk = (tasks: readonly TaskSpec[], parent: string) => {
    for (const t of tasks) {
      const path = taskPath(parent, t.name);
      out.push(path);
      if (t.subtasks) walk(t.subtasks, path);
    }
  };
  walk(spec.tasks, ROOT_PATH);
  return out;
}

export type DefinitionCheck = { ok: true; count: number; depth: number; paths: string[] } | { ok: false; field: string; message: string };

/** Checks the text as the schemas do (conditions, job references and limits after expansion are the server's to check). */
export function checkDefinition(text: string): DefinitionCheck {
  const parsed = parseWorkflowText(text);
  if (!parsed.ok) return parsed;
  const { count, depth } = treeSize(parsed.spec.tasks);
  return { ok: true, count, depth, paths: taskPaths(parsed.spec) };
}
