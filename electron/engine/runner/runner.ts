/**
 * Executes runs the dispatcher claimed: asks the process port to make the
 * run's folder and spawn its runtime, turns output into log lines and
 * protocol commands, enforces the timeout, and reports each step to the run
 * state machine (running, progress, finishing, end). It keeps only what
 * supervising a process needs (timers, who cancelled); a run's state lives
 * in the state machine and the store.
 */
import { join } from 'node:path';
import { WORKFLOW_RUNTIME } from '../../../shared/model/job';
import type { Clock } from '../clock';
import type { EngineConfig } from '../options';
import { outputDir, runDir, scriptStorePath } from '../paths';
import type { RunStateMachine } from '../runs/stateMachine';
import type { JobRow, RunRow } from '../store/rows';
import type { Writer } from '../writer';
import type { HostMessage } from './launcherProtocol';
import type { ProcessPort } from './processPort';
import { parseProtocolLine } from './protocol';
import { collectResultFiles, type FoundFile } from './resultFiles';
import { runtimeCommand, scriptDigest, scriptFileFor, splitArgs } from './runtimes';
import { exitOutcome, formatDuration, leftoverLines, LogBudget, paramEnv, startFailure, UNSET_ENV, type Outcome } from './supervision';

/** What supervising one run's process needs. */
interface Supervised {
  id: number;
  jobId: number;
  jobName: string;
  user: string;
  attempt: number;
  runtime: string;
  timeoutSeconds: number | null;
  outputDir: string;
  startedAt: number;
  spawnedAt: number | null;
  resultName: string | null;
  cancelledBy: string | null;
  timedOut: boolean;
  timer: unknown;
  ended: boolean;
  log: LogBudget;
  /** `::email FILE TO` lines: result files to mail once the run ends (at most 20). */
  reports: { file: string; to: string }[];
  /** Its process exited (what it ended with, its result files being read); the run ends once settled. */
  exited: { outcome: Outcome; at: number; files: Promise<FoundFile[]> } | null;
}

export interface RunnerDeps {
  machine: RunStateMachine;
  writer: Writer;
  port: ProcessPort;
  clock: Clock;
  config: EngineConfig;
  /** This engine's instance id (part of each run's key). */
  owner: string;
  helperPath?: string;
  /** Runs fn so that the runs it frees start together (the dispatcher's batch). */
  batch(fn: () => void): void;
  /** Executes workflow runs (their tasks' processes have negative ids). */
  workflows: WorkflowExecutor;
}

/** What the runner hands workflow runs to. */
export interface WorkflowExecutor {
  start(run: RunRow, job: JobRow): void;
  cancel(runId: number, by: string): boolean;
  cancelAll(by: string): void;
  handle(msg: HostMessage): void;
  readonly size: number;
}

const COLON = 58;

export class Runner {
  private readonly runs = new Map<number, Supervised>();

  constructor(private readonly deps: RunnerDeps) {
    deps.port.onMessages = (msgs) =>
      deps.batch(() => {
        for (const msg of msgs) {
          try {
            if (msg.id < 0) deps.workflows.handle(msg);
            else this.handle(msg);
          } catch (err) {
            deps.config.onError(err);
          }
        }
      });
  }

  get size(): number {
    return this.runs.size + this.deps.workflows.size;
  }

  /** Starts a run the state machine just claimed (STARTING). */
  start(run: RunRow, job: JobRow): void {
    const { deps } = this;
    if (job.runtime === WORKFLOW_RUNTIME) return deps.workflows.start(run, job);
    const dir = runDir(deps.config.dataDir, job.id, run.id);
    const s: Supervised = {
      id: run.id,
      jobId: job.id,
      jobName: job.name,
      user: run.user,
      attempt: run.attempt,
      runtime: job.runtime,
      timeoutSeconds: job.timeout_s,
      outputDir: outputDir(deps.config.dataDir, job.id, run.id),
      startedAt: Date.now(),
      spawnedAt: null,
      resultName: null,
      cancelledBy: null,
      timedOut: false,
      timer: null,
      ended: false,
      log: new LogBudget(deps.config.logMaxBytes),
      reports: [],
      exited: null,
    };
    this.runs.set(s.id, s);
    deps.writer.open(s.id, s.jobId, run.last_seq);
    // The script version's own file, shared by every run of it: a run folder holds only what the run makes.
    const scriptPath = scriptStorePath(deps.config.dataDir, scriptDigest(job.script ?? ''), scriptFileFor(job.runtime, job.script ?? ''));
    let command: string;
    let args: string[];
    let env: Record<string, string>;
    try {
      const cmd = runtimeCommand(job.runtime, scriptPath, splitArgs(run.args), deps.config.nodePath);
      command = cmd.command;
      args = cmd.args;
      env = this.environment(s, run, cmd.env);
      this.system(s, `Starting attempt ${s.attempt} of ${job.name}: ${[command, ...args].join(' ')}`);
    } catch (err) {
      this.system(s, `Could not prepare the run: ${(err as Error).message}`);
      void this.finish(s, { status: 'FAILED', failure: 'SPAWN_FAILED', exitCode: null, signal: null, error: `could not start: ${(err as Error).message}` });
      return;
    }
    // The process host makes the run's folder (and the script version's file, the first time), then spawns it there.
    deps.port.spawn({
      id: s.id,
      command,
      args,
      cwd: dir,
      env,
      unsetEnv: UNSET_ENV,
      runKey: `${deps.owner}.${s.id}`,
      prepare: {
        parents: [join(deps.config.dataDir, 'runs'), join(deps.config.dataDir, 'runs', String(s.jobId))],
        dirs: [dir, s.outputDir],
        files: [],
        scripts: [{ path: scriptPath, content: job.script ?? '' }],
        spares: join(deps.config.dataDir, 'runs', '.spares'),
      },
      outputDir: s.outputDir,
      // The launcher may hand it to a pre-started interpreter (warmPool.ts); the job can turn that off.
      ...(job.warm !== 0 && (job.runtime === 'node' || job.runtime === 'python3') ? { warm: job.runtime } : {}),
    });
  }

  /** What a job process gets on top of the host's environment (which loses ELECTRON_RUN_AS_NODE and JOBDECK_*). */
  private environment(s: Supervised, run: RunRow, runtimeEnv: Record<string, string>): Record<string, string> {
    const env = paramEnv(run.params);
    Object.assign(env, runtimeEnv, {
      JOBDECK_JOB: s.jobName,
      JOBDECK_JOB_ID: String(s.jobId),
      JOBDECK_RUN_ID: String(s.id),
      JOBDECK_ATTEMPT: String(s.attempt),
      JOBDECK_ARGS: run.args,
      JOBDECK_PARAMS: run.params,
      JOBDECK_USER: s.user,
      JOBDECK_TRIGGERED_BY: run.triggered_by,
      JOBDECK_OUTPUT_DIR: s.outputDir,
    });
    if (this.deps.helperPath) env.JOBDECK_HELPER = this.deps.helperPath;
    return env;
  }

  /** Stops a run's process tree and records it as cancelled; false when it is not executing here. */
  cancel(runId: number, by: string): boolean {
    const s = this.runs.get(runId);
    if (!s) return this.deps.workflows.cancel(runId, by);
    if (s.ended) return false;
    // Exited already (its end being recorded), or being stopped: nothing more to stop.
    if (s.cancelledBy || s.exited) return true;
    s.cancelledBy = by;
    this.system(s, `Cancelled by ${by}: stopping the process tree`);
    this.deps.port.terminate(s.id, this.deps.config.killGraceMs);
    return true;
  }

  /** Cancels every run executing here (shutdown, a second signal). */
  cancelAll(by: string): void {
    for (const id of [...this.runs.keys()]) this.cancel(id, by);
    this.deps.workflows.cancelAll(by);
  }

  private timeout(s: Supervised): void {
    s.timer = null;
    if (s.ended || s.exited || s.cancelledBy) return;
    s.timedOut = true;
    this.system(s, `Timed out after ${s.timeoutSeconds} s: stopping the process tree`);
    this.deps.port.terminate(s.id, this.deps.config.killGraceMs);
  }

  private system(s: Supervised, text: string): void {
    this.deps.writer.append(s.id, 'system', Date.now(), [text]);
    this.deps.config.onLines?.({ id: s.id, jobId: s.jobId, jobName: s.jobName }, 'system', [text]);
  }

  private handle(msg: HostMessage): void {
    const s = this.runs.get(msg.id);
    if (!s || s.ended) return;
    switch (msg.t) {
      case 'spawned':
        s.spawnedAt = msg.at;
        // The timeout is the script's time: counted from its start, not from the request to a launcher
        // (a launcher starting, or busy with a burst, would take its share of it).
        if (s.timeoutSeconds && s.timer === null) s.timer = this.deps.clock.setTimeout(() => this.timeout(s), s.timeoutSeconds * 1000);
        if (msg.warm) this.system(s, `Started in a pre-started ${s.runtime} process (warm start, pid ${msg.pid})`);
        this.deps.machine.running(s.id, msg.pid, msg.at);
        // Cancelled or timed out before the process existed: stop it now.
        if (s.cancelledBy || s.timedOut) this.deps.port.terminate(s.id, this.deps.config.killGraceMs);
        break;
      case 'lines':
        this.lines(s, msg.stream, msg.at, msg.lines);
        break;
      case 'exit':
        // Its slot goes to another run now; its files are read while the host looks for leftovers.
        this.deps.machine.finishing(s.id, this.deps.writer.lastSeq(s.id) ?? 0);
        s.exited = { outcome: this.outcome(s, msg.code, msg.signal), at: msg.at, files: msg.outputFiles > 0 ? this.readFiles(s) : Promise.resolve([]) };
        break;
      case 'settled':
        if (!s.exited) break;
        if (msg.leftovers) for (const line of leftoverLines(msg.leftovers)) this.system(s, line);
        void this.finish(s, s.exited.outcome, s.exited.files, s.exited.at);
        break;
      case 'failed': {
        if (s.exited) {
          // The launcher died between the exit and the search for leftovers.
          this.system(s, `Could not look for processes the script left running: ${msg.message}`);
          void this.finish(s, s.exited.outcome, s.exited.files, s.exited.at);
          break;
        }
        if (msg.reason === 'STOPPED') {
          // Cancelled or timed out before its process was started.
          void this.finish(s, this.outcome(s, null, null));
          break;
        }
        const failed = startFailure({ ...msg, reason: msg.reason }, s.runtime);
        this.system(s, failed.line);
        void this.finish(s, failed.outcome, msg.reason !== 'PREPARE' ? this.readFiles(s) : undefined);
        break;
      }
    }
  }

  private lines(s: Supervised, stream: 'stdout' | 'stderr', at: number, lines: string[]): void {
    this.deps.config.onLines?.({ id: s.id, jobId: s.jobId, jobName: s.jobName }, stream, lines);
    let seq = this.deps.writer.lastSeq(s.id) ?? 0;
    if (!s.log.truncated) {
      if (s.log.take(lines)) {
        seq = this.deps.writer.append(s.id, stream, at, lines);
      } else {
        this.system(s, s.log.notice());
        this.deps.machine.truncated(s.id);
        seq = this.deps.writer.lastSeq(s.id) ?? seq;
      }
    }
    if (stream !== 'stdout') return;
    for (const line of lines) {
      if (line.charCodeAt(0) !== COLON || line.charCodeAt(1) !== COLON) continue;
      const cmd = parseProtocolLine(line);
      if (!cmd) continue;
      switch (cmd.kind) {
        case 'progress': {
          const progress = { percent: cmd.percent, message: cmd.message };
          this.deps.machine.progress(s.id, progress, seq);
          this.deps.config.onProgress?.({ id: s.id, jobId: s.jobId, jobName: s.jobName }, progress);
          break;
        }
        case 'result':
          s.resultName = cmd.name;
          break;
        case 'email':
          if (s.reports.length < 20) s.reports.push({ file: cmd.file, to: cmd.to });
          else this.system(s, 'Ignored: at most 20 ::email lines per run');
          break;
        case 'audit':
          this.deps.writer.op({
            kind: 'audit',
            entry: {
              actor: s.user || `job:${s.jobName}`,
              action: 'script.audit',
              targetType: 'job',
              targetId: s.jobId,
              targetName: s.jobName,
              jobId: s.jobId,
              details: { message: cmd.message, runId: s.id },
              at,
            },
          });
          break;
        case 'invalid':
          this.system(s, `Ignored: ${cmd.problem}`);
          break;
      }
    }
  }

  private outcome(s: Supervised, code: number | null, signal: string | null): Outcome {
    return exitOutcome(s, code, signal);
  }

  /** The files in a run's output folder (an unreadable folder is said in the log, and counts as none). */
  private readFiles(s: Supervised): Promise<FoundFile[]> {
    return collectResultFiles(s.outputDir).catch((err: Error) => {
      this.system(s, `Could not read the result files: ${err.message}`);
      return [];
    });
  }

  /**
   * Hands the end to the state machine, with the result files. The run
   * finished when its process did (`endedAt`), not when its files were counted:
   * a run started in the slot it freed never seems to overlap it.
   */
  private async finish(s: Supervised, outcome: Outcome, found: Promise<FoundFile[]> = Promise.resolve([]), endedAt = Date.now()): Promise<void> {
    if (s.ended) return;
    s.ended = true;
    if (s.timer !== null) this.deps.clock.clearTimeout(s.timer);
    const files = await found;
    let primary: string | null = null;
    if (s.resultName) {
      if (files.some((f) => f.name === s.resultName)) primary = s.resultName;
      else this.system(s, `::result names ${s.resultName}, but no such file is in the output folder`);
    }
    if (!primary && files.length === 1) primary = files[0]!.name;
    const took = Math.max(0, endedAt - (s.spawnedAt ?? s.startedAt));
    const detail = outcome.error ? ` (${outcome.error})` : '';
    const fileNote = files.length ? `; ${files.length} result file${files.length > 1 ? 's' : ''}` : '';
    this.system(s, `Finished ${outcome.status} in ${formatDuration(took)}${detail}${fileNote}`);
    const lastSeq = this.deps.writer.lastSeq(s.id) ?? 0;
    this.deps.writer.forget(s.id);
    this.runs.delete(s.id);
    this.deps.machine.end({
      runId: s.id,
      end: { ...outcome, finishedAt: endedAt, lastSeq, resultFile: primary },
      files,
      reports: s.reports,
    });
  }
}
