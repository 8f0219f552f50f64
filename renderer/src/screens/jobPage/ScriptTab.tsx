/** The saved script, read-only, with its versions and a side-by-side diff at full width. */
import type { Job } from '../../../../shared/model/job';
import { Md5 } from '../../components/common';
import { ScriptEditor } from '../../components/ScriptEditor';
import { ScriptHistory } from '../../components/ScriptHistory';
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';

export function ScriptTab({ job }: { job: Job }) {
  const dirty = useJobEditorStore(jobEditorSelectors.dirty);
  const workflow = job.runtime === 'workflow';
  return (
    <div className="col-gap">
      <section className="panel panel-pad col-gap" aria-labelledby="script-title">
        <h3 id="script-title" className="row">
          {workflow ? 'Workflow definition' : 'Script'} <Md5 md5={job.scriptMd5} />
          <span className="muted small">
            {job.runtime} · revision {job.revision}, read-only
          </span>
        </h3>
        {dirty && <div className="alert info">The Settings tab has edits that are not saved; this is the script as saved.</div>}
        <ScriptEditor value={job.script} runtime={job.runtime} label={`${workflow ? 'Workflow definition' : 'Script'} of ${job.name} (read-only)`} readOnly />
      </section>
      <ScriptHistory jobId={job.id} revision={job.revision} wide />
    </div>
  );
}
