/** The selected task: its facts, its own log and its result; re-run it (admins, once the run has finished). */
import type { TaskRun } from '../../../../shared/model/workflow';
import { Icon } from '../../components/common';
import { formatClockMs, formatMs, taskDurationMs } from '../../lib/taskRuns';
import type { TaskLog as Log } from '../../stores/tasksStore';
import { TaskLog } from './TaskLog';
import { TaskStatusBadge } from './TaskStatus';

interface Props {
  task: TaskRun;
  log: Log | null;
  now: number;
  /** Re-running is offered (an admin, and the run has finished). */
  canRerun: boolean;
  busy: boolean;
  onRerun(path: string): void;
  onMore(): void;
  onClose(): void;
}

function resultText(task: TaskRun): string {
  if (task.resultTruncated) return 'The result is larger than 16 KB and is not shown here: its ::return line is in the log.';
  if (task.result === null || task.result === undefined) return task.status === 'RUNNING' || task.status === 'QUEUED' || task.status === 'PENDING' ? 'No result yet.' : 'No result.';
  return JSON.stringify(task.result, null, 2);
}

export function TaskDetail({ task, log, now, canRerun, busy, onRerun, onMore, onClose }: Props) {
  return (
    <section className="panel task-detail" aria-labelledby="task-detail-title" data-testid="task-detail" data-path={task.path}>
      <div className="task-detail-head">
        <h3 id="task-detail-title">
          Task <span className="mono">{task.path}</span>
        </h3>
        <TaskStatusBadge status={task.status} />
        {task.reused && <span className="badge reused">reused</span>}
        <span className="muted small">
          {task.kind} · {task.kind === 'group' ? 'no process' : `attempt ${task.attempts}`} · round {task.round}
          {task.startedAt && ` · started ${formatClockMs(task.startedAt)}`}
          {task.startedAt && ` · ${formatMs(taskDurationMs(task, now))}`}
          {task.exitCode !== null && ` · exit ${task.exitCode}`}
        </span>
        <span className="spacer" />
        {canRerun && (
          <button type="button" className="btn small" disabled={busy} onClick={() => onRerun(task.path)}>
            <Icon name="play" /> Re-run this task
          </button>
        )}
        <button type="button" className="copy" aria-label="Close the task" onClick={onClose}>
          <Icon name="close" />
        </button>
      </div>
      {(task.error || task.note) && (
        <div className={task.error ? 'error-text small' : 'muted small'} data-testid="task-message">
          {task.failure && <strong>{task.failure}: </strong>}
          {task.error ?? task.note}
        </div>
      )}
      <div className="task-detail-body">
        <TaskLog log={log} onMore={onMore} />
        <div className="task-result">
          <div className="label small">Result</div>
          <pre className="mono" data-testid="task-result" tabIndex={0} aria-label={`Result of ${task.path}`}>
            {resultText(task)}
          </pre>
        </div>
      </div>
    </section>
  );
}
