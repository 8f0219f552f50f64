/**
 * Task runs of a workflow run as the console and the embeddable component
 * show them: merging live changes into a list, the rows a tree shows with
 * some branches folded, the time span a timeline covers, and times to the
 * millisecond. Pure functions: no store, no DOM.
 */
import { isTaskDone, type TaskRun } from '../../../shared/model/workflow';

/**
 * Of two snapshots of the same task run, the one to keep. Answers and live
 * events can cross: a finished task is never replaced by an unfinished
 * snapshot of the same round and attempt (that one is older). A retry
 * (more attempts) or a re-run (a later round) starts over.
 */
export function laterTaskState(current: TaskRun | undefined, incoming: TaskRun): TaskRun {
  if (!current) return incoming;
  if (incoming.round !== current.round) return incoming.round > current.round ? incoming : current;
  if (incoming.attempts !== current.attempts) return incoming.attempts > current.attempts ? incoming : current;
  if (isTaskDone(current.status) && !isTaskDone(incoming.status)) return current;
  return incoming;
}

/** The list with the changed task runs merged in by path, in tree order; the same array when nothing changed. */
export function mergeTaskRuns(list: readonly TaskRun[], changed: readonly TaskRun[]): TaskRun[] {
  if (changed.length === 0) return list as TaskRun[];
  const byPath = new Map<string, number>();
  list.forEach((t, i) => byPath.set(t.path, i));
  let out: TaskRun[] | null = null;
  let added = false;
  for (const t of changed) {
    const i = byPath.get(t.path);
    if (i === undefined) {
      out ??= [...list];
      byPath.set(t.path, out.length);
      out.push(t);
      added = true;
      continue;
    }
    const current = (out ?? list)[i]!;
    const next = laterTaskState(current, t);
    if (next === current) continue;
    out ??= [...list];
    out[i] = next;
  }
  if (!out) return list as TaskRun[];
  if (added) out.sort((a, b) => a.index - b.index);
  return out;
}

/** Paths that have subtasks in the list. */
export function parentPaths(tasks: readonly TaskRun[]): Set<string> {
  const out = new Set<string>();
  for (const t of tasks) if (t.parent !== null) out.add(t.parent);
  return out;
}

/** The rows a tree shows: tree order, without the descendants of folded tasks. */
export function visibleTasks(tasks: readonly TaskRun[], folded: ReadonlySet<string>): TaskRun[] {
  if (folded.size === 0) return tasks as TaskRun[];
  const out: TaskRun[] = [];
  let hiddenUnder: string | null = null;
  for (const t of tasks) {
    if (hiddenUnder !== null && t.path.startsWith(`${hiddenUnder}.`)) continue;
    hiddenUnder = null;
    out.push(t);
    if (folded.has(t.path)) hiddenUnder = t.path;
  }
  return out;
}

/** When a task run ended, or `now` while it runs (ms since the epoch); null before it starts. */
export function taskEndMs(t: TaskRun, now: number): number | null {
  if (t.startedAt === null) return null;
  if (t.finishedAt !== null) return Date.parse(t.finishedAt);
  return isTaskDone(t.status) ? Date.parse(t.startedAt) + (t.durationMs ?? 0) : now;
}

/** Its duration in ms: to now while it runs. */
export function taskDurationMs(t: TaskRun, now: number): number | null {
  const end = taskEndMs(t, now);
  return end === null ? null : Math.max(0, end - Date.parse(t.startedAt!));
}

export interface Span {
  start: number;
  end: number;
}

/** The time a timeline covers: from the first start to the last end (now while tasks run); null before any task starts. */
export function timelineSpan(tasks: readonly TaskRun[], now: number, runStartedAt?: string | null): Span | null {
  let start = Infinity;
  let end = -Infinity;
  for (const t of tasks) {
    if (t.startedAt === null) continue;
    start = Math.min(start, Date.parse(t.startedAt));
    end = Math.max(end, taskEndMs(t, now)!);
  }
  if (start === Infinity) return null;
  if (runStartedAt) start = Math.min(start, Date.parse(runStartedAt));
  return { start, end: Math.max(end, start + 1) };
}

/** Where a task's bar sits on a timeline, as fractions (0..1) of its width; null before it starts. */
export function barOf(t: TaskRun, span: Span, now: number): { left: number; width: number } | null {
  const end = taskEndMs(t, now);
  if (end === null) return null;
  const total = span.end - span.start;
  const left = (Date.parse(t.startedAt!) - span.start) / total;
  const width = (end - Date.parse(t.startedAt!)) / total;
  return { left: clamp(left), width: Math.min(clamp(width), 1 - clamp(left)) };
}

const clamp = (x: number) => Math.max(0, Math.min(1, x));

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A duration to the millisecond: "850 ms", "12.345 s", "3 min 04.210 s", "1 h 02 min 03.000 s". */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '';
  const whole = Math.round(ms);
  if (whole < 1000) return `${whole} ms`;
  const seconds = (whole % 60_000) / 1000;
  if (whole < 60_000) return `${seconds.toFixed(3)} s`;
  const minutes = Math.floor(whole / 60_000) % 60;
  const secText = `${seconds < 10 ? '0' : ''}${seconds.toFixed(3)} s`;
  if (whole < 3_600_000) return `${minutes} min ${secText}`;
  return `${Math.floor(whole / 3_600_000)} h ${pad(minutes)} min ${secText}`;
}

/** A clock time to the millisecond, local: "14:03:07.125". */
export function formatClockMs(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** Tasks that failed or were cancelled: "Re-run failed" runs them again (and the tasks they kept from running). */
export const failedTasks = (tasks: readonly TaskRun[]): number => tasks.filter((t) => t.status === 'FAILED' || t.status === 'CANCELLED').length;
