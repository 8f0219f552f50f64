/** Below the form: what stopped the save (with a reload offer on a conflict), then Save and Cancel. */
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { hrefOf } from '../../stores/routeStore';

export function FormFooter() {
  const alert = useJobEditorStore(jobEditorSelectors.alert);
  const busy = useJobEditorStore(jobEditorSelectors.busy);
  const isNew = useJobEditorStore(jobEditorSelectors.job) === null;
  const { reload } = useJobEditorStore.getState();
  return (
    <>
      {alert && (
        <div className="alert" role="alert" data-testid="editor-alert">
          {alert.text}{' '}
          {alert.conflict && (
            <button type="button" className="btn small" onClick={() => void reload()}>
              Reload the job
            </button>
          )}
        </div>
      )}
      <div className="row">
        <button type="submit" className="btn primary" disabled={busy}>
          {busy ? 'Saving…' : isNew ? 'Create job' : 'Save changes'}
        </button>
        <a className="btn" href={hrefOf({ name: 'jobs' })}>
          Cancel
        </a>
      </div>
    </>
  );
}
