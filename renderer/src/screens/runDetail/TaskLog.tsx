/** The selected task's own log lines: virtualized, following the tail while it runs. */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState } from 'react';
import type { TaskLog as Log } from '../../stores/tasksStore';

const ROW = 18;
const STREAM_LABEL = { stdout: 'out', stderr: 'err', system: 'jobdeck' } as const;

export function TaskLog({ log, onMore }: { log: Log | null; onMore: () => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);
  const lines = log?.lines ?? [];
  const virtualizer = useVirtualizer({ count: lines.length, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 30 });

  useLayoutEffect(() => {
    if (following && lines.length > 0) virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [following, lines.length, virtualizer]);

  const onScroll = () => {
    const el = scroller.current;
    if (el) setFollowing(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2);
  };

  return (
    <div className="task-log-wrap">
      <div className="log task-log" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label={log ? `Log of ${log.path}` : 'Task log'} data-testid="task-log">
        {log?.loading && lines.length === 0 && <div className="empty">Reading the log…</div>}
        {log && !log.loading && lines.length === 0 && <div className="empty">This task printed nothing.</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: 'max-content', width: '100%' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const line = lines[item.index]!;
            return (
              <div key={line.seq} className={`log-line ${line.stream}`} data-seq={line.seq} style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}>
                <span className="seq">{line.seq}</span>
                <span className="ts">{line.ts.slice(11, 23)}</span>
                <span className="log-text">
                  <span className="sr-only">{STREAM_LABEL[line.stream]}: </span>
                  {line.text}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      {log?.error && <div className="error-text small" role="alert">{log.error}</div>}
      {log?.more && (
        <button type="button" className="btn small" onClick={onMore} disabled={log.loading}>
          Read more lines
        </button>
      )}
    </div>
  );
}
