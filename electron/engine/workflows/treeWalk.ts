/**
 * Walks a workflow run's tree: top-level tasks (and a referenced workflow's
 * tasks) one after another, a task's subtasks together after it; conditions,
 * retries, failFast, `continueOnFailure`, and the rule that a parent starts
 * no later than its children and ends no earlier. In a re-run, tasks that
 * were not reset keep their outcome (successful ones are marked reused) and
 * only the reset ones execute.
 */
import { isRetryable } from '../../../shared/model/run';
import type { TaskFailure } from '../../../shared/model/workflow';
import type { Clock } from '../clock';
import type { TaskState } from '../store/taskRows';
import { evaluateCondition, renderMessage } from './expressions';
import { subtree, type PlanNode } from './plan';
import type { Slots, Stop } from './stop';
import type { TaskBook } from './taskBook';
import type { AttemptEnd, TaskProcess } from './taskProcess';

/** How a task ended, for its parent: a failure counts unless the task has continueOnFailure. */
type Verdict = 'ok' | 'failed' | 'skipped' | 'cancelled';

/** The names a condition or message can use: `params`, `results`, and the `dest` results in scope. */
export type Scope = Record<string, unknown>;

export interface WalkContext {
  book: TaskBook;
  clock: Clock;
  slots: Slots;
  round: number;
  /** In a run of one task: its path (other tasks are not selected). */
  only: string | null;
  /** Results of the tasks that succeeded so far, by path. */
  results: Record<string, unknown>;
  /** Starts one attempt of a task's process. */
  spawn(node: PlanNode, attempt: number, scope: Scope, stop: Stop): TaskProcess;
  /** A line in the run's log, under a task's path. */
  say(node: PlanNode, text: string): void;
}

const parseResult = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export class TreeWalk {
  /** When a parent's own script ended (its row's finished_at waits for its children). */
  private readonly ownEnds = new Map<number, number>();

  constructor(private readonly ctx: WalkContext) {}

  /** Runs a list of tasks; the first counted failure, whether any was cancelled. */
  async list(nodes: readonly PlanNode[], mode: 'parallel' | 'sequence', scope: Scope, stop: Stop, failFast = false): Promise<{ failed: PlanNode | null; cancelled: boolean }> {
    let failed: PlanNode | null = null;
    let cancelled = false;
    const note = (v: Verdict, n: PlanNode) => {
      if (v === 'cancelled') cancelled = true;
      if (v === 'failed' && !n.continueOnFailure && !failed) failed = n;
    };
    if (mode === 'sequence') {
      for (const n of nodes) {
        if (failed) this.skip(n, `not run: ${(failed as PlanNode).path} failed`);
        else if (stop.reason) this.skip(n, `not run: ${stop.reason}`);
        else note(await this.node(n, scope, stop), n);
      }
      return { failed, cancelled };
    }
    const group = stop.child();
    await Promise.all(
      nodes.map(async (n) => {
        const v = await this.node(n, scope, group);
        note(v, n);
        if (failFast && v === 'failed' && !n.continueOnFailure) group.fire(`stopped because ${n.path} failed (failFast)`);
      }),
    );
    group.close();
    return { failed, cancelled };
  }

  private async node(node: PlanNode, scope: Scope, stop: Stop): Promise<Verdict> {
    const { book } = this.ctx;
    const st = book.state(node.idx);
    if (st.status !== 'PENDING') return this.kept(node, scope, stop);
    if (stop.reason) {
      this.skip(node, `not run: ${stop.reason}`);
      return 'skipped';
    }
    const selected = this.selection(node);
    if (selected === 'no') {
      this.skip(node, `not selected: only ${this.ctx.only} runs`);
      return 'skipped';
    }
    if (selected === 'run' && node.condition) {
      const cond = evaluateCondition(node.condition, scope);
      if (!cond.ok) {
        this.ctx.say(node, cond.error);
        const now = Date.now();
        this.end(node, { status: 'FAILED', failure: 'CONDITION_ERROR', error: cond.error, started_at: now, finished_at: now });
        this.skipBelow(node, 'not run: its condition could not be evaluated');
        return 'failed';
      }
      if (!cond.value) {
        this.skip(node, `skipped: condition ${node.condition} is false`);
        return 'skipped';
      }
    }
    let childScope = scope;
    if (selected === 'run' && node.exec) {
      const own = await this.execute(node, scope, stop);
      if (own !== 'ok') {
        this.skipBelow(node, own === 'cancelled' ? `not run: ${stop.reason ?? 'cancelled'}` : `not run: ${node.path} failed`);
        return own;
      }
      if (!node.children.length) return own;
      if (node.dest) childScope = { ...scope, [node.dest]: this.ctx.results[node.path] ?? null };
    } else {
      book.set(node.idx, { status: 'RUNNING', round: this.ctx.round, note: selected === 'through' ? `only ${this.ctx.only} was selected` : null });
    }
    return this.afterChildren(node, childScope, stop, null);
  }

  /** A task a re-run did not reset: its outcome stands; reset tasks below it run. */
  private async kept(node: PlanNode, scope: Scope, stop: Stop): Promise<Verdict> {
    const { book } = this.ctx;
    const st = book.state(node.idx);
    // Its result stands (also that of a parent whose own script succeeded but a subtask failed).
    if (st.result !== null && (st.status === 'SUCCEEDED' || st.exit_code === 0)) this.ctx.results[node.path] = parseResult(st.result);
    const pendingBelow = subtree(node).some((n) => n !== node && book.state(n.idx).status === 'PENDING');
    const own = verdictOf(st);
    if (!pendingBelow) {
      if (st.status === 'SUCCEEDED' && st.round < this.ctx.round) book.set(node.idx, { reused: 1 });
      return own;
    }
    // Copied before it changes below: book.state() is the live state.
    const before: TaskState = { ...st };
    const ownFailed = !ownPartDone(node, before) && before.status !== 'SUCCEEDED' && before.status !== 'SKIPPED';
    const childScope = node.dest ? { ...scope, [node.dest]: this.ctx.results[node.path] ?? null } : scope;
    // Its own script succeeded in an earlier round: that part is reused.
    if (node.exec && ownPartDone(node, before)) book.set(node.idx, { reused: 1 });
    if (before.finished_at !== null && node.exec) this.ownEnds.set(node.idx, before.finished_at);
    book.set(node.idx, { status: 'RUNNING', finished_at: null, round: this.ctx.round });
    return this.afterChildren(node, childScope, stop, ownFailed ? before : null);
  }

  /** Runs a task's children, then settles its status and times from theirs. */
  private async afterChildren(node: PlanNode, scope: Scope, stop: Stop, ownFailure: TaskState | null): Promise<Verdict> {
    const { book } = this.ctx;
    const outcome = node.children.length ? await this.list(node.children, node.childMode, scope, stop, node.failFast) : { failed: null, cancelled: false };
    const st = book.state(node.idx);
    let start = st.started_at;
    // Its own script's end, when it had one: a parent ends no earlier than its own part either.
    let end = st.finished_at ?? this.ownEnds.get(node.idx) ?? st.started_at;
    for (const c of node.children) {
      const cs = book.state(c.idx);
      if (cs.started_at !== null) start = start === null ? cs.started_at : Math.min(start, cs.started_at);
      if (cs.finished_at !== null) end = end === null ? cs.finished_at : Math.max(end, cs.finished_at);
    }
    const times = { started_at: start ?? Date.now(), finished_at: Math.max(end ?? 0, start ?? 0) || Date.now() };
    if (ownFailure) {
      book.set(node.idx, { ...times, status: ownFailure.status, failure: ownFailure.failure, error: ownFailure.error });
      return verdictOf(ownFailure);
    }
    if (outcome.failed) {
      const error = `subtask ${outcome.failed.path} failed`;
      this.end(node, { ...times, status: 'FAILED', failure: 'SUBTASK_FAILED', error });
      return 'failed';
    }
    if (outcome.cancelled || (stop.reason && node.children.some((c) => book.state(c.idx).status !== 'SUCCEEDED'))) {
      this.end(node, { ...times, status: 'CANCELLED', failure: 'CANCELLED', error: stop.reason ?? 'cancelled' });
      return 'cancelled';
    }
    this.end(node, { ...times, status: 'SUCCEEDED', failure: null, error: null });
    return 'ok';
  }

  /** A task's own process, with its attempts. */
  private async execute(node: PlanNode, scope: Scope, stop: Stop): Promise<Verdict> {
    const ctx = this.ctx;
    const book = ctx.book;
    let last: AttemptEnd | null = null;
    for (let attempt = 1; attempt <= node.attempts; attempt++) {
      book.set(node.idx, { status: 'QUEUED', attempts: attempt, round: ctx.round, reused: 0 });
      if (!(await ctx.slots.acquire(stop))) break;
      let proc: TaskProcess;
      try {
        proc = ctx.spawn(node, attempt, scope, stop);
      } catch (err) {
        // Its command could not even be formed: a failure of the task, not of the walk.
        ctx.slots.release();
        const error = `could not start: ${(err as Error).message}`;
        ctx.say(node, error);
        last = { outcome: { status: 'FAILED', failure: 'SPAWN_FAILED', exitCode: null, signal: null, error }, returned: null, startedAt: null, endedAt: Date.now() };
        break;
      }
      const off = stop.on((reason) => proc.stop(reason));
      last = await proc.ended;
      off();
      ctx.slots.release();
      const o = last.outcome;
      if (o.status !== 'FAILED' || attempt === node.attempts || !isRetryable(o.failure) || stop.reason) break;
      const delay = node.delaySeconds;
      ctx.say(node, `Attempt ${attempt} of ${node.attempts} failed (${o.error}); ${delay ? `next in ${delay} s` : 'trying again'}`);
      book.set(node.idx, { status: 'QUEUED', exit_code: o.exitCode, error: o.error });
      if (delay && !(await stop.sleep(ctx.clock, delay * 1000))) break;
    }
    const st = book.state(node.idx);
    if (!last) {
      // Stopped while it waited for a slot: it never started.
      book.set(node.idx, { status: 'SKIPPED', attempts: 0, note: `not run: ${stop.reason ?? 'stopped'}` });
      return 'skipped';
    }
    const o = last.outcome;
    const times = { started_at: st.started_at ?? last.startedAt ?? last.endedAt, finished_at: last.endedAt };
    if (o.status === 'SUCCEEDED') {
      const result = last.returned ?? JSON.stringify({ exitCode: 0 });
      ctx.results[node.path] = JSON.parse(result);
      if (node.children.length) {
        // Its subtasks run next: it stays RUNNING until they end (a parent ends no earlier than its children).
        this.ownEnds.set(node.idx, times.finished_at);
        book.set(node.idx, { ...times, status: 'RUNNING', finished_at: null, exit_code: 0, result });
        ctx.say(node, `Task ${node.path}: its script SUCCEEDED in ${times.finished_at - times.started_at} ms; its subtasks start`);
      } else this.end(node, { ...times, status: 'SUCCEEDED', failure: null, error: null, exit_code: 0, result });
      if (node.onComplete) ctx.say(node, `${node.path}: ${renderMessage(node.onComplete, { ...scope, result: ctx.results[node.path] })}`);
      return 'ok';
    }
    const result = last.returned ?? (o.exitCode !== null ? JSON.stringify({ exitCode: o.exitCode }) : null);
    this.end(node, { ...times, status: o.status, failure: o.failure as TaskFailure, error: o.error, exit_code: o.exitCode, result });
    return o.status === 'CANCELLED' ? 'cancelled' : 'failed';
  }

  private end(node: PlanNode, patch: Partial<TaskState>): void {
    this.ctx.book.set(node.idx, patch);
    const st = this.ctx.book.state(node.idx);
    const took = st.started_at !== null && st.finished_at !== null ? ` in ${st.finished_at - st.started_at} ms` : '';
    this.ctx.say(node, `Task ${node.path} ${st.status}${took}${st.error ? ` (${st.error})` : ''}`);
  }

  /** Marks a task and everything below it skipped (those not yet decided). */
  private skip(node: PlanNode, note: string): void {
    for (const n of subtree(node)) if (this.ctx.book.state(n.idx).status === 'PENDING') this.ctx.book.set(n.idx, { status: 'SKIPPED', note, round: this.ctx.round });
  }

  private skipBelow(node: PlanNode, note: string): void {
    for (const c of node.children) this.skip(c, note);
  }

  /** In a run of one task: run it and what is below it, pass through its ancestors, leave the rest. */
  private selection(node: PlanNode): 'run' | 'through' | 'no' {
    const only = this.ctx.only;
    if (!only || node.path === only || only === '#' || node.path.startsWith(`${only}.`)) return 'run';
    return only.startsWith(`${node.path}.`) ? 'through' : 'no';
  }
}

/**
 * Whether a task's own part is done, whatever became of its subtasks: its
 * script succeeded, or (a group) its condition let it run. A re-run of the
 * failed tasks runs such a task's subtasks again, not the task itself.
 */
export function ownPartDone(node: Pick<PlanNode, 'exec'>, st: Pick<TaskState, 'status' | 'failure' | 'exit_code' | 'result'>): boolean {
  if (node.exec) return st.exit_code === 0 && st.result !== null;
  return (st.status === 'SUCCEEDED' || st.status === 'FAILED' || st.status === 'CANCELLED') && st.failure !== 'CONDITION_ERROR';
}

function verdictOf(st: TaskState): Verdict {
  switch (st.status) {
    case 'SUCCEEDED':
      return 'ok';
    case 'FAILED':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
    default:
      return 'skipped';
  }
}
