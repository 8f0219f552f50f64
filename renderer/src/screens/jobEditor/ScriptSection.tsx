/**
 * The script, in CodeMirror, with the MD5 of the saved one; a workflow's
 * definition as JSON, with its problems beside it. A file can be loaded into
 * it (chosen or dropped on it): it replaces the text, and sets the runtime
 * its #! line or extension names.
 */
import { useRef, useState, type DragEvent } from 'react';
import { Md5 } from '../../components/common';
import { ScriptEditor, type GoTo } from '../../components/ScriptEditor';
import { formatBytes } from '../../lib/format';
import { readScriptFile } from '../../lib/scriptFile';
import { exampleWorkflowText } from '../../lib/workflowDefinition';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { WorkflowProblems } from './WorkflowProblems';

const { field } = jobEditorSelectors;

const hasFiles = (e: DragEvent) => Array.from(e.dataTransfer.types).includes('Files');

export function ScriptSection() {
  const job = useJobEditorStore(jobEditorSelectors.job);
  const script = useJobEditorStore(field('script'));
  const runtime = useJobEditorStore(field('runtime'));
  const customRuntime = useJobEditorStore(field('customRuntime'));
  const errors = useJobEditorStore(jobEditorSelectors.errors);
  const { setField } = useJobEditorStore.getState();
  const [goTo, setGoTo] = useState<GoTo | null>(null);
  const [dropping, setDropping] = useState(false);
  /** What the last file load said, and (after a load) the script and runtime it replaced, for Undo. */
  const [loaded, setLoaded] = useState<{ text: string; error: boolean; before?: { script: string; runtime: string } } | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const workflow = runtime === 'workflow';
  const label = workflow ? 'Workflow (JSON)' : 'Script';

  const load = async (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    const read = await readScriptFile(file);
    if (!read.ok) {
      setLoaded({ text: read.error, error: true });
      return;
    }
    const before = { script, runtime };
    setField('script', read.text);
    const lines = read.text.split('\n').length;
    let text = `Loaded ${file.name} (${formatBytes(file.size)}, ${lines.toLocaleString()} line${lines === 1 ? '' : 's'}).`;
    if (read.runtime && read.runtime !== runtime) {
      setField('runtime', read.runtime);
      text += ` Runtime set to ${read.runtime} from ${read.why}.`;
    }
    setLoaded({ text, error: false, before });
  };

  const dropProps = {
    // Capture: CodeMirror would otherwise insert the file's text where it was dropped.
    onDragOverCapture: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
      setDropping(true);
    },
    onDragLeave: (e: DragEvent) => {
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDropping(false);
    },
    onDropCapture: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.stopPropagation();
      setDropping(false);
      void load(e.dataTransfer.files);
    },
  };

  return (
    <div className={`field script-field${dropping ? ' dropping' : ''}`} {...dropProps} data-testid="script-field">
      <div className="label row" id="script-label">
        {label} {job && <Md5 md5={job.scriptMd5} />}
        <span className="spacer" />
        <button type="button" className="btn small" onClick={() => picker.current?.click()}>
          Load from file…
        </button>
        <input
          ref={picker}
          type="file"
          hidden
          aria-label="Script file to load"
          data-testid="script-file"
          onChange={(e) => {
            void load(e.target.files);
            e.target.value = '';
          }}
        />
      </div>
      <div className="hint">Or drop a script file on the editor: it replaces the text.</div>
      {workflow && (
        <div className="hint">
          A tree of tasks: <code>{'{"tasks": [{"name", "script" | "job", "subtasks", "condition", "dest", "retry", …}]}'}</code>. Subtasks run in
          parallel after their parent; top-level tasks one after another.
        </div>
      )}
      {loaded && (
        <div className={`row ${loaded.error ? 'error' : 'hint'}`} role={loaded.error ? 'alert' : 'status'}>
          <span data-testid="script-loaded">{loaded.text}</span>
          {loaded.before && (
            <button
              type="button"
              className="btn small"
              onClick={() => {
                setField('script', loaded.before!.script);
                setField('runtime', loaded.before!.runtime);
                setLoaded(null);
              }}
            >
              Undo
            </button>
          )}
        </div>
      )}
      <ScriptEditor value={script} runtime={runtime === 'custom' ? customRuntime : runtime} label={label} goTo={goTo} onChange={(v) => setField('script', v)} />
      {workflow ? (
        <WorkflowProblems text={script} errors={errors} onGoTo={(line) => setGoTo({ line })} onExample={() => setField('script', exampleWorkflowText())} />
      ) : (
        errors.script && <div className="error">{errors.script}</div>
      )}
    </div>
  );
}
