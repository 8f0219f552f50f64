/** The editor's title and the job's actions: runs, run now, duplicate, archive. */
import { Icon } from '../../components/common';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';
import { hrefOf } from '../../stores/routeStore';

export function EditorHeader({ canEdit, canRun, onRun, onArchive }: { canEdit: boolean; canRun: boolean; onRun: () => void; onArchive: () => void }) {
  const job = useJobEditorStore(jobEditorSelectors.job);
  const { duplicate } = useJobEditorStore.getState();
  return (
    <div className="screen-head">
      <h2 id="editor-title">{job ? job.name : 'New job'}</h2>
      {job?.archived && <span className="badge archived">archived</span>}
      {job && (
        <a className="btn" href={hrefOf({ name: 'runs', jobId: job.id })}>
          Runs
        </a>
      )}
      {job && canRun && !job.archived && (
        <button type="button" className="btn" onClick={onRun}>
          <Icon name="play" /> Run now
        </button>
      )}
      {job && canEdit && (
        <>
          <button type="button" className="btn" onClick={() => void duplicate()}>
            Duplicate
          </button>
          <button type="button" className={`btn${job.archived ? '' : ' danger'}`} onClick={onArchive}>
            {job.archived ? 'Unarchive' : 'Archive'}
          </button>
        </>
      )}
    </div>
  );
}
