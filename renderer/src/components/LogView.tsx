/**
 * A run's live log: virtualized (a million lines scroll like ten), follows
 * the tail until scrolled up, stdout/stderr/Jobdeck lines told apart, ANSI
 * colours rendered, search with next/previous.
 */
import Anser from 'anser';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { isFinished, type LogLine } from '../../../shared/model/run';
import { useLogStore } from '../stores/logStore';

const ROW = 18;
const STREAM_LABEL = { stdout: 'out', stderr: 'err', system: 'jobdeck' } as const;

function highlight(text: string, needle: string): ReactNode {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const n = needle.toLowerCase();
  const out: ReactNode[] = [];
  let i = 0;
  for (;;) {
    const j = lower.indexOf(n, i);
    if (j < 0) break;
    out.push(text.slice(i, j), <mark key={j}>{text.slice(j, j + n.length)}</mark>);
    i = j + n.length;
  }
  out.push(text.slice(i));
  return out;
}

/** Parsed ANSI colour runs of a line (parsed once per line, not per render). */
const ansiCache = new WeakMap<LogLine, ReturnType<typeof Anser.ansiToJson>>();

function renderText(line: LogLine, needle: string): ReactNode {
  const text = line.text;
  if (!text.includes('\u001b[')) return highlight(text, needle);
  let parts = ansiCache.get(line);
  if (!parts) {
    parts = Anser.ansiToJson(text, { remove_empty: true, use_classes: false });
    ansiCache.set(line, parts);
  }
  return parts.map((p, i) => (
    <span
      key={i}
      style={{
        color: p.fg ? `rgb(${p.fg})` : undefined,
        backgroundColor: p.bg ? `rgb(${p.bg})` : undefined,
        fontWeight: p.decorations?.includes('bold') ? 700 : undefined,
        fontStyle: p.decorations?.includes('italic') ? 'italic' : undefined,
        textDecoration: p.decorations?.includes('underline') ? 'underline' : undefined,
      }}
    >
      {highlight(p.content, needle)}
    </span>
  ));
}

const Line = memo(function Line({ line, needle, current }: { line: LogLine | undefined; needle: string; current: boolean }) {
  if (!line) return <div className="log-line muted">…</div>;
  const time = line.ts.slice(11, 23);
  return (
    <div className={`log-line ${line.stream}${current ? ' current' : ''}`} data-seq={line.seq}>
      <span className="seq">{line.seq}</span>
      <span className="ts">{time}</span>
      <span className="log-text">
        <span className="sr-only">{STREAM_LABEL[line.stream]}: </span>
        {renderText(line, needle)}
      </span>
    </div>
  );
});

export function LogView({ downloadHref, onSave }: { downloadHref?: string; onSave?: () => void }) {
  const count = useLogStore((s) => s.count);
  useLogStore((s) => s.version); // re-render as pages arrive
  const following = useLogStore((s) => s.following);
  const search = useLogStore((s) => s.search);
  const run = useLogStore((s) => s.run);
  const { ensure, line, setFollowing, find, step } = useLogStore.getState();
  const scroller = useRef<HTMLDivElement>(null);
  const [query, setQuery] = useState('');
  const programmatic = useRef(false);

  const virtualizer = useVirtualizer({ count, getScrollElement: () => scroller.current, estimateSize: () => ROW, overscan: 40 });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  // Fetch what is in view once scrolling pauses (a fast scroll shows placeholders, not a flood of requests).
  useEffect(() => {
    if (count === 0) return;
    const t = setTimeout(() => ensure(first + 1, last + 1), 60);
    return () => clearTimeout(t);
  }, [first, last, count, ensure]);

  // Follow the tail while following.
  useLayoutEffect(() => {
    if (following && count > 0) {
      programmatic.current = true;
      virtualizer.scrollToIndex(count - 1, { align: 'end' });
    }
  }, [following, count, virtualizer]);

  // Jump to the current search match.
  const currentSeq = search.index >= 0 ? search.seqs[search.index] : undefined;
  useEffect(() => {
    if (currentSeq !== undefined) virtualizer.scrollToIndex(currentSeq - 1, { align: 'center' });
  }, [currentSeq, virtualizer]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    if (programmatic.current) {
      programmatic.current = false;
      return;
    }
    const atBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW * 2;
    setFollowing(atBottom);
  };

  return (
    <section className="screen" aria-label="Log" style={{ gap: 8 }}>
      <div className="log-toolbar">
        <h3 style={{ marginRight: 'auto' }}>
          Log <span className="muted small">({count.toLocaleString()} lines)</span>
        </h3>
        <form
          className="row"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (query === search.text && search.seqs.length) step(1);
            else void find(query);
          }}
        >
          <label className="sr-only" htmlFor="log-search">
            Search the log
          </label>
          <input
            id="log-search"
            className="input"
            type="search"
            placeholder="Search the log…"
            title="Enter: next match, Shift+Enter: previous"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && e.shiftKey && query === search.text && search.seqs.length) {
                e.preventDefault();
                step(-1);
              }
            }}
          />
          <button type="submit" className="btn small">
            Find
          </button>
          {search.text && (
            <span className="small muted" aria-live="polite" data-testid="search-status">
              {search.busy
                ? 'searching…'
                : search.seqs.length === 0
                  ? run && !isFinished(run.status)
                    ? 'no match yet'
                    : 'no match'
                  : search.index < 0
                    ? `${search.seqs.length} match${search.seqs.length === 1 ? '' : 'es'}`
                    : `${search.index + 1} of ${search.seqs.length}${search.truncated ? '+' : ''}`}
            </span>
          )}
          <button type="button" className="btn small" aria-label="Previous match" disabled={!search.seqs.length} onClick={() => step(-1)}>
            ↑
          </button>
          <button type="button" className="btn small" aria-label="Next match" disabled={!search.seqs.length} onClick={() => step(1)}>
            ↓
          </button>
        </form>
        <button type="button" className={`btn small${following ? ' primary' : ''}`} aria-pressed={following} onClick={() => setFollowing(!following)}>
          {following ? 'Following' : 'Follow tail'}
        </button>
        {downloadHref && (
          <a className="btn small" href={downloadHref} download>
            Download .log
          </a>
        )}
        {onSave && (
          <button type="button" className="btn small" onClick={onSave}>
            Save .log…
          </button>
        )}
      </div>
      <div className="log" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Log lines" data-testid="log-view" data-following={following}>
        {count === 0 && <div className="empty">No output yet.</div>}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', minWidth: 'max-content', width: '100%' }}>
          {items.map((item) => (
            <div key={item.index} style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}>
              <Line line={line(item.index + 1)} needle={search.text} current={currentSeq === item.index + 1} />
            </div>
          ))}
        </div>
      </div>
    </section>
  );
}
