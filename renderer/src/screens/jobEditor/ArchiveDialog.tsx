/** Confirm archiving a job, or bringing an archived one back. */
import type { Job } from '../../../../shared/model/job';
import { ConfirmDialog } from '../../components/common';
import { useJobEditorStore } from '../../stores/jobEditorStore';

export function ArchiveDialog({ job, open, onClose }: { job: Job; open: boolean; onClose: () => void }) {
  const { toggleArchived } = useJobEditorStore.getState();
  return (
    <ConfirmDialog
      open={open}
      title={job.archived ? `Unarchive ${job.name}?` : `Archive ${job.name}?`}
      text={
        job.archived
          ? 'The job comes back into use and fires on its schedule again if it is enabled.'
          : 'An archived job is never fired and cannot be run; it stays in the list. Waiting runs are cancelled; a running one finishes.'
      }
      confirm={job.archived ? 'Unarchive' : 'Archive'}
      danger={!job.archived}
      onConfirm={() => void toggleArchived()}
      onClose={onClose}
    />
  );
}
