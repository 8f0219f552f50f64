/** The script, in CodeMirror, with the MD5 of the saved one. */
import { Md5 } from '../../components/common';
import { ScriptEditor } from '../../components/ScriptEditor';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';

const { field } = jobEditorSelectors;

export function ScriptSection({ readOnly }: { readOnly: boolean }) {
  const job = useJobEditorStore(jobEditorSelectors.job);
  const script = useJobEditorStore(field('script'));
  const runtime = useJobEditorStore(field('runtime'));
  const customRuntime = useJobEditorStore(field('customRuntime'));
  const error = useJobEditorStore(jobEditorSelectors.errors).script;
  const { setField } = useJobEditorStore.getState();

  return (
    <div className="field">
      <div className="label" id="script-label">
        Script {job && <Md5 md5={job.scriptMd5} />}
      </div>
      <ScriptEditor value={script} runtime={runtime === 'custom' ? customRuntime : runtime} label="Script" readOnly={readOnly} onChange={(v) => setField('script', v)} />
      {error && <div className="error">{error}</div>}
    </div>
  );
}
