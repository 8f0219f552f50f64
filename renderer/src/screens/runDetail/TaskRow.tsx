/** One row of the task tree: re-rendered only when its task, place, focus, selection or the clock changes. */
import { memo } from 'react';
import type { TaskRun } from '../../../../shared/model/workflow';
import { formatClockMs, formatMs, taskDurationMs, type Span } from '../../lib/taskRuns';
import { TaskStatusBadge } from './TaskStatus';
import { TimelineBar } from './Timeline';

export const TASK_COLUMNS = 'minmax(190px, 1.5fr) 108px 46px 104px 100px minmax(110px, 1fr) minmax(200px, 1.6fr)';
export const TASK_ROW = 40;

interface Props {
  task: TaskRun;
  /** Position among the rows shown. */
  index: number;
  start: number;
  hasChildren: boolean;
  folded: boolean;
  active: boolean;
  selected: boolean;
  span: Span | null;
  now: number;
  onSelect(path: string): void;
  onToggle(path: string): void;
  onFocusRow(index: number): void;
}

export const TaskRow = memo(function TaskRow({ task, index, start, hasChildren, folded, active, selected, span, now, onSelect, onToggle, onFocusRow }: Props) {
  const detail = task.error ?? task.note;
  return (
    <div
      role="row"
      data-index={index}
      aria-rowindex={index + 2}
      data-path={task.path}
      data-status={task.status}
      aria-level={task.depth}
      aria-expanded={hasChildren ? !folded : undefined}
      aria-selected={selected}
      tabIndex={active ? 0 : -1}
      className={`trow task-row${selected ? ' selected' : ''}${task.status === 'SKIPPED' || task.status === 'PENDING' ? ' dim' : ''}`}
      style={{ gridTemplateColumns: TASK_COLUMNS, position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${start}px)` }}
      onClick={() => onSelect(task.path)}
      onFocus={() => onFocusRow(index)}
    >
      <div role="gridcell" className="task-name" style={{ paddingLeft: (task.depth - 1) * 16 }}>
        {hasChildren ? (
          <button
            type="button"
            className="fold"
            tabIndex={-1}
            aria-label={`${folded ? 'Unfold' : 'Fold'} ${task.path}`}
            onClick={(e) => {
              e.stopPropagation();
              onToggle(task.path);
            }}
          >
            {folded ? '▸' : '▾'}
          </button>
        ) : (
          <span className="fold" aria-hidden="true" />
        )}
        <span className="task-label">
          <span className="task-title">{task.name}</span>
          <span className="task-path mono" title={task.path}>
            {task.path}
          </span>
        </span>
      </div>
      <div role="gridcell">
        <TaskStatusBadge status={task.status} />
      </div>
      <div role="gridcell" className="num" title={task.kind === 'group' ? 'a group of subtasks runs no process' : undefined}>
        {task.kind === 'group' ? '—' : task.attempts}
      </div>
      <div role="gridcell" className="mono small" title={task.startedAt ?? undefined}>
        {formatClockMs(task.startedAt) || <span className="muted">—</span>}
      </div>
      <div role="gridcell" className="mono small num">
        {formatMs(taskDurationMs(task, now)) || <span className="muted">—</span>}
      </div>
      <div role="gridcell" className={task.error ? 'error-text small' : 'muted small'} title={detail ?? undefined}>
        {task.reused && <span className="badge reused">reused</span>} {detail}
      </div>
      <TimelineBar task={task} span={span} now={now} />
    </div>
  );
});
