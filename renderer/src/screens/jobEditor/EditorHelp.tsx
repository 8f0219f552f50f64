/** Beside the job form: how scripts talk to Jobdeck, or how a workflow is written. */
import { jobEditorSelectors, useJobEditorStore } from '../../stores/jobEditorStore';

function ScriptProtocolHelp() {
  return (
    <section className="panel panel-pad small" aria-labelledby="help-title" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
      <h3 id="help-title">Talking to Jobdeck from a script</h3>
      <p style={{ margin: 0 }}>Print these lines on stdout; they stay in the log too.</p>
      <pre className="mono" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
        {'::progress 40 Copying files\n::result report.csv\n::audit changed 2 records'}
      </pre>
      <p style={{ margin: 0 }}>
        Files written to <code>$JOBDECK_OUTPUT_DIR</code> become the run&apos;s result files. Arguments arrive as argv and <code>$JOBDECK_ARGS</code>;
        parameters as <code>$JOBDECK_PARAMS</code> (JSON) and <code>$JOBDECK_PARAM_NAME</code>. Exit code 0 means success.
      </p>
    </section>
  );
}

function WorkflowHelp() {
  return (
    <section className="panel panel-pad small" aria-labelledby="wf-help-title" style={{ display: 'flex', flexDirection: 'column', gap: 6 }}>
      <h3 id="wf-help-title">Writing a workflow</h3>
      <p style={{ margin: 0 }}>
        Each task runs a <code>script</code> (with its <code>runtime</code>) or another <code>job</code>; its <code>subtasks</code> run in parallel
        after it. A task is known by its path: <code>#.extract.eu</code>.
      </p>
      <pre className="mono" style={{ margin: 0, whiteSpace: 'pre-wrap' }}>
        {"::return {\"rows\": 42}   (its result)\n\"dest\": \"batch\"          (subtasks read it)\n\"condition\": \"batch.rows > 0\""}
      </pre>
      <p style={{ margin: 0 }}>
        Subtasks find the result as <code>$JOBDECK_DEST_BATCH</code>, every result so far in <code>$JOBDECK_RESULTS_FILE</code>; conditions are CEL
        over <code>params</code>, <code>results</code> and the <code>dest</code> names.
      </p>
    </section>
  );
}

export function EditorHelp() {
  const runtime = useJobEditorStore(jobEditorSelectors.field('runtime'));
  return <aside className="side">{runtime === 'workflow' ? <WorkflowHelp /> : <ScriptProtocolHelp />}</aside>;
}
