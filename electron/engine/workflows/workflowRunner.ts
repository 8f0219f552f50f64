/**
 * Executes workflow runs the dispatcher claimed. A workflow run is one run
 * (it holds one concurrency slot and goes through the same states); its
 * tasks' processes are spawned through the same process port, at most
 * `maxParallel` at a time. The first round builds the run's plan (job
 * references expanded) and its task runs; a re-run executes the stored plan
 * again in place. The run ends FAILED (TASK_FAILED) when a task fails
 * without continueOnFailure, CANCELLED when cancelled, FAILED (TIMEOUT) at
 * the job's timeout; its result files are those of its shared output folder.
 */
import { join } from 'node:path';
import { RESULTS_FILE_MAX_BYTES, TASK_RESULT_LIST_BYTES, WORKFLOW_RUNTIME } from '../../../shared/model/workflow';
import type { Clock } from '../clock';
import type { EventBus } from '../eventBus';
import type { EngineConfig } from '../options';
import { outputDir, runDir, scriptStorePath } from '../paths';
import type { RunStateMachine } from '../runs/stateMachine';
import type { HostMessage } from '../runner/launcherProtocol';
import type { ProcessPort } from '../runner/processPort';
import { collectResultFiles, type FoundFile } from '../runner/resultFiles';
import { runtimeCommand, scriptDigest, scriptFileFor, splitArgs } from '../runner/runtimes';
import { formatDuration, LogBudget, paramEnv, type Outcome } from '../runner/supervision';
import type { JobRow, RunRow } from '../store/rows';
import { checkWithLookup } from '../nameLookup';
import type { EngineStore as Store } from '../store/engineStore';
import { PENDING_STATE, type TaskState } from '../store/taskRows';
import type { Writer } from '../writer';
import { buildPlan, jobRefLookup, numberPlan, parseWorkflow, readPlan, type Plan, type PlanNode } from './plan';
import { Slots, Stop } from './stop';
import { TaskBook } from './taskBook';
import { TaskProcess } from './taskProcess';
import { TreeWalk, type Scope } from './treeWalk';

export interface WorkflowDeps {
  machine: RunStateMachine;
  writer: Writer;
  bus: EventBus;
  port: ProcessPort;
  store: Store;
  clock: Clock;
  config: EngineConfig;
  owner: string;
  helperPath?: string;
  /** A run's task runs changed (committed): other nodes of a shared database hear of it. */
  announce?: (runId: number) => void;
}

interface WorkflowRun {
  run: RunRow;
  job: { id: number; name: string };
  plan: Plan;
  book: TaskBook;
  root: Stop;
  dir: string;
  outputDir: string;
  log: LogBudget;
  resultName: string | null;
  cancelledBy: string | null;
  timedOut: boolean;
  timer: unknown;
  timeoutSeconds: number | null;
  startedAt: number;
  /** Task processes whose leftovers are still being looked for: the run ends after them. */
  unsettled: Set<Promise<void>>;
}

export class WorkflowRunner {
  private readonly runs = new Map<number, WorkflowRun>();
  private readonly procs = new Map<number, TaskProcess>();
  /** Runs whose plan is being read or stored (the store answers asynchronously), and who cancelled them meanwhile. */
  private readonly preparing = new Map<number, { cancelledBy: string | null }>();
  private nextExecId = -1;

  constructor(private readonly deps: WorkflowDeps) {}

  static isWorkflow(job: JobRow): boolean {
    return job.runtime === WORKFLOW_RUNTIME;
  }

  get size(): number {
    return this.runs.size + this.preparing.size;
  }

  /** Starts a workflow run the state machine just claimed (STARTING). */
  start(run: RunRow, job: JobRow): void {
    const { deps } = this;
    deps.writer.open(run.id, job.id, run.last_seq);
    const startedAt = Date.now();
    const pending = { cancelledBy: null as string | null };
    this.preparing.set(run.id, pending);
    void this.begin(run, job, startedAt, pending)
      .catch((err: unknown) => deps.config.onError(err))
      .finally(() => this.preparing.delete(run.id));
  }

  private async begin(run: RunRow, job: JobRow, startedAt: number, pending: { cancelledBy: string | null }): Promise<void> {
    const { deps } = this;
    let prepared: { plan: Plan; nodes: PlanNode[]; states: TaskState[]; only: string | null };
    let logBytes: number;
    try {
      prepared = await this.prepare(run, job);
      logBytes = run.round > 0 ? await deps.store.logs.bytes(run.id) : 0;
    } catch (err) {
      const message = `could not prepare the workflow: ${(err as Error).message}`;
      this.say(run.id, job, null, message);
      this.end(run.id, { status: 'FAILED', failure: 'PREPARE_FAILED', exitCode: null, signal: null, error: message }, [], null, startedAt);
      return;
    }
    deps.machine.running(run.id, null, startedAt);
    const wf: WorkflowRun = {
      run,
      job: { id: job.id, name: job.name },
      plan: prepared.plan,
      book: new TaskBook(run.id, job.id, prepared.nodes, prepared.states, deps),
      root: new Stop(),
      dir: runDir(deps.config.dataDir, job.id, run.id),
      outputDir: outputDir(deps.config.dataDir, job.id, run.id),
      log: new LogBudget(deps.config.logMaxBytes, logBytes),
      resultName: null,
      cancelledBy: null,
      timedOut: false,
      timer: null,
      timeoutSeconds: job.timeout_s,
      startedAt,
      unsettled: new Set(),
    };
    this.runs.set(run.id, wf);
    this.preparing.delete(run.id);
    const what = prepared.only ? `task ${prepared.only} of ` : '';
    this.say(run.id, job, null, `Starting ${what}workflow ${job.name} (round ${run.round}, ${prepared.nodes.length} tasks, at most ${prepared.plan.maxParallel} at a time)`);
    if (job.timeout_s) {
      wf.timer = deps.clock.setTimeout(() => {
        wf.timer = null;
        wf.timedOut = true;
        this.say(run.id, job, null, `Timed out after ${job.timeout_s} s: stopping every task`);
        wf.root.fire(`timeout after ${job.timeout_s} s`);
      }, job.timeout_s * 1000);
    }
    // Cancelled while its plan was being prepared: it stops before any task starts.
    if (pending.cancelledBy !== null) this.cancel(run.id, pending.cancelledBy);
    void this.execute(wf, prepared.only).catch((err) => {
      deps.config.onError(err);
      const error = `the workflow stopped: ${(err as Error).message}`;
      // No task is left open: what ran is stopped, what did not is recorded as not run.
      wf.root.fire(error);
      wf.book.closeOpen(error);
      this.finish(wf, { status: 'FAILED', failure: 'TASK_FAILED', exitCode: null, signal: null, error });
    });
  }

  /** The run's plan and task runs: built and stored in its first round, read back in a re-run. */
  private async prepare(run: RunRow, job: JobRow): Promise<{ plan: Plan; nodes: PlanNode[]; states: TaskState[]; only: string | null }> {
    const { store } = this.deps;
    const stored = await store.tasks.plan(run.id);
    const only = stored?.only_path ?? null;
    if (stored?.plan) {
      const { plan, nodes } = readPlan(stored.plan);
      const rows = await store.tasks.list(run.id);
      if (rows.length !== nodes.length) throw new Error(`the run's task runs (${rows.length}) do not match its plan (${nodes.length})`);
      return { plan, nodes, states: rows.map((r) => stateOf(r)), only };
    }
    const plan = await checkWithLookup(jobRefLookup(store), (lookup) => buildPlan(parseWorkflow(job.script ?? ''), job.name, lookup));
    const nodes = numberPlan(plan);
    if (only && only !== '#' && !nodes.some((n) => n.path === only)) throw new Error(`the workflow has no task ${only}`);
    const places = nodes.map((n) => ({ idx: n.idx, path: n.path, name: n.name, parent: n.parent, depth: n.depth, kind: n.kind, ...PENDING_STATE }));
    await store.tasks.recordPlan(run.id, JSON.stringify(plan), places);
    return { plan, nodes, states: places.map((p) => stateOf(p)), only };
  }

  private async execute(wf: WorkflowRun, only: string | null): Promise<void> {
    const results: Record<string, unknown> = {};
    const walk = new TreeWalk({
      book: wf.book,
      clock: this.deps.clock,
      slots: new Slots(wf.plan.maxParallel),
      round: wf.run.round,
      only,
      results,
      spawn: (node, attempt, scope, stop) => this.spawn(wf, node, attempt, scope, results, stop),
      say: (node, text) => this.say(wf.run.id, wf.job, node.path, text),
    });
    const params = JSON.parse(wf.run.params) as Record<string, unknown>;
    const { failed } = await walk.list(wf.plan.tasks, 'sequence', { params, results }, wf.root);
    let outcome: Outcome;
    if (wf.cancelledBy) outcome = { status: 'CANCELLED', failure: 'CANCELLED', exitCode: null, signal: null, error: `cancelled by ${wf.cancelledBy}` };
    else if (wf.timedOut) outcome = { status: 'FAILED', failure: 'TIMEOUT', exitCode: null, signal: null, error: `timeout after ${wf.timeoutSeconds} s` };
    else if (failed) {
      const error = wf.book.state((failed as PlanNode).idx).error;
      outcome = { status: 'FAILED', failure: 'TASK_FAILED', exitCode: null, signal: null, error: `task ${(failed as PlanNode).path} failed${error ? `: ${error}` : ''}` };
    } else outcome = { status: 'SUCCEEDED', failure: null, exitCode: null, signal: null, error: null };
    this.finish(wf, outcome);
  }

  /** One attempt of a task's process. */
  private spawn(wf: WorkflowRun, node: PlanNode, attempt: number, scope: Scope, results: Record<string, unknown>, stop: Stop): TaskProcess {
    const { deps } = this;
    const exec = node.exec!;
    const execId = this.nextExecId--;
    const taskDir = join(wf.dir, 'tasks', `${node.idx}-r${wf.run.round}-a${attempt}`);
    const scriptPath = scriptStorePath(deps.config.dataDir, scriptDigest(exec.script), scriptFileFor(exec.runtime, exec.script));
    const resultsFile = join(taskDir, 'results.json');
    const cmd = runtimeCommand(exec.runtime, scriptPath, splitArgs(wf.run.args), deps.config.nodePath);
    const env: Record<string, string> = {
      ...paramEnv(wf.run.params),
      ...cmd.env,
      JOBDECK_JOB: wf.job.name,
      JOBDECK_JOB_ID: String(wf.job.id),
      JOBDECK_RUN_ID: String(wf.run.id),
      JOBDECK_ATTEMPT: String(attempt),
      JOBDECK_ARGS: wf.run.args,
      JOBDECK_PARAMS: wf.run.params,
      JOBDECK_USER: wf.run.user,
      JOBDECK_TRIGGERED_BY: wf.run.triggered_by,
      JOBDECK_OUTPUT_DIR: wf.outputDir,
      JOBDECK_TASK_PATH: node.path,
      JOBDECK_RESULTS_FILE: resultsFile,
    };
    for (const [name, value] of Object.entries(scope)) {
      if (name !== 'params' && name !== 'results') env[`JOBDECK_DEST_${name.toUpperCase()}`] = JSON.stringify(value);
    }
    if (this.deps.helperPath) env.JOBDECK_HELPER = this.deps.helperPath;
    this.say(wf.run.id, wf.job, node.path, `Starting ${node.path} (attempt ${attempt} of ${node.attempts}): ${[cmd.command, ...cmd.args].join(' ')}`);
    const proc = new TaskProcess(
      {
        execId,
        runKey: `${deps.owner}.${execId}`,
        command: cmd.command,
        args: cmd.args,
        cwd: taskDir,
        env,
        runtime: exec.runtime,
        timeoutSeconds: exec.timeoutSeconds,
        prepare: {
          parents: [join(deps.config.dataDir, 'runs'), join(deps.config.dataDir, 'runs', String(wf.job.id))],
          ensure: [wf.dir, wf.outputDir, join(wf.dir, 'tasks')],
          dirs: [taskDir],
          files: [{ path: resultsFile, content: resultsFileText(results) }],
          scripts: [{ path: scriptPath, content: exec.script }],
        },
      },
      {
        lines: (stream, at, lines) => this.lines(wf, node.path, stream, at, lines),
        resultName: (name) => (wf.resultName = name),
        audit: (message, at) =>
          deps.writer.op({
            kind: 'audit',
            entry: {
              actor: wf.run.user || `job:${wf.job.name}`,
              action: 'script.audit',
              targetType: 'job',
              targetId: wf.job.id,
              targetName: wf.job.name,
              jobId: wf.job.id,
              details: { message, runId: wf.run.id, task: node.path },
              at,
            },
          }),
        started: (at) => {
          const st = wf.book.state(node.idx);
          wf.book.set(node.idx, { status: 'RUNNING', started_at: st.started_at ?? at });
          wf.book.startAncestors(node.idx, at);
        },
      },
      { port: deps.port, clock: deps.clock, killGraceMs: deps.config.killGraceMs },
    );
    this.procs.set(execId, proc);
    try {
      proc.start();
    } catch (err) {
      this.procs.delete(execId);
      throw err;
    }
    // Registered once started: a run never waits for a process that was never asked for.
    wf.unsettled.add(proc.settled);
    void proc.settled.then(() => {
      this.procs.delete(execId);
      wf.unsettled.delete(proc.settled);
    });
    if (stop.reason) proc.stop(stop.reason);
    return proc;
  }

  private lines(wf: WorkflowRun, task: string, stream: 'stdout' | 'stderr' | 'system', at: number, lines: string[]): void {
    if (lines.length === 0) return;
    this.deps.config.onLines?.({ id: wf.run.id, jobId: wf.job.id, jobName: wf.job.name, task }, stream, lines);
    if (wf.log.truncated) return;
    if (wf.log.take(lines)) this.deps.writer.append(wf.run.id, stream, at, lines, task);
    else {
      this.say(wf.run.id, wf.job, null, wf.log.notice());
      this.deps.machine.truncated(wf.run.id);
    }
  }

  private say(runId: number, job: { id: number; name: string }, task: string | null, text: string): void {
    this.deps.writer.append(runId, 'system', Date.now(), [text], task);
    this.deps.config.onLines?.({ id: runId, jobId: job.id, jobName: job.name, ...(task ? { task } : {}) }, 'system', [text]);
  }

  handle(msg: HostMessage): void {
    this.procs.get(msg.id)?.handle(msg);
  }

  /** Stops every task of a run and records it cancelled; false when the run is not executing here. */
  cancel(runId: number, by: string): boolean {
    const wf = this.runs.get(runId);
    if (!wf) {
      const pending = this.preparing.get(runId);
      if (!pending) return false;
      pending.cancelledBy ??= by;
      return true;
    }
    if (wf.cancelledBy || wf.root.reason) return true;
    wf.cancelledBy = by;
    this.say(runId, wf.job, null, `Cancelled by ${by}: stopping every task`);
    wf.root.fire(`cancelled by ${by}`);
    return true;
  }

  cancelAll(by: string): void {
    for (const id of [...this.runs.keys(), ...this.preparing.keys()]) this.cancel(id, by);
  }

  private finish(wf: WorkflowRun, outcome: Outcome): void {
    if (!this.runs.delete(wf.run.id)) return;
    if (wf.timer !== null) this.deps.clock.clearTimeout(wf.timer);
    wf.root.fire('the run ended');
    void Promise.all([...wf.unsettled])
      .then(() => collectResultFiles(wf.outputDir))
      .catch((err: Error) => {
        this.say(wf.run.id, wf.job, null, `Could not read the result files: ${err.message}`);
        return [] as FoundFile[];
      })
      .then((files) => {
        const primary = wf.resultName && files.some((f) => f.name === wf.resultName) ? wf.resultName : files.length === 1 ? files[0]!.name : null;
        const detail = outcome.error ? ` (${outcome.error})` : '';
        this.say(wf.run.id, wf.job, null, `Finished ${outcome.status} in ${formatDuration(Math.max(0, Date.now() - wf.startedAt))}${detail}`);
        this.end(wf.run.id, outcome, files, primary, Date.now());
      });
  }

  private end(runId: number, outcome: Outcome, files: FoundFile[], resultFile: string | null, at: number): void {
    const lastSeq = this.deps.writer.lastSeq(runId) ?? 0;
    this.deps.writer.forget(runId);
    this.deps.machine.end({ runId, end: { ...outcome, finishedAt: at, lastSeq, resultFile }, files });
  }
}

/** The results so far as later tasks read them; bounded: past the limit, the large ones are replaced by a marker. */
function resultsFileText(results: Record<string, unknown>): string {
  const text = JSON.stringify(results);
  if (text.length <= RESULTS_FILE_MAX_BYTES) return text;
  const small: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(results)) {
    const one = JSON.stringify(value);
    small[path] = one.length > TASK_RESULT_LIST_BYTES ? { resultTruncated: true, bytes: one.length } : value;
  }
  return JSON.stringify(small);
}

function stateOf(row: TaskState): TaskState {
  return {
    status: row.status,
    attempts: row.attempts,
    round: row.round,
    started_at: row.started_at,
    finished_at: row.finished_at,
    exit_code: row.exit_code,
    failure: row.failure,
    error: row.error,
    result: row.result,
    reused: row.reused,
    note: row.note,
  };
}
