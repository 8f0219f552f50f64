/** A new job: every field, the script in CodeMirror, the schedule's preview. An existing job opens on its page (JobPage). */
import { useLayoutEffect } from 'react';
import { connectionSelectors, useConnectionStore } from '../stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../stores/jobEditorStore';
import { SettingsForm } from './jobEditor/SettingsForm';

export function JobEditor() {
  const canEdit = useConnectionStore(connectionSelectors.can('superadmin'));
  const opened = useJobEditorStore(jobEditorSelectors.openFor(null));
  const { open, close } = useJobEditorStore.getState();

  // Before paint: the store outlives the screen, so nothing from an earlier visit is shown.
  useLayoutEffect(() => {
    open(null);
    return () => close();
  }, [open, close]);

  return (
    <section className="screen" aria-labelledby="editor-title" data-testid="job-editor">
      <div className="screen-head">
        <h2 id="editor-title">New job</h2>
      </div>
      {!canEdit ? (
        <div className="alert info" role="note">
          Creating jobs needs the superadmin role; you are signed in with a role that can look but not change.
        </div>
      ) : opened ? (
        <SettingsForm />
      ) : (
        <div className="muted">Loading…</div>
      )}
    </section>
  );
}
