/** Add and edit a job: every field, the script in CodeMirror, schedule preview, history. */
import { useLayoutEffect, useState } from 'react';
import { RunNowDialog } from '../components/RunNowDialog';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../stores/jobEditorStore';
import { ArchiveDialog } from './jobEditor/ArchiveDialog';
import { BehaviourSection } from './jobEditor/BehaviourSection';
import { EditorHeader } from './jobEditor/EditorHeader';
import { FormFooter } from './jobEditor/FormFooter';
import { GeneralSection, GroupList } from './jobEditor/GeneralSection';
import { JobSidebar } from './jobEditor/JobSidebar';
import { NotifySection } from './jobEditor/NotifySection';
import { ParamsSection } from './jobEditor/ParamsSection';
import { ScheduleSection } from './jobEditor/ScheduleSection';
import { ScriptSection } from './jobEditor/ScriptSection';

export function JobEditor({ id }: { id: number | null }) {
  const canEdit = useConnectionStore(connectionSelectors.can('superadmin'));
  const canRun = useConnectionStore(connectionSelectors.can('admin'));
  const opened = useJobEditorStore(jobEditorSelectors.openFor(id));
  const job = useJobEditorStore(jobEditorSelectors.job);
  const loadError = useJobEditorStore(jobEditorSelectors.loadError);
  const { open, close, save } = useJobEditorStore.getState();
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [runOpen, setRunOpen] = useState(false);

  // Before paint: the store outlives the screen, so nothing from an earlier visit is shown.
  useLayoutEffect(() => {
    open(id);
    return () => close();
  }, [id, open, close]);

  if (opened && loadError) return <div className="alert" role="alert">{loadError}</div>;
  if (!opened || (id !== null && !job)) return <div className="muted">Loading…</div>;
  const readOnly = !canEdit;

  return (
    <section className="screen" aria-labelledby="editor-title" data-testid="job-editor">
      <EditorHeader canEdit={canEdit} canRun={canRun} onRun={() => setRunOpen(true)} onArchive={() => setConfirmArchive(true)} />
      <div className="editor-layout">
        <form
          className="panel panel-pad"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
          noValidate
          style={{ display: 'flex', flexDirection: 'column', gap: 14 }}
          aria-label="Job settings"
        >
          <GeneralSection readOnly={readOnly} />
          <ScriptSection readOnly={readOnly} />
          <ScheduleSection readOnly={readOnly} />
          <ParamsSection readOnly={readOnly} />
          <BehaviourSection readOnly={readOnly} />
          <NotifySection readOnly={readOnly} />
          <FormFooter canEdit={canEdit} />
          <GroupList />
        </form>
        <JobSidebar />
      </div>
      {job && <ArchiveDialog job={job} open={confirmArchive} onClose={() => setConfirmArchive(false)} />}
      {runOpen && job && <RunNowDialog job={job} onClose={() => setRunOpen(false)} />}
    </section>
  );
}
