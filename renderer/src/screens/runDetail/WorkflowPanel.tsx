/**
 * A workflow run's tasks beside its whole log: two tabs. The Tasks tab holds
 * the live task tree with its timeline, the counts by status, "Re-run
 * failed", and the selected task's log and result.
 */
import { useEffect, useMemo, useRef, useState, type ReactNode, type KeyboardEvent } from 'react';
import { isFinished, type Run } from '../../../../shared/model/run';
import { TASK_STATUSES, type TaskStatus } from '../../../../shared/model/workflow';
import { useTick } from '../../components/common';
import { failedTasks, timelineSpan } from '../../lib/taskRuns';
import { tasksSelectors, useTasksStore } from '../../stores/tasksStore';
import { TaskDetail } from './TaskDetail';
import { TaskTree } from './TaskTree';
import { TASK_STATUS_TEXT } from './TaskStatus';

/** Re-renders four times a second while the run is active (running tasks' durations and bars grow). */
function useNow(active: boolean): number {
  return useTick(active ? 250 : 3_600_000);
}

export function WorkflowPanel({ run, canRerun, log }: { run: Run; canRerun: boolean; log: ReactNode }) {
  const tasks = useTasksStore((s) => s.tasks);
  const loaded = useTasksStore((s) => s.loaded);
  const error = useTasksStore((s) => s.error);
  const selected = useTasksStore((s) => s.selected);
  const selectedTask = useTasksStore(tasksSelectors.selectedTask);
  const taskLog = useTasksStore((s) => s.log);
  const busy = useTasksStore((s) => s.busy);
  const { open, close, select, moreLog, rerunFailed, rerunTask } = useTasksStore.getState();
  const [tab, setTab] = useState<'tasks' | 'log'>('tasks');
  const tabs = useRef<HTMLDivElement>(null);
  const finished = isFinished(run.status);
  const now = useNow(!finished);
  const span = useMemo(() => timelineSpan(tasks, now), [tasks, now]);
  const counts = useMemo(() => {
    const c = new Map<TaskStatus, number>();
    for (const t of tasks) c.set(t.status, (c.get(t.status) ?? 0) + 1);
    return c;
  }, [tasks]);
  // A cancelled or failed run may also have tasks it never reached (pending): re-running picks them up too.
  const canRerunFailed = useMemo(() => failedTasks(tasks) > 0 || run.status === 'FAILED' || run.status === 'CANCELLED', [tasks, run.status]);

  useEffect(() => {
    open(run.id, run.round);
    return () => close();
    // The round is read once at open; later rounds arrive live.
  }, [run.id, open, close]);

  const onTabKey = (e: KeyboardEvent) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
    e.preventDefault();
    const next = tab === 'tasks' ? 'log' : 'tasks';
    setTab(next);
    tabs.current?.querySelector<HTMLElement>(`[data-tab="${next}"]`)?.focus();
  };

  return (
    <section className="screen workflow" aria-label="Workflow" data-testid="workflow-panel" data-round={run.round}>
      <div className="row workflow-head">
        <div role="tablist" aria-label="Run views" className="tabs" ref={tabs} onKeyDown={onTabKey}>
          <button type="button" role="tab" id="tab-tasks" data-tab="tasks" aria-selected={tab === 'tasks'} aria-controls="panel-tasks" tabIndex={tab === 'tasks' ? 0 : -1} onClick={() => setTab('tasks')}>
            Tasks <span className="muted small">({tasks.length || run.tasks})</span>
          </button>
          <button type="button" role="tab" id="tab-log" data-tab="log" aria-selected={tab === 'log'} aria-controls="panel-log" tabIndex={tab === 'log' ? 0 : -1} onClick={() => setTab('log')}>
            Whole log
          </button>
        </div>
        <span className="small task-counts" aria-live="polite" data-testid="task-counts">
          {TASK_STATUSES.filter((s) => counts.get(s)).map((s) => (
            <span key={s} className={`count-${s}`}>
              {counts.get(s)} {TASK_STATUS_TEXT[s].toLowerCase()}
            </span>
          ))}
        </span>
        <span className="spacer" />
        {canRerun && finished && canRerunFailed && (
          <button type="button" className="btn" disabled={busy} onClick={() => void rerunFailed()}>
            Re-run failed
          </button>
        )}
      </div>
      {tab === 'tasks' ? (
        <div role="tabpanel" id="panel-tasks" aria-labelledby="tab-tasks" className="workflow-body">
          {error && <div className="alert" role="alert">{error}</div>}
          {!loaded && tasks.length === 0 ? (
            <div className="muted">Reading the tasks…</div>
          ) : (
            <TaskTree tasks={tasks} selected={selected} span={span} now={now} onSelect={select} />
          )}
          {selectedTask && (
            <TaskDetail
              task={selectedTask}
              log={taskLog}
              now={now}
              canRerun={canRerun && finished}
              busy={busy}
              onRerun={(path) => void rerunTask(path)}
              onMore={() => void moreLog()}
              onClose={() => select(null)}
            />
          )}
        </div>
      ) : (
        <div role="tabpanel" id="panel-log" aria-labelledby="tab-log" className="workflow-body">
          {log}
        </div>
      )}
    </section>
  );
}
