/**
 * The task tree of a workflow run as a tree grid: virtualized rows (a tree of
 * 500 tasks renders the few rows in view), indentation by depth, a timeline
 * column, and the keyboard of a tree: arrows move, Right/Left unfold/fold (or
 * go to the first subtask / the parent), Home/End, Page Up/Down, Enter or
 * Space shows the task's log.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { TaskRun } from '../../../../shared/model/workflow';
import { parentPaths, visibleTasks, type Span } from '../../lib/taskRuns';
import { TASK_COLUMNS, TASK_ROW, TaskRow } from './TaskRow';
import { TimelineHeader } from './Timeline';

interface Props {
  tasks: TaskRun[];
  selected: string | null;
  span: Span | null;
  now: number;
  onSelect(path: string): void;
}

export function TaskTree({ tasks, selected, span, now, onSelect }: Props) {
  const [folded, setFolded] = useState<ReadonlySet<string>>(() => new Set());
  const [active, setActive] = useState(0);
  const scroller = useRef<HTMLDivElement>(null);
  const parents = useMemo(() => parentPaths(tasks), [tasks]);
  const rows = useMemo(() => visibleTasks(tasks, folded), [tasks, folded]);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => TASK_ROW, overscan: 10 });

  const toggle = useCallback((path: string) => {
    setFolded((f) => {
      const next = new Set(f);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  }, []);

  const focusRow = (i: number) => {
    const index = Math.max(0, Math.min(rows.length - 1, i));
    setActive(index);
    virtualizer.scrollToIndex(index, { align: 'auto' });
    requestAnimationFrame(() => scroller.current?.querySelector<HTMLElement>(`[data-index="${index}"]`)?.focus());
  };

  const onKey = (e: KeyboardEvent) => {
    const task = rows[active];
    if (!task) return;
    const isParent = parents.has(task.path);
    const isFolded = folded.has(task.path);
    const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + 10, PageUp: active - 10, Home: 0, End: rows.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      focusRow(moves[e.key]!);
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      if (isParent && isFolded) toggle(task.path);
      else if (isParent) focusRow(active + 1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      if (isParent && !isFolded) toggle(task.path);
      else if (task.parent !== null) focusRow(rows.findIndex((t) => t.path === task.parent));
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect(task.path);
    }
  };

  const foldAll = () => setFolded(new Set(parents));
  const unfoldAll = () => setFolded(new Set());

  return (
    <div className="panel table task-table" data-testid="task-tree">
      <div className="row task-tools">
        <button type="button" className="btn small" onClick={unfoldAll} disabled={folded.size === 0}>
          Unfold all
        </button>
        <button type="button" className="btn small" onClick={foldAll} disabled={parents.size === 0 || folded.size === parents.size}>
          Fold all
        </button>
        <span className="muted small">Arrows move, Right/Left unfold and fold, Enter shows a task&apos;s log.</span>
      </div>
      <div role="treegrid" aria-label="Tasks" aria-rowcount={rows.length + 1} aria-multiselectable={false} className="task-grid">
        <div className="thead" role="row" aria-rowindex={1} style={{ gridTemplateColumns: TASK_COLUMNS }}>
          <div role="columnheader">Task</div>
          <div role="columnheader">Status</div>
          <div role="columnheader" title="Attempts">Tries</div>
          <div role="columnheader">Started</div>
          <div role="columnheader">Duration</div>
          <div role="columnheader">Details</div>
          <TimelineHeader span={span} />
        </div>
        <div className="tbody" ref={scroller} role="rowgroup" onKeyDown={onKey} data-testid="task-scroller">
          {rows.length === 0 && <div className="empty">No tasks yet.</div>}
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const task = rows[item.index]!;
              return (
                <TaskRow
                  key={task.path}
                  task={task}
                  index={item.index}
                  start={item.start}
                  hasChildren={parents.has(task.path)}
                  folded={folded.has(task.path)}
                  active={item.index === Math.min(active, rows.length - 1)}
                  selected={task.path === selected}
                  span={span}
                  now={now}
                  onSelect={onSelect}
                  onToggle={toggle}
                  onFocusRow={setActive}
                />
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
