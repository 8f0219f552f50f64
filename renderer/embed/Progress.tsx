/**
 * The default progression: the job's name, the run's message and percent, a
 * native progress bar, and a workflow's tasks with the library's status
 * words. Plain elements with `jobdeck-…` classes for the host's own styles.
 */
import type { JobifyState, JobifyTask, SeedTaskStatus } from './types';

const MARK: Record<SeedTaskStatus, string> = { inactive: '○', queued: '◔', ok: '✓', failed: '✗' };

function TaskItem({ task }: { task: JobifyTask }) {
  return (
    <li className={`jobdeck-task jobdeck-task-${task.status}`} data-path={task.path} data-status={task.status} style={{ paddingInlineStart: `${(task.depth - 1) * 1.25}em` }}>
      <span aria-hidden="true">{MARK[task.status]} </span>
      {task.name} <span className="jobdeck-task-status">({task.status})</span>
    </li>
  );
}

export function Progress({ state }: { state: JobifyState }) {
  const percent = state.percent === null ? undefined : Math.max(0, Math.min(100, state.percent));
  return (
    <div className="jobdeck-progress" role="status" aria-live="polite" data-run={state.run.id} data-status={state.status} data-connection={state.connection}>
      <div className="jobdeck-progress-head">
        <strong>{state.run.jobName}</strong> <span className="jobdeck-progress-message">{state.message}</span>
        {percent !== undefined && <span className="jobdeck-progress-percent"> {Math.round(percent)}%</span>}
      </div>
      <progress max={100} value={percent} aria-label={`${state.run.jobName}: ${state.message}`} />
      {state.tasks && (
        <ul className="jobdeck-tasks" aria-label="Tasks">
          {state.tasks.map((t) => (
            <TaskItem key={t.path} task={t} />
          ))}
        </ul>
      )}
      {state.connection !== 'open' && <div className="jobdeck-progress-offline">Reconnecting to {state.run.jobName}…</div>}
    </div>
  );
}

/** What Jobify shows when no progression is given. */
export const defaultProgression = (state: JobifyState) => <Progress state={state} />;
