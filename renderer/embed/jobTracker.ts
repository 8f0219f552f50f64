/**
 * Follows one job of a server for the embeddable component: which of its
 * runs is queued or in progress (the job's run events, and a read of its
 * active runs each time the server confirms the subscription, so nothing
 * falls in between, even after a reconnect), that run's progress, and for a
 * workflow run its tasks (the workflow library's watch: every task, then the
 * changes). Plain TypeScript: the React hook only holds what it reports.
 */
import type { EngineEvent } from '../../shared/events';
import type { Run } from '../../shared/model/run';
import { activeRuns, getRun, JobdeckRequestError, taskPaths } from './api';
import type { EmbedSocket, SeedTaskEntry } from './socket';
import type { JobdeckServer, JobifyOutcome, JobifyRun, JobifyState, JobifyTask } from './types';

export interface TrackerCallbacks {
  onState(state: JobifyState | null): void;
  onDone?(outcome: JobifyOutcome): void;
  onError?(message: string): void;
}

const STAGE: Record<Run['status'], number> = { QUEUED: 0, IN_PROGRESS: 1, SUCCEEDED: 2, FAILED: 2, CANCELLED: 2 };
const isFinished = (r: Run) => STAGE[r.status] === 2;

/** Of two snapshots of a run, the later (as laterRunState in shared/model/run.ts: a round, then the stage, never backwards). */
export function laterRun(current: Run | undefined, incoming: Run): Run {
  if (!current) return incoming;
  if (current.round !== incoming.round) return incoming.round > current.round ? incoming : current;
  const a = STAGE[current.status];
  const b = STAGE[incoming.status];
  if (a !== b) return b > a ? incoming : current;
  return incoming;
}

function toTask(e: SeedTaskEntry): JobifyTask {
  const parts = e.path.split('.');
  return {
    path: e.path,
    name: parts[parts.length - 1] ?? e.path,
    parent: parts.length > 2 ? parts.slice(0, -1).join('.') : null,
    depth: parts.length - 1,
    status: e.status,
    executionTime: e.executionTime,
    body: e.body,
  };
}

const toRun = (r: Run): JobifyRun => ({
  id: r.id,
  jobId: r.jobId,
  jobName: r.jobName,
  status: r.status as JobifyRun['status'],
  phase: r.phase,
  queuedAt: r.queuedAt,
  startedAt: r.startedAt,
  attempt: r.attempt,
  round: r.round,
  tasks: r.tasks,
});

export class JobTracker {
  /** The job's runs that are queued or in progress. */
  private readonly runs = new Map<number, Run>();
  /** The last round seen finished, by run: a late answer must not bring it back. */
  private readonly finishedRound = new Map<number, number>();
  private shown: Run | null = null;
  private watch: { runId: number; round: number; off: () => void; abort: AbortController } | null = null;
  private tasks: Map<string, JobifyTask> | null = null;
  private order: string[] | null = null;
  /** Run events seen while the active runs were being read (applied again over the answer). */
  private duringSync: Run[] | null = null;
  private abort: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryMs = 1000;
  private stopped = false;
  private offs: (() => void)[] = [];

  constructor(
    private readonly socket: EmbedSocket,
    private readonly server: JobdeckServer,
    private readonly jobId: number,
    private readonly cb: TrackerCallbacks,
  ) {}

  start(): void {
    this.offs.push(
      this.socket.onState((_state, error) => {
        if (error && this.socket.state === 'closed') this.cb.onError?.(error);
        this.emit();
      }),
      this.socket.subscribe(
        { jobId: this.jobId },
        {
          onEvent: (e) => this.onEvent(e),
          onSubscribed: () => void this.sync(),
          onError: (message) => this.cb.onError?.(message),
        },
      ),
    );
  }

  stop(): void {
    this.stopped = true;
    for (const off of this.offs.splice(0)) off();
    this.unwatch();
    this.abort?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private onEvent(e: EngineEvent): void {
    if (e.type !== 'run' || e.run.jobId !== this.jobId) return;
    this.duringSync?.push(e.run);
    this.apply(e.run);
    this.update();
  }

  private apply(run: Run): void {
    if (isFinished(run)) {
      this.finishedRound.set(run.id, Math.max(run.round, this.finishedRound.get(run.id) ?? -1));
      this.runs.delete(run.id);
      if (this.shown?.id === run.id) this.done(run);
      return;
    }
    if ((this.finishedRound.get(run.id) ?? -1) >= run.round) return;
    this.runs.set(run.id, laterRun(this.runs.get(run.id), run));
  }

  /** Reads the job's active runs (the subscription is in place: events from now on are not missed). */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    this.abort?.abort();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const abort = new AbortController();
    this.abort = abort;
    this.duringSync = [];
    try {
      const active = await activeRuns(this.server, this.jobId, abort.signal);
      if (abort.signal.aborted || this.stopped) return;
      const during = this.duringSync;
      this.duringSync = null;
      const before = this.shown;
      this.runs.clear();
      for (const r of active) this.apply(r);
      for (const r of during) this.apply(r);
      this.retryMs = 1000;
      // The run shown before ended while the connection was down: learn how.
      if (before && !this.runs.has(before.id) && (this.finishedRound.get(before.id) ?? -1) < before.round) {
        void getRun(this.server, before.id, abort.signal)
          .then((r) => {
            if (!this.stopped && isFinished(r)) this.apply(r);
          })
          .catch(() => undefined);
      }
      this.update();
    } catch (err) {
      if (abort.signal.aborted || this.stopped) return;
      this.duringSync = null;
      const message = err instanceof Error ? err.message : String(err);
      this.cb.onError?.(message);
      // A refused token or role will not get better by asking again; anything else is tried again.
      if (err instanceof JobdeckRequestError && (err.status === 401 || err.status === 403 || err.status === 404)) return;
      this.retryTimer = setTimeout(() => void this.sync(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 30_000);
    }
  }

  private done(run: Run): void {
    this.cb.onDone?.({ id: run.id, jobId: run.jobId, status: run.status as JobifyOutcome['status'], error: run.error, finishedAt: run.finishedAt });
  }

  /** Picks the run to show (the running one, else the first queued), watches its tasks, reports. */
  private update(): void {
    if (this.stopped) return;
    let pick: Run | null = null;
    for (const r of this.runs.values()) {
      if (!pick || STAGE[r.status] > STAGE[pick.status] || (STAGE[r.status] === STAGE[pick.status] && r.id < pick.id)) pick = r;
    }
    if (pick?.id !== this.shown?.id || (pick && this.shown && pick.round !== this.shown.round)) this.unwatch();
    this.shown = pick;
    if (pick && pick.status === 'IN_PROGRESS' && pick.tasks !== null && !this.watch) this.startWatch(pick);
    this.emit();
  }

  private startWatch(run: Run): void {
    const off = this.socket.watch(run.id, (entries) => this.onTasks(run.id, entries));
    const abort = new AbortController();
    this.watch = { runId: run.id, round: run.round, off, abort };
    this.tasks = new Map();
    void taskPaths(this.server, run.id, abort.signal)
      .then((paths) => {
        if (this.watch?.runId !== run.id) return;
        this.order = paths;
        this.emit();
      })
      .catch(() => undefined);
  }

  private unwatch(): void {
    this.watch?.abort.abort();
    this.watch?.off();
    this.watch = null;
    this.tasks = null;
    this.order = null;
  }

  private onTasks(runId: number, entries: Record<string, SeedTaskEntry>): void {
    if (this.watch?.runId !== runId || !this.tasks) return;
    for (const e of Object.values(entries)) this.tasks.set(e.path, toTask(e));
    this.emit();
  }

  private taskList(): JobifyTask[] | null {
    if (!this.tasks || this.tasks.size === 0) return null;
    if (!this.order) return [...this.tasks.values()];
    const listed = new Set(this.order);
    const out: JobifyTask[] = [];
    for (const p of this.order) {
      const t = this.tasks.get(p);
      if (t) out.push(t);
    }
    for (const t of this.tasks.values()) if (!listed.has(t.path)) out.push(t);
    return out;
  }

  private emit(): void {
    if (this.stopped) return;
    const run = this.shown;
    if (!run) {
      this.cb.onState(null);
      return;
    }
    this.cb.onState({
      jobId: this.jobId,
      run: toRun(run),
      status: run.status as JobifyRun['status'],
      percent: run.progress?.percent ?? null,
      message: run.progress?.message || (run.status === 'QUEUED' ? 'Waiting to start' : 'Running'),
      tasks: this.taskList(),
      connection: this.socket.state,
    });
  }
}
