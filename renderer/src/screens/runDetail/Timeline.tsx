/** The timeline column: its header (time marks across the run's span) and one task's bar. */
import { memo } from 'react';
import type { TaskRun } from '../../../../shared/model/workflow';
import { barOf, formatMs, type Span } from '../../lib/taskRuns';

const MARKS = [0, 0.5, 1];

export function TimelineHeader({ span }: { span: Span | null }) {
  if (!span) return <div role="columnheader">Timeline</div>;
  const total = span.end - span.start;
  return (
    <div role="columnheader" className="tl-head" aria-label={`Timeline, ${formatMs(total)} in all`}>
      {MARKS.map((m) => (
        <span key={m} className="tl-mark" style={{ left: `${m * 100}%` }} aria-hidden="true">
          {m === 0 ? '0' : `+${formatMs(total * m)}`}
        </span>
      ))}
    </div>
  );
}

/** A task's bar, placed by its start and end within the span; words for screen readers. */
export const TimelineBar = memo(function TimelineBar({ task, span, now }: { task: TaskRun; span: Span | null; now: number }) {
  const bar = span ? barOf(task, span, now) : null;
  if (!bar || !span) {
    return (
      <div role="cell" className="tl-cell">
        <span className="sr-only">not started</span>
      </div>
    );
  }
  const offset = Date.parse(task.startedAt!) - span.start;
  const length = (task.finishedAt ? Date.parse(task.finishedAt) : now) - Date.parse(task.startedAt!);
  const words = `starts at +${formatMs(offset)}, ${task.finishedAt ? 'lasts' : 'running for'} ${formatMs(Math.max(0, length))}`;
  return (
    <div role="cell" className="tl-cell">
      <span
        className={`tl-bar ${task.status}`}
        style={{ left: `min(${(bar.left * 100).toFixed(3)}%, calc(100% - 2px))`, width: `${(bar.width * 100).toFixed(3)}%` }}
        title={words}
        data-left={bar.left.toFixed(4)}
        data-width={bar.width.toFixed(4)}
        aria-hidden="true"
      />
      <span className="sr-only">{words}</span>
    </div>
  );
});
