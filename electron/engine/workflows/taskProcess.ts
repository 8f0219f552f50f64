/**
 * One attempt of one workflow task: its process spawned through the engine's
 * process port (ids below zero, so the port's messages reach it and not the
 * runner), its output logged under the task's path within the run's log
 * budget, the protocol lines it prints (`::return` gives the task's result),
 * its timeout, and how it ended.
 */
import type { Clock } from '../clock';
import type { HostMessage } from '../runner/launcherProtocol';
import type { ProcessPort } from '../runner/processPort';
import { parseProtocolLine } from '../runner/protocol';
import { exitOutcome, leftoverLines, startFailure, UNSET_ENV, type Outcome } from '../runner/supervision';
import type { SpawnRequest } from '../runner/launcherProtocol';

export interface AttemptEnd {
  outcome: Outcome;
  /** The JSON text it returned with `::return`, if any. */
  returned: string | null;
  /** When its process started and ended (host clock); null when it never started. */
  startedAt: number | null;
  endedAt: number;
}

/** What a task process reports to its workflow run. */
export interface AttemptSink {
  /** Lines to keep in the run's log under the task's path (already within budget). */
  lines(stream: 'stdout' | 'stderr' | 'system', at: number, lines: string[]): void;
  /** `::result NAME`: the run's primary result file. */
  resultName(name: string): void;
  audit(message: string, at: number): void;
  started(at: number): void;
}

export interface AttemptRequest {
  execId: number;
  runKey: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  prepare: SpawnRequest['prepare'];
  runtime: string;
  timeoutSeconds: number | null;
}

const COLON = 58;

export class TaskProcess {
  private cancelledBy: string | null = null;
  private timedOut = false;
  private timer: unknown = null;
  private startedAt: number | null = null;
  private returned: string | null = null;
  private exited: { outcome: Outcome; at: number } | null = null;
  private resolve!: (end: AttemptEnd) => void;
  /** Its outcome, as soon as its process has exited (the next task may start). */
  readonly ended: Promise<AttemptEnd>;
  private resolveSettled!: () => void;
  /**
   * Its last message: what it left running has been looked for (a search
   * batched over about 100 ms). The run ends only once all its tasks settled.
   */
  readonly settled: Promise<void>;
  private over = false;
  private isSettled = false;

  constructor(
    private readonly req: AttemptRequest,
    private readonly sink: AttemptSink,
    private readonly deps: { port: ProcessPort; clock: Clock; killGraceMs: number },
  ) {
    this.ended = new Promise((r) => (this.resolve = r));
    this.settled = new Promise((r) => (this.resolveSettled = r));
  }

  get id(): number {
    return this.req.execId;
  }

  get timeoutSeconds(): number | null {
    return this.req.timeoutSeconds;
  }

  start(): void {
    const { req } = this;
    this.deps.port.spawn({
      id: req.execId,
      command: req.command,
      args: req.args,
      cwd: req.cwd,
      env: req.env,
      unsetEnv: UNSET_ENV,
      runKey: req.runKey,
      prepare: req.prepare,
    });
  }

  /** Stops its process tree; `by` says why (a user's cancel, a failed sibling). */
  stop(by: string): void {
    if (this.over || this.cancelledBy || this.exited) return;
    this.cancelledBy = by;
    this.deps.port.terminate(this.req.execId, this.deps.killGraceMs);
  }

  private timeout(): void {
    this.timer = null;
    if (this.over || this.exited || this.cancelledBy) return;
    this.timedOut = true;
    this.sink.lines('system', Date.now(), [`Timed out after ${this.req.timeoutSeconds} s: stopping the process tree`]);
    this.deps.port.terminate(this.req.execId, this.deps.killGraceMs);
  }

  handle(msg: HostMessage): void {
    if (this.isSettled) return;
    switch (msg.t) {
      case 'spawned':
        this.startedAt = msg.at;
        // Counted from the task's start, as a script job's timeout is (runner.ts).
        if (this.req.timeoutSeconds && this.timer === null) this.timer = this.deps.clock.setTimeout(() => this.timeout(), this.req.timeoutSeconds * 1000);
        this.sink.started(msg.at);
        if (this.cancelledBy || this.timedOut) this.deps.port.terminate(this.req.execId, this.deps.killGraceMs);
        break;
      case 'lines':
        this.lines(msg.stream, msg.at, msg.lines);
        break;
      case 'exit':
        this.exited = { outcome: this.outcome(msg.code, msg.signal), at: msg.at };
        this.finish(this.exited.outcome, this.exited.at);
        break;
      case 'settled':
        if (!this.exited) break;
        if (msg.leftovers) this.sink.lines('system', Date.now(), leftoverLines(msg.leftovers));
        this.settle();
        break;
      case 'failed':
        if (this.exited) {
          this.sink.lines('system', Date.now(), [`Could not look for processes the script left running: ${msg.message}`]);
          this.settle();
        } else if (msg.reason === 'STOPPED') {
          this.finish(this.outcome(null, null), Date.now());
        } else {
          const failed = startFailure({ ...msg, reason: msg.reason }, this.req.runtime);
          this.sink.lines('system', Date.now(), [failed.line]);
          this.finish(failed.outcome, Date.now());
        }
        if (!this.exited) this.settle();
        break;
    }
  }

  private stopInfo() {
    return { cancelledBy: this.cancelledBy, timedOut: this.timedOut, timeoutSeconds: this.req.timeoutSeconds };
  }

  /** Its outcome, where a stop's reason (a cancel, a failed sibling) is the error as given. */
  private outcome(code: number | null, signal: string | null): Outcome {
    const o = exitOutcome(this.stopInfo(), code, signal);
    return this.cancelledBy ? { ...o, error: this.cancelledBy } : o;
  }

  private lines(stream: 'stdout' | 'stderr', at: number, lines: string[]): void {
    this.sink.lines(stream, at, lines);
    if (stream !== 'stdout') return;
    for (const line of lines) {
      if (line.charCodeAt(0) !== COLON || line.charCodeAt(1) !== COLON) continue;
      const cmd = parseProtocolLine(line);
      if (!cmd) continue;
      if (cmd.kind === 'return') this.returned = cmd.json;
      else if (cmd.kind === 'result') this.sink.resultName(cmd.name);
      else if (cmd.kind === 'audit') this.sink.audit(cmd.message, at);
      else if (cmd.kind === 'invalid') this.sink.lines('system', at, [`Ignored: ${cmd.problem}`]);
      // ::progress of a task is kept in its log; the run's progress counts tasks.
    }
  }

  private settle(): void {
    this.isSettled = true;
    this.resolveSettled();
  }

  private finish(outcome: Outcome, endedAt: number): void {
    if (this.over) return;
    this.over = true;
    if (this.timer !== null) this.deps.clock.clearTimeout(this.timer);
    this.resolve({ outcome, returned: this.returned, startedAt: this.startedAt, endedAt });
  }
}
