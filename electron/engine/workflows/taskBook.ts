/**
 * The task runs of one executing workflow run: their current state in
 * memory, each change queued as a store op (written with the run's log
 * lines, in the writer's next batch), and, once committed, published as one
 * `tasks` event with every task that changed, plus the run's progress
 * (tasks done out of all).
 */
import { isTaskDone } from '../../../shared/model/workflow';
import type { EventBus } from '../eventBus';
import type { RunStateMachine } from '../runs/stateMachine';
import { toTaskRun, type TaskState } from '../store/taskRows';
import type { Writer } from '../writer';
import type { PlanNode } from './plan';

export class TaskBook {
  private readonly states: TaskState[];
  /** Committed states not yet published, by task (the last committed one wins). */
  private readonly committed = new Map<number, TaskState>();
  private flushing = false;
  private done = 0;
  private readonly byPath: Map<string, number>;

  constructor(
    private readonly runId: number,
    private readonly jobId: number,
    readonly nodes: readonly PlanNode[],
    initial: readonly TaskState[],
    private readonly deps: { writer: Writer; bus: EventBus; machine: RunStateMachine; announce?: (runId: number) => void },
  ) {
    this.states = initial.map((s) => ({ ...s }));
    this.byPath = new Map(nodes.map((n) => [n.path, n.idx]));
    for (const s of this.states) if (isTaskDone(s.status)) this.done++;
  }

  state(idx: number): Readonly<TaskState> {
    return this.states[idx]!;
  }

  /** Changes a task run and queues the change for the store. */
  set(idx: number, patch: Partial<TaskState>): void {
    const s = this.states[idx]!;
    const wasDone = isTaskDone(s.status);
    Object.assign(s, patch);
    const isDone = isTaskDone(s.status);
    if (isDone !== wasDone) this.done += isDone ? 1 : -1;
    const snapshot = { ...s };
    this.deps.writer.op({ kind: 'task', runId: this.runId, idx, state: snapshot }, () => {
      this.committed.set(idx, snapshot);
      // Other nodes of a shared database hear of it too (their subscribers read the tasks from the store).
      this.deps.announce?.(this.runId);
      this.publish();
    });
    if (isDone !== wasDone) this.progress();
  }

  /** A task's process started: its ancestors that have no start yet (groups) start with it. */
  startAncestors(idx: number, at: number): void {
    let parent = this.nodes[idx]!.parent;
    // Bounded by the tree's depth.
    for (let guard = 0; parent !== null && guard < 64; guard++) {
      const p = this.byPath.get(parent);
      if (p === undefined) return;
      if (this.states[p]!.started_at === null) this.set(p, { started_at: at });
      parent = this.nodes[p]!.parent;
    }
  }

  private progress(): void {
    const total = this.states.length;
    const percent = Math.round((this.done / total) * 1000) / 10;
    this.deps.machine.progress(this.runId, { percent, message: `${this.done} of ${total} tasks done` }, this.deps.writer.lastSeq(this.runId) ?? 0);
  }

  /** After a commit: one event with the committed states of the tasks changed since the last one. */
  private publish(): void {
    if (this.committed.size === 0 || this.flushing) return;
    this.flushing = true;
    // The other ops of the same batch are committed too: wait for their callbacks before publishing.
    queueMicrotask(() => {
      this.flushing = false;
      if (this.committed.size === 0) return;
      const changed = [...this.committed].sort((a, b) => a[0] - b[0]);
      this.committed.clear();
      if (!this.deps.bus.wantsLogs(this.runId)) return;
      const now = Date.now();
      const tasks = changed.map(([idx, state]) => toTaskRun({ ...this.nodes[idx]!, ...state }, now));
      this.deps.bus.publish({ type: 'tasks', runId: this.runId, jobId: this.jobId, tasks });
    });
  }

  /** Closes every task still open: running ones failed with the error, the others skipped. */
  closeOpen(error: string): void {
    const now = Date.now();
    this.states.forEach((s, idx) => {
      if (isTaskDone(s.status)) return;
      if (s.status === 'PENDING') this.set(idx, { status: 'SKIPPED', note: `not run: ${error}` });
      else this.set(idx, { status: 'FAILED', failure: 'INTERRUPTED', error, finished_at: now, started_at: s.started_at ?? now });
    });
  }

  /** Every task's state (to decide the run's outcome). */
  all(): readonly TaskState[] {
    return this.states;
  }
}
