/** The script, in CodeMirror, with the MD5 of the saved one; a workflow's definition as JSON, with its problems beside it. */
import { useState } from 'react';
import { Md5 } from '../../components/common';
import { ScriptEditor, type GoTo } from '../../components/ScriptEditor';
import { exampleWorkflowText } from '../../lib/workflowDefinition';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { WorkflowProblems } from './WorkflowProblems';

const { field } = jobEditorSelectors;

export function ScriptSection({ readOnly }: { readOnly: boolean }) {
  const job = useJobEditorStore(jobEditorSelectors.job);
  const script = useJobEditorStore(field('script'));
  const runtime = useJobEditorStore(field('runtime'));
  const customRuntime = useJobEditorStore(field('customRuntime'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const { setField } = useJobEditorStore.getState();
  const [goTo, setGoTo] = useState<GoTo | null>(null);
  const workflow = runtime === 'workflow';
  const label = workflow ? 'Workflow (JSON)' : 'Script';

  return (
    <div className="field">
      <div className="label" id="script-label">
        {label} {job && <Md5 md5={job.scriptMd5} />}
      </div>
      {workflow && (
        <div className="hint">
          A tree of tasks: <code>{'{"tasks": [{"name", "script" | "job", "subtasks", "condition", "dest", "retry", …}]}'}</code>. Subtasks run in
          parallel after their parent; top-level tasks one after another.
        </div>
      )}
      <ScriptEditor value={script} runtime={runtime === 'custom' ? customRuntime : runtime} label={label} readOnly={readOnly} goTo={goTo} onChange={(v) => setField('script', v)} />
      {workflow ? (
        <WorkflowProblems text={script} errors={errors} readOnly={readOnly} onGoTo={(line) => setGoTo({ line })} onExample={() => setField('script', exampleWorkflowText())} />
      ) : (
        errors.script && <div className="error">{errors.script}</div>
      )}
    </div>
  );
}
