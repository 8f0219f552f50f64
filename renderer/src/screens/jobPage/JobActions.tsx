/**
 * A job's actions in its page's head: run now, export (a JSON download),
 * duplicate, archive, delete (with a confirmation naming what goes with it).
 * Each is shown only to a role that may do it.
 */
import { useState } from 'react';
import type { Job } from '../../../../shared/model/job';
import { ConfirmDialog, Icon } from '../../components/common';
import { RunNowDialog } from '../../components/RunNowDialog';
import { useJobEditorStore } from '../../stores/jobEditorStore';
import { useJobPageStore } from '../../stores/jobPageStore';
import { toast } from '../../stores/toastStore';
import { downloadJson, exportFileName } from '../../lib/downloads';
import { ArchiveDialog } from '../jobEditor/ArchiveDialog';

async function download(job: Job) {
  const doc = await useJobPageStore.getState().exportJob();
  if (!doc) return;
  const name = exportFileName(job.name);
  downloadJson(name, doc);
  toast.success(`Exported ${job.name} as ${name}`);
}

const plural = (n: number, one: string) => `${n.toLocaleString()} ${one}${n === 1 ? '' : 's'}`;

export function JobActions({ job, canEdit, canRun }: { job: Job; canEdit: boolean; canRun: boolean }) {
  const [dialog, setDialog] = useState<'run' | 'archive' | 'delete' | null>(null);
  const runs = useJobPageStore((s) => s.total);
  // Until the runs are read (or if they could not be), the dialog does not claim a number.
  const counted = useJobPageStore((s) => s.loaded && s.error === null);
  const active = useJobPageStore((s) => s.recent.find((r) => r.status === 'IN_PROGRESS' || r.status === 'QUEUED'));
  const { duplicate } = useJobEditorStore.getState();
  const close = () => setDialog(null);
  return (
    <div className="row" role="group" aria-label="Job actions">
      {canRun && !job.archived && (
        <button type="button" className="btn primary" onClick={() => setDialog('run')}>
          <Icon name="play" /> Run now
        </button>
      )}
      <button type="button" className="btn" onClick={() => void download(job)} title="Download the job (script, schedule, parameters) as a JSON file jobdeck import reads">
        Export JSON
      </button>
      {canEdit && (
        <>
          <button type="button" className="btn" onClick={() => void duplicate()}>
            Duplicate
          </button>
          <button type="button" className="btn" onClick={() => setDialog('archive')}>
            {job.archived ? 'Unarchive' : 'Archive'}
          </button>
          <button type="button" className="btn danger" onClick={() => setDialog('delete')}>
            Delete…
          </button>
        </>
      )}
      {dialog === 'run' && <RunNowDialog job={job} onClose={close} />}
      <ArchiveDialog job={job} open={dialog === 'archive'} onClose={close} />
      <ConfirmDialog
        open={dialog === 'delete'}
        title={`Delete ${job.name}?`}
        text={
          <div data-testid="delete-what">
            <p>
              This deletes the job <strong>{job.name}</strong> with {counted ? <>its <strong>{plural(runs, 'run')}</strong></> : <strong>all its runs</strong>}, their logs and their result files,
              and its script&apos;s version history. The audit log keeps what was done to it.
            </p>
            {active && (
              <p className="alert" role="note">
                Run #{active.id} is {active.status === 'QUEUED' ? 'queued' : 'in progress'}: a job is not deleted while a run of it waits or runs. Cancel it or let it end
                first.
              </p>
            )}
            <p>It cannot be undone: export the job first to keep a copy. To stop it without losing its history, archive it instead.</p>
          </div>
        }
        confirm="Delete the job"
        danger
        onConfirm={() =>
          void useJobPageStore
            .getState()
            .deleteJob()
            .then((error) => error && toast.error(`Not deleted: ${error}`))
        }
        onClose={close}
      />
    </div>
  );
}
