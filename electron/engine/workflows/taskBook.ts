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
  private readonly dirty = new Set<number>();
  private flushing = false;
  private done = 0;

  constructor(
    private readonly runId: number,
    private readonly jobId: number,
    readonly nodes: readonly PlanNode[],
    initial: readonly TaskState[],
    private readonly deps: { writer: Writer; bus: EventBus; machine: RunStateMachine },
  ) {
    this.states = initial.map((s) => ({ ...s }));
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
    this.dirty.add(idx);
    this.deps.writer.op({ kind: 'task', runId: this.runId, idx, state: { ...s } }, () => this.publish());
    if (isDone !== wasDone) this.progress();
  }

  private progress(): void {
    const total = this.states.length;
    const percent = Math.round((this.done / total) * 1000) / 10;
    this.deps.machine.progress(this.runId, { percent, message: `${this.done} of ${total} tasks done` }, this.deps.writer.lastSeq(this.runId) ?? 0);
  }

  /** After a commit: one event with the tasks changed since the last one. */
  private publish(): void {
    if (this.dirty.size === 0 || this.flushing) return;
    this.flushing = true;
    // The other ops of the same batch are committed too: wait for them to be marked before publishing.
    queueMicrotask(() => {
      this.flushing = false;
      if (this.dirty.size === 0) return;
      const changed = [...this.dirty].sort((a, b) => a - b);
      this.dirty.clear();
      if (!this.deps.bus.wantsLogs(this.runId)) return;
      const now = Date.now();
      const tasks = changed.map((idx) => toTaskRun({ ...this.nodes[idx]!, ...this.states[idx]! }, now));
      this.deps.bus.publish({ type: 'tasks', runId: this.runId, jobId: this.jobId, tasks });
    });
  }

  /** Every task's state (to decide the run's outcome). */
  all(): readonly TaskState[] {
    return this.states;
  }
}
