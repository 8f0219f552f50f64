/**
 * The task runs of the open workflow run, kept live. The run's subscription
 * belongs to the log store, which forwards its `tasks` events here and says
 * when the subscription is in place on the engine (its first run event): only
 * then is the list read, so no change falls between the read and the feed.
 * Changes are merged in by path, once per frame. A re-run in place (a new
 * round) or a reconnect reads the list again. Also the selected task: its own
 * log lines and its result; and the re-run actions.
 */
import { create } from 'zustand';
import type { LogLine, Run } from '../../../shared/model/run';
import type { TaskRun } from '../../../shared/model/workflow';
import { errorText } from '../lib/errors';
import { mergeTaskRuns } from '../lib/taskRuns';
import { client } from './connectionStore';
import { toast } from './toastStore';

/** Lines of a task's log read at a time. */
export const TASK_LOG_PAGE = 2000;
/** Lines of a task's log kept in memory; past that, the whole run log (or its download) has the rest. */
export const TASK_LOG_MAX = 20_000;

export interface TaskLog {
  path: string;
  lines: LogLine[];
  /** Sequence number of the last line read (the next page starts after it). */
  lastSeq: number;
  /** More lines were there than read so far. */
  more: boolean;
  loading: boolean;
  error: string | null;
}

interface State {
  runId: number | null;
  /** The run's round the list was read for (a re-run in place reads it again). */
  round: number;
  tasks: TaskRun[];
  loaded: boolean;
  error: string | null;
  /** The selected task's path (its log and result are shown). */
  selected: string | null;
  log: TaskLog | null;
  busy: boolean;
  /** Opens a run's tasks (`round`: the run's round as known, so its live updates do not read the list twice). */
  open(runId: number, round?: number): void;
  close(): void;
  /** Reads the list again (a reconnect, a new round). */
  reload(): Promise<void>;
  /** The run's subscription is in place on the engine (true), or gone (false). */
  live(runId: number, on: boolean): void;
  /** Live: task runs that changed. */
  apply(runId: number, tasks: TaskRun[]): void;
  /** Live: log lines of the run (those of the selected task are appended to its log). */
  lines(runId: number, lines: LogLine[]): void;
  /** Live: the run changed; a new round reads the tasks again. */
  run(run: Run): void;
  select(path: string | null): void;
  moreLog(): Promise<void>;
  rerunFailed(): Promise<Run | null>;
  rerunTask(path: string): Promise<Run | null>;
}

const empty = { runId: null, round: 0, tasks: [], loaded: false, error: null, selected: null, log: null, busy: false };

/** Changes that arrived and are not shown yet (merged once per frame), or that arrived while the list was being read. */
let pending: TaskRun[] = [];
let flushQueued = false;
/** Bumped by open, close and each read: an older answer is dropped. */
let readSeq = 0;
/** Live lines of the selected task that arrived while its log was being read. */
let pendingLines: LogLine[] = [];
/** The run whose subscription is in place: its list can be read without missing a change. */
let liveRun: number | null = null;

function scheduleFlush(): void {
  if (flushQueued) return;
  flushQueued = true;
  const flush = () => {
    flushQueued = false;
    const s = useTasksStore.getState();
    if (!s.loaded || pending.length === 0) return;
    const batch = pending;
    pending = [];
    const tasks = mergeTaskRuns(s.tasks, batch);
    if (tasks !== s.tasks) useTasksStore.setState({ tasks });
  };
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(flush);
  else setTimeout(flush, 0);
}

export const tasksSelectors = {
  selectedTask: (s: State): TaskRun | undefined => (s.selected === null ? undefined : s.tasks.find((t) => t.path === s.selected)),
};

async function readLog(path: string, afterSeq: number): Promise<void> {
  const { runId } = useTasksStore.getState();
  if (runId === null) return;
  const set = useTasksStore.setState;
  const get = useTasksStore.getState;
  const current = get().log;
  set({ log: { path, lines: current?.path === path ? current.lines : [], lastSeq: afterSeq, more: false, loading: true, error: null } });
  try {
    const page = await client().call('runs.logs', { id: runId, task: path, afterSeq, limit: TASK_LOG_PAGE });
    const log = get().log;
    if (get().runId !== runId || log?.path !== path) return;
    const lastSeq = Math.max(log.lastSeq, page.lastSeq);
    const live = pendingLines.filter((l) => l.task === path && l.seq > lastSeq);
    pendingLines = [];
    const lines = mergeLines(mergeLines(log.lines, page.lines), live);
    set({ log: { path, lines: lines.slice(0, TASK_LOG_MAX), lastSeq: lines.length ? Math.max(lastSeq, lines[lines.length - 1]!.seq) : lastSeq, more: page.lines.length >= TASK_LOG_PAGE || lines.length > TASK_LOG_MAX, loading: false, error: null } });
  } catch (err) {
    const log = get().log;
    if (log?.path === path) set({ log: { ...log, loading: false, error: errorText(err) } });
  }
}

function mergeLines(a: LogLine[], b: LogLine[]): LogLine[] {
  if (b.length === 0) return a;
  const last = a.length ? a[a.length - 1]!.seq : 0;
  if (b[0]!.seq > last) return [...a, ...b];
  const bySeq = new Map<number, LogLine>();
  for (const l of a) bySeq.set(l.seq, l);
  for (const l of b) bySeq.set(l.seq, l);
  return [...bySeq.values()].sort((x, y) => x.seq - y.seq);
}

export const useTasksStore = create<State>()((set, get) => ({
  ...empty,

  open(runId, round = 0) {
    readSeq++;
    pending = [];
    pendingLines = [];
    set({ ...empty, runId, round });
    if (liveRun === runId) void get().reload();
  },

  close() {
    readSeq++;
    pending = [];
    set({ ...empty });
  },

  async reload() {
    const { runId } = get();
    if (runId === null) return;
    const seq = ++readSeq;
    // Changes arriving while the list is read are kept and merged over it.
    set({ loaded: false });
    try {
      const tasks = await client().call('runs.tasks', { id: runId });
      if (seq !== readSeq) return;
      const round = tasks.reduce((r, t) => Math.max(r, t.round), get().round);
      set({ tasks: mergeTaskRuns(tasks, pending), loaded: true, error: null, round });
      pending = [];
      const { selected } = get();
      if (selected !== null) void readLog(selected, 0);
    } catch (err) {
      if (seq === readSeq) set({ error: errorText(err), loaded: true });
    }
  },

  live(runId, on) {
    if (on) {
      liveRun = runId;
      if (get().runId === runId) void get().reload();
    } else if (liveRun === runId) liveRun = null;
  },

  apply(runId, tasks) {
    if (runId !== get().runId || tasks.length === 0) return;
    pending.push(...tasks);
    if (get().loaded) scheduleFlush();
  },

  lines(runId, lines) {
    const { log } = get();
    if (runId !== get().runId || !log) return;
    const mine = lines.filter((l) => l.task === log.path && l.seq > log.lastSeq);
    if (mine.length === 0) return;
    if (log.loading) {
      pendingLines.push(...mine);
      return;
    }
    if (log.lines.length + mine.length > TASK_LOG_MAX) {
      set({ log: { ...log, more: true } });
      return;
    }
    set({ log: { ...log, lines: [...log.lines, ...mine], lastSeq: mine[mine.length - 1]!.seq } });
  },

  run(run) {
    if (run.id !== get().runId) return;
    if (run.round > get().round) {
      set({ round: run.round });
      void get().reload();
    }
  },

  select(path) {
    if (path === get().selected) return;
    pendingLines = [];
    set({ selected: path, log: null });
    if (path !== null) void readLog(path, 0);
  },

  async moreLog() {
    const { log } = get();
    if (!log || log.loading || !log.more) return;
    await readLog(log.path, log.lastSeq);
  },

  async rerunFailed() {
    return rerun({ failed: true });
  },

  async rerunTask(path) {
    return rerun({ task: path });
  },
}));

async function rerun(what: { failed: true } | { task: string }): Promise<Run | null> {
  const { runId, busy } = useTasksStore.getState();
  if (runId === null || busy) return null;
  useTasksStore.setState({ busy: true });
  try {
    const run = await client().call('runs.rerun', { id: runId, ...what });
    toast.success('task' in what ? `Re-running ${what.task} in run #${run.id}` : `Re-running the tasks that did not succeed in run #${run.id}`);
    useTasksStore.getState().run(run);
    return run;
  } catch (err) {
    toast.error(errorText(err));
    return null;
  } finally {
    useTasksStore.setState({ busy: false });
  }
}
