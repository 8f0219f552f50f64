/**
 * Executes runs: writes the script into the run's folder, spawns its runtime
 * through the process port, turns output into log lines and protocol
 * commands, enforces the timeout, and records the outcome.
 */
import { basename, join } from 'node:path';
import type { RunStatus } from '../../../shared/model/job';
import type { LogStream } from '../../../shared/model/run';
import { outputDir, runDir } from '../paths';
import type { JobRow, RunRow } from '../store/rows';
import type { Store } from '../store/store';
import type { Writer } from '../writer';
import { collectResultFiles } from './resultFiles';
import { parseProtocolLine } from './protocol';
import type { HostMessage, ProcessPort } from './processPort';
import { runtimeCommand, runtimeProgram, scriptFileFor, splitArgs } from './runtimes';

export interface ActiveRun {
  id: number;
  jobId: number;
  jobName: string;
  runtime: string;
  user: string;
  attempt: number;
  lock: string | null;
  timeoutSeconds: number | null;
  dir: string;
  outputDir: string;
  startedAt: number;
  pid: number | null;
  spawnedAt: number | null;
  progress: { percent: number; message: string } | null;
  progressQueued: boolean;
  resultName: string | null;
  cancelledBy: string | null;
  timedOut: boolean;
  timer: NodeJS.Timeout | null;
  ended: boolean;
}

export interface RunOutcome {
  status: RunStatus;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
}

export interface RunnerDeps {
  store: Store;
  writer: Writer;
  port: ProcessPort;
  dataDir: string;
  /** SIGTERM to SIGKILL delay for timeouts and cancels. */
  killGraceMs: number;
  nodePath?: string;
  helperPath?: string;
  /** Publishes the current state of a run (after its change is committed). */
  publishRun(runId: number): void;
  /** A run's process has exited (its outcome is being recorded). */
  onExited?(run: ActiveRun): void;
  /** A run ended and its outcome is committed. */
  onFinished(run: ActiveRun, outcome: RunOutcome): void;
  /** Sees every line as it is read (the CLI prints them). */
  onLines?(run: ActiveRun, stream: LogStream, lines: readonly string[]): void;
  onProgress?(run: ActiveRun): void;
  onError(err: unknown): void;
}

const COLON = 58;
/** Host variables a job never inherits (the desktop binary's Node switch, Jobdeck's own settings). */
const UNSET_ENV = ['ELECTRON_RUN_AS_NODE', 'JOBDECK_*'];

function paramEnvName(name: string): string {
  return `JOBDECK_PARAM_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export class Runner {
  readonly active = new Map<number, ActiveRun>();

  constructor(private readonly deps: RunnerDeps) {
    deps.port.onMessage = (msg) => {
      try {
        this.handle(msg);
      } catch (err) {
        deps.onError(err);
      }
    };
  }

  /** Starts a run that was just marked IN_PROGRESS. */
  start(run: RunRow, job: JobRow): ActiveRun {
    const { deps } = this;
    const a: ActiveRun = {
      id: run.id,
      jobId: job.id,
      jobName: job.name,
      runtime: job.runtime,
      user: run.user,
      attempt: run.attempt,
      lock: job.lock_name,
      timeoutSeconds: job.timeout_s,
      dir: runDir(deps.dataDir, job.id, run.id),
      outputDir: outputDir(deps.dataDir, job.id, run.id),
      startedAt: Date.now(),
      pid: null,
      spawnedAt: null,
      progress: null,
      progressQueued: false,
      resultName: null,
      cancelledBy: null,
      timedOut: false,
      timer: null,
      ended: false,
    };
    this.active.set(a.id, a);
    deps.writer.open(a.id, a.jobId, run.last_seq);
    let command: string;
    let args: string[];
    let env: Record<string, string>;
    const scriptPath = join(a.dir, scriptFileFor(job.runtime, job.script ?? ''));
    try {
      const argv = splitArgs(run.args);
      const cmd = runtimeCommand(job.runtime, scriptPath, argv, deps.nodePath);
      command = cmd.command;
      args = cmd.args;
      env = this.environment(a, run, cmd.env);
      this.system(a, `Starting attempt ${a.attempt} of ${job.name}: ${[command, ...args].join(' ')}`);
    } catch (err) {
      this.system(a, `Could not prepare the run: ${(err as Error).message}`);
      void this.finish(a, { status: 'FAILED', exitCode: null, signal: null, error: `could not start: ${(err as Error).message}` });
      return a;
    }
    if (a.timeoutSeconds) {
      a.timer = setTimeout(() => this.timeout(a), a.timeoutSeconds * 1000);
    }
    // The process host creates the run's folder and writes its script, then spawns it there.
    deps.port.spawn({
      id: a.id,
      command,
      args,
      cwd: a.dir,
      env,
      unsetEnv: UNSET_ENV,
      prepare: {
        parents: [join(deps.dataDir, 'runs'), join(deps.dataDir, 'runs', String(a.jobId))],
        dirs: [a.dir, a.outputDir],
        files: [{ path: scriptPath, content: job.script ?? '' }],
        // Made after this run starts, for the job's next run (same script: same name).
        spare: join(deps.dataDir, 'runs', String(a.jobId), `.spare-${job.script_md5}-${basename(scriptPath)}`),
      },
      outputDir: a.outputDir,
    });
    return a;
  }

  /** What a job process gets on top of the host's environment (which loses ELECTRON_RUN_AS_NODE and JOBDECK_*). */
  private environment(a: ActiveRun, run: RunRow, runtimeEnv: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    const params = JSON.parse(run.params) as Record<string, unknown>;
    for (const [k, v] of Object.entries(params)) env[paramEnvName(k)] = String(v);
    Object.assign(env, runtimeEnv, {
      JOBDECK_JOB: a.jobName,
      JOBDECK_JOB_ID: String(a.jobId),
      JOBDECK_RUN_ID: String(a.id),
      JOBDECK_ATTEMPT: String(a.attempt),
      JOBDECK_ARGS: run.args,
      JOBDECK_PARAMS: run.params,
      JOBDECK_USER: a.user,
      JOBDECK_TRIGGERED_BY: run.triggered_by,
      JOBDECK_OUTPUT_DIR: a.outputDir,
    });
    if (this.deps.helperPath) env.JOBDECK_HELPER = this.deps.helperPath;
    return env;
  }

  /** Stops a run's process tree and records it as cancelled. */
  cancel(runId: number, by: string): boolean {
    const a = this.active.get(runId);
    if (!a || a.ended) return false;
    if (a.cancelledBy) return true;
    a.cancelledBy = by;
    this.system(a, `Cancelled by ${by}: stopping the process tree`);
    this.deps.port.terminate(a.id, this.deps.killGraceMs);
    return true;
  }

  private timeout(a: ActiveRun): void {
    a.timer = null;
    if (a.ended || a.cancelledBy) return;
    a.timedOut = true;
    this.system(a, `Timed out after ${a.timeoutSeconds} s: stopping the process tree`);
    this.deps.port.terminate(a.id, this.deps.killGraceMs);
  }

  system(a: ActiveRun, text: string): void {
    this.deps.writer.append(a.id, 'system', Date.now(), [text]);
    this.deps.onLines?.(a, 'system', [text]);
  }

  private handle(msg: HostMessage): void {
    const a = this.active.get(msg.id);
    if (!a || a.ended) return;
    switch (msg.t) {
      case 'spawned': {
        a.pid = msg.pid;
        a.spawnedAt = msg.at;
        const { id } = a;
        this.deps.writer.op(
          () => this.deps.store.runs.markSpawned(id, msg.at, msg.pid),
          () => this.deps.publishRun(id),
        );
        // Cancelled or timed out before the process existed: stop it now.
        if (a.cancelledBy || a.timedOut) this.deps.port.terminate(a.id, this.deps.killGraceMs);
        break;
      }
      case 'lines':
        this.lines(a, msg.stream, msg.at, msg.lines);
        break;
      case 'exit': {
        this.deps.onExited?.(a);
        if (msg.leftovers) this.system(a, 'Processes the script left running were stopped');
        void this.finish(a, this.outcome(a, msg.code, msg.signal), msg.outputFiles > 0);
        break;
      }
      case 'error': {
        if (msg.errno === 'ECANCELED') {
          // Cancelled or timed out before its process was started.
          void this.finish(a, this.outcome(a, null, null));
          break;
        }
        const problem =
          msg.errno === 'ENOENT' && a.spawnedAt === null
            ? `${runtimeProgram(a.runtime)} was not found (is it installed and on the PATH?)`
            : msg.message;
        this.system(a, `Could not start: ${problem}`);
        void this.finish(a, {
          status: 'FAILED',
          exitCode: null,
          signal: null,
          error: msg.errno === 'ELAUNCHER' || msg.errno === 'EPREPARE' ? msg.message : `could not start: ${problem}`,
        });
        break;
      }
    }
  }

  private lines(a: ActiveRun, stream: 'stdout' | 'stderr', at: number, lines: string[]): void {
    const seq = this.deps.writer.append(a.id, stream, at, lines);
    this.deps.onLines?.(a, stream, lines);
    if (stream !== 'stdout') return;
    for (const line of lines) {
      if (line.charCodeAt(0) !== COLON || line.charCodeAt(1) !== COLON) continue;
      const cmd = parseProtocolLine(line);
      if (!cmd) continue;
      switch (cmd.kind) {
        case 'progress':
          a.progress = { percent: cmd.percent, message: cmd.message };
          this.queueProgress(a, seq);
          break;
        case 'result':
          a.resultName = cmd.name;
          break;
        case 'audit': {
          const { store } = this.deps;
          const entry = {
            actor: a.user || `job:${a.jobName}`,
            action: 'script.audit',
            targetType: 'job' as const,
            targetId: a.jobId,
            targetName: a.jobName,
            jobId: a.jobId,
            details: { message: cmd.message, runId: a.id },
            at,
          };
          this.deps.writer.op(() => store.audit.add(entry));
          break;
        }
        case 'invalid':
          this.system(a, `Ignored: ${cmd.problem}`);
          break;
      }
    }
  }

  private queueProgress(a: ActiveRun, seq: number): void {
    this.deps.onProgress?.(a);
    if (a.progressQueued) return;
    a.progressQueued = true;
    const { id } = a;
    this.deps.writer.op(
      () => {
        a.progressQueued = false;
        if (a.progress) this.deps.store.runs.setProgress(id, a.progress.percent, a.progress.message, seq);
      },
      () => this.deps.publishRun(id),
    );
  }

  private outcome(a: ActiveRun, code: number | null, signal: string | null): RunOutcome {
    if (a.cancelledBy) return { status: 'CANCELLED', exitCode: code, signal, error: `cancelled by ${a.cancelledBy}` };
    if (a.timedOut) return { status: 'FAILED', exitCode: code, signal, error: `timeout after ${a.timeoutSeconds} s` };
    if (code === 0) return { status: 'SUCCEEDED', exitCode: 0, signal: null, error: null };
    if (signal) return { status: 'FAILED', exitCode: null, signal, error: `killed by ${signal}` };
    return { status: 'FAILED', exitCode: code, signal: null, error: `exit code ${code}` };
  }

  private async finish(a: ActiveRun, outcome: RunOutcome, hasOutput = true): Promise<void> {
    if (a.ended) return;
    a.ended = true;
    if (a.timer) clearTimeout(a.timer);
    const { deps } = this;
    let files: Awaited<ReturnType<typeof collectResultFiles>> = [];
    try {
      if (hasOutput) files = await collectResultFiles(a.outputDir);
    } catch (err) {
      this.system(a, `Could not read the result files: ${(err as Error).message}`);
    }
    let primary: string | null = null;
    if (a.resultName) {
      if (files.some((f) => f.name === a.resultName)) primary = a.resultName;
      else this.system(a, `::result names ${a.resultName}, but no such file is in the output folder`);
    }
    if (!primary && files.length === 1) primary = files[0]!.name;
    const took = Date.now() - (a.spawnedAt ?? a.startedAt);
    const detail = outcome.error ? ` (${outcome.error})` : '';
    const fileNote = files.length ? `; ${files.length} result file${files.length > 1 ? 's' : ''}` : '';
    this.system(a, `Finished ${outcome.status} in ${formatDuration(took)}${detail}${fileNote}`);
    const lastSeq = deps.writer.lastSeq(a.id) ?? 0;
    const finishedAt = Date.now();
    deps.writer.forget(a.id);
    const { store } = deps;
    deps.writer.op(
      () => {
        store.runs.finish(a.id, {
          status: outcome.status,
          finishedAt,
          exitCode: outcome.exitCode,
          signal: outcome.signal,
          error: outcome.error,
          lastSeq,
          resultFile: primary,
        });
        for (const f of files) store.runs.addFile(a.id, f.name, f.size, f.sha256, f.name === primary);
        if (a.lock) store.locks.release(a.lock, a.id);
        store.jobs.setLastRun(a.jobId, a.id, outcome.status, finishedAt);
      },
      () => {
        this.active.delete(a.id);
        deps.publishRun(a.id);
        deps.onFinished(a, outcome);
      },
      true,
    );
  }
}
