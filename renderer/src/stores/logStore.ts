/**
 * The open run: its state, result files, and its log. A log can hold a
 * million lines, so lines are fetched a page at a time as they scroll into
 * view and far-away pages are dropped; the live tail arrives by
 * subscription from the last sequence number read.
 */
import { create } from 'zustand';
import { isFinished, laterRunState, type LogLine, type ResultFile, type Run } from '../../../shared/model/run';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';
import { useTasksStore } from './tasksStore';

export const PAGE = 500;
const MAX_PAGES = 400;

interface Search {
  text: string;
  seqs: number[];
  index: number;
  truncated: boolean;
  busy: boolean;
}

interface State {
  runId: number | null;
  run: Run | null;
  files: ResultFile[];
  error: string | null;
  /** Highest sequence number known: the log's length. */
  count: number;
  /** Pages of lines by page index (seq 1..500 is page 0); bumped `version` re-renders. */
  pages: Map<number, LogLine[]>;
  version: number;
  following: boolean;
  search: Search;
  open(runId: number): Promise<void>;
  close(): void;
  ensure(firstSeq: number, lastSeq: number): void;
  line(seq: number): LogLine | undefined;
  setFollowing(on: boolean): void;
  find(text: string): Promise<void>;
  step(delta: 1 | -1): void;
  refreshFiles(): Promise<void>;
  cancel(): Promise<void>;
}

/** SQLite's LIKE, which runs.search uses, folds ASCII letters only: live lines are matched the same way. */
const foldAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * The search with the lines that arrived live after it added: a line counts
 * when it holds the text and comes after every match the engine found (an
 * earlier one would have been found). Nothing is added to a truncated
 * result: its count is "more than" already.
 */
export function withLiveMatches(search: Search, lines: readonly LogLine[]): Search {
  if (!search.text || search.busy || search.truncated || lines.length === 0) return search;
  const needle = foldAscii(search.text);
  let last = search.seqs.length ? search.seqs[search.seqs.length - 1]! : 0;
  let seqs: number[] | null = null;
  for (const line of lines) {
    if (line.seq <= last || !foldAscii(line.text).includes(needle)) continue;
    (seqs ??= [...search.seqs]).push(line.seq);
    last = line.seq;
  }
  return seqs ? { ...search, seqs } : search;
}

let unsubscribe: (() => void) | null = null;
/** Live lines that came while a search was on its way: matched once its answer is in. */
let duringSearch: LogLine[] = [];
/** More came than are kept: the count can only say "more than". */
let duringSearchOverflow = false;
const DURING_SEARCH_MAX = 10_000;
/** Bumped by every search: an answer to an earlier one is dropped. */
let searchSeq = 0;
/** Pages fetched and not yet shown: applied together, once per frame. */
let arrived: [number, LogLine[]][] = [];
let arrivalQueued = false;

function scheduleArrivals(): void {
  if (arrivalQueued) return;
  arrivalQueued = true;
  const apply = () => {
    arrivalQueued = false;
    const batch = arrived;
    arrived = [];
    const state = useLogStore.getState();
    const pages = new Map(state.pages);
    let count = state.count;
    for (const [p, lines] of batch) {
      const merged = mergeLines(lines, pages.get(p) ?? []);
      pages.set(p, merged);
      if (merged.length) count = Math.max(count, merged[merged.length - 1]!.seq);
    }
    evict(pages);
    useLogStore.setState({ pages, count, version: state.version + 1 });
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(apply);
  else setTimeout(apply, 0);
}
const loading = new Set<number>();
const lastUse = new Map<number, number>();
let useTick = 0;

const pageOf = (seq: number) => Math.floor((seq - 1) / PAGE);

export const useLogStore = create<State>()((set, get) => ({
  runId: null,
  run: null,
  files: [],
  error: null,
  count: 0,
  pages: new Map(),
  version: 0,
  following: true,
  search: { text: '', seqs: [], index: -1, truncated: false, busy: false },

  async open(runId) {
    get().close();
    loading.clear();
    arrived = [];
    lastUse.clear();
    set({ runId, run: null, files: [], error: null, count: 0, pages: new Map(), version: 0, following: true, search: { text: '', seqs: [], index: -1, truncated: false, busy: false } });
    try {
      const c = client();
      const [run, files] = await Promise.all([c.call('runs.get', { id: runId }), c.call('runs.files', { id: runId })]);
      if (get().runId !== runId) return;
      set({ run: laterRunState(get().run, run), files, count: Math.max(get().count, run.lastSeq) });
      // The tail first: that is what one looks at.
      if (run.lastSeq > 0) get().ensure(Math.max(1, run.lastSeq - PAGE + 1), run.lastSeq);
      // The first run event after (re)subscribing proves the subscription is in place on the engine:
      // from then on no task change is missed, so the task list is read then (see tasksStore).
      let confirmed = false;
      unsubscribe = c.subscribe(
        { runId, afterSeq: run.lastSeq },
        {
          onEvent: (e) => {
            if (get().runId !== runId) return;
            if (e.type === 'run') {
              const wasActive = get().run && !isFinished(get().run!.status);
              const run = laterRunState(get().run, e.run);
              set({ run, count: Math.max(get().count, run.lastSeq) });
              if (wasActive && isFinished(run.status)) void get().refreshFiles();
              if (!confirmed) {
                confirmed = true;
                useTasksStore.getState().live(runId, true);
              }
              useTasksStore.getState().run(run);
            } else if (e.type === 'log') {
              appendLines(e.lines);
              useTasksStore.getState().lines(runId, e.lines);
            } else if (e.type === 'tasks') useTasksStore.getState().apply(runId, e.tasks);
          },
          onState: (state) => {
            if (state !== 'closed' || !confirmed) return;
            confirmed = false;
            useTasksStore.getState().live(runId, false);
          },
        },
      );
    } catch (err) {
      if (get().runId === runId) set({ error: errorText(err) });
    }
  },

  close() {
    unsubscribe?.();
    unsubscribe = null;
    const open = get().runId;
    if (open !== null) useTasksStore.getState().live(open, false);
    set({ runId: null });
  },

  ensure(firstSeq, lastSeq) {
    const { runId } = get();
    if (runId === null || lastSeq < 1) return;
    for (let p = pageOf(Math.max(1, firstSeq)); p <= pageOf(lastSeq); p++) {
      lastUse.set(p, ++useTick);
      if (get().pages.has(p) || loading.has(p)) continue;
      loading.add(p);
      void client()
        .call('runs.logs', { id: runId, afterSeq: p * PAGE, limit: PAGE })
        .then((page) => {
          loading.delete(p);
          if (get().runId !== runId) return;
          arrived.push([p, page.lines]);
          scheduleArrivals();
        })
        .catch((err) => {
          loading.delete(p);
          set({ error: errorText(err) });
        });
    }
  },

  line(seq) {
    return get().pages.get(pageOf(seq))?.[(seq - 1) % PAGE];
  },

  setFollowing(on) {
    if (get().following !== on) set({ following: on });
  },

  async find(text) {
    const { runId } = get();
    if (runId === null) return;
    if (!text.trim()) {
      searchSeq++;
      set({ search: { text: '', seqs: [], index: -1, truncated: false, busy: false } });
      return;
    }
    // The earlier text's matches go at once: Enter must not step through them while this one runs.
    set({ search: { text, seqs: [], index: -1, truncated: false, busy: true } });
    duringSearch = [];
    duringSearchOverflow = false;
    const mine = ++searchSeq;
    try {
      const result = await client().call('runs.search', { id: runId, text, limit: 10_000 });
      if (mine !== searchSeq || get().runId !== runId) return;
      const found = { text, seqs: result.seqs, index: result.seqs.length ? 0 : -1, truncated: result.truncated || duringSearchOverflow, busy: false };
      set({ search: withLiveMatches(found, duringSearch), following: false });
      duringSearch = [];
    } catch (err) {
      duringSearch = [];
      if (mine === searchSeq) set({ search: { text, seqs: [], index: -1, truncated: false, busy: false }, error: errorText(err) });
    }
  },

  step(delta) {
    const s = get().search;
    if (!s.seqs.length) return;
    // No match was current yet (the first ones arrived live): start from the first, or the last going back.
    const index = s.index < 0 ? (delta === 1 ? 0 : s.seqs.length - 1) : (s.index + delta + s.seqs.length) % s.seqs.length;
    set({ search: { ...s, index }, following: false });
  },

  async refreshFiles() {
    const { runId } = get();
    if (runId === null) return;
    try {
      const files = await client().call('runs.files', { id: runId });
      if (get().runId === runId) set({ files });
    } catch (err) {
      set({ error: errorText(err) });
    }
  },

  async cancel() {
    const { runId } = get();
    if (runId === null) return;
    const run = await client().call('runs.cancel', { id: runId });
    // The final status may have arrived by the live feed already.
    if (get().runId === runId) set({ run: laterRunState(get().run, run) });
  },
}));

/** Lines of one page, in order, without repeats. */
function mergeLines(a: LogLine[], b: LogLine[]): LogLine[] {
  if (b.length === 0) return a;
  const bySeq = new Map<number, LogLine>();
  for (const l of a) bySeq.set(l.seq, l);
  for (const l of b) bySeq.set(l.seq, l);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

/** Live lines: appended to their pages; a line that opens a new page starts it. */
function appendLines(lines: LogLine[]): void {
  const state = useLogStore.getState();
  const pages = new Map(state.pages);
  const copied = new Set<number>();
  let count = state.count;
  for (const line of lines) {
    count = Math.max(count, line.seq);
    const p = pageOf(line.seq);
    let page = pages.get(p);
    if (!page) {
      if ((line.seq - 1) % PAGE !== 0) continue; // shown later by a fetch
      page = [];
      pages.set(p, page);
      copied.add(p);
      lastUse.set(p, ++useTick);
    } else if (!copied.has(p)) {
      page = [...page];
      pages.set(p, page);
      copied.add(p);
    }
    const expected = page.length ? page[page.length - 1]!.seq + 1 : p * PAGE + 1;
    if (line.seq === expected) page.push(line);
    else if (line.seq > expected) {
      // A gap: drop the page; it is fetched whole when shown.
      pages.delete(p);
      copied.delete(p);
    }
  }
  evict(pages);
  if (state.search.busy) {
    const room = DURING_SEARCH_MAX - duringSearch.length;
    if (lines.length > room) duringSearchOverflow = true;
    duringSearch.push(...lines.slice(0, Math.max(0, room)));
  }
  const search = withLiveMatches(state.search, lines);
  useLogStore.setState({ pages, count, version: state.version + 1, ...(search !== state.search ? { search } : {}) });
}

function evict(pages: Map<number, LogLine[]>): void {
  if (pages.size <= MAX_PAGES) return;
  const order = [...pages.keys()].sort((a, b) => (lastUse.get(a) ?? 0) - (lastUse.get(b) ?? 0));
  for (const p of order.slice(0, pages.size - MAX_PAGES)) pages.delete(p);
}
