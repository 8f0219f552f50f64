/**
 * Executes runs the dispatcher claimed: asks the process port to make the
 * run's folder and spawn its runtime, turns output into log lines and
 * protocol commands, enforces the timeout, and reports each step to the run
 * state machine (running, progress, finishing, end). It keeps only what
 * supervising a process needs (timers, who cancelled); a run's state lives
 * in the state machine and the store.
 */
import { basename, join } from 'node:path';
import type { FailureCode } from '../../../shared/model/run';
import type { Clock } from '../clock';
import type { EngineConfig } from '../options';
import { outputDir, runDir } from '../paths';
import type { RunStateMachine } from '../runs/stateMachine';
import type { JobRow, RunRow } from '../store/rows';
import type { RunEnd } from '../store/runsStore';
import type { Writer } from '../writer';
import type { HostMessage, Leftovers } from './launcherProtocol';
import type { ProcessPort } from './processPort';
import { parseProtocolLine } from './protocol';
import { collectResultFiles, type FoundFile } from './resultFiles';
import { runtimeCommand, runtimeProgram, scriptFileFor, splitArgs } from './runtimes';

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
  /** Bytes of output kept so far, and whether the limit was reached. */
  logBytes: number;
  truncated: boolean;
  /** Its process exited (what it ended with, its result files being read); the run ends once settled. */
  exited: { outcome: Outcome; at: number; files: Promise<FoundFile[]> } | null;
}

type Outcome = Pick<RunEnd, 'status' | 'failure' | 'exitCode' | 'signal' | 'error'>;

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

const FAILED_CODES: Record<Exclude<Extract<HostMessage, { t: 'failed' }>['reason'], 'STOPPED'>, FailureCode> = {
  PREPARE: 'PREPARE_FAILED',
  SPAWN: 'SPAWN_FAILED',
  LAUNCHER_DIED: 'LAUNCHER_DIED',
};

export class Runner {
  private readonly runs = new Map<number, Supervised>();

  constructor(private readonly deps: RunnerDeps) {
    deps.port.onMessages = (msgs) =>
      deps.batch(() => {
        for (const msg of msgs) {
          try {
            this.handle(msg);
          } catch (err) {
            deps.config.onError(err);
          }
        }
      });
  }

  get size(): number {
    return this.runs.size;
  }

  /** Starts a run the state machine just claimed (STARTING). */
  start(run: RunRow, job: JobRow): void {
    const { deps } = this;
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
      logBytes: 0,
      truncated: false,
      exited: null,
    };
    this.runs.set(s.id, s);
    deps.writer.open(s.id, s.jobId, run.last_seq);
    const scriptPath = join(dir, scriptFileFor(job.runtime, job.script ?? ''));
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
    if (s.timeoutSeconds) s.timer = deps.clock.setTimeout(() => this.timeout(s), s.timeoutSeconds * 1000);
    // The process host makes the run's folder and writes its script, then spawns it there.
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
        files: [{ path: scriptPath, content: job.script ?? '' }],
        // Made after this run starts, for the job's next run (same script: same name).
        spare: join(deps.config.dataDir, 'runs', String(s.jobId), `.spare-${job.script_md5}-${basename(scriptPath)}`),
      },
      outputDir: s.outputDir,
    });
  }

  /** What a job process gets on top of the host's environment (which loses ELECTRON_RUN_AS_NODE and JOBDECK_*). */
  private environment(s: Supervised, run: RunRow, runtimeEnv: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    const params = JSON.parse(run.params) as Record<string, unknown>;
    for (const [k, v] of Object.entries(params)) env[paramEnvName(k)] = String(v);
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
    if (!s || s.ended) return false;
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
        if (msg.leftovers) this.reportLeftovers(s, msg.leftovers);
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
        const problem =
          msg.reason === 'SPAWN' && msg.errno === 'ENOENT' ? `${runtimeProgram(s.runtime)} was not found (is it installed and on the PATH?)` : msg.message;
        this.system(s, `Could not start: ${problem}`);
        const error = msg.reason === 'SPAWN' ? `could not start: ${problem}` : msg.message;
        void this.finish(s, { status: 'FAILED', failure: FAILED_CODES[msg.reason], exitCode: null, signal: null, error }, msg.reason !== 'PREPARE' ? this.readFiles(s) : undefined);
        break;
      }
    }
  }

  private reportLeftovers(s: Supervised, l: Leftovers): void {
    const found: string[] = [];
    if (l.inGroup) found.push('processes left in its process group');
    if (l.escaped) found.push(`${l.escaped} process${l.escaped > 1 ? 'es' : ''} that had left its process group`);
    if (found.length) this.system(s, `Stopped what the script left running: ${found.join(' and ')}`);
    if (l.survivors.length) {
      this.system(s, `Could not stop ${l.survivors.length} process${l.survivors.length > 1 ? 'es' : ''} the script left running (pid ${l.survivors.join(', ')})`);
    }
  }

  private lines(s: Supervised, stream: 'stdout' | 'stderr', at: number, lines: string[]): void {
    this.deps.config.onLines?.({ id: s.id, jobId: s.jobId, jobName: s.jobName }, stream, lines);
    let seq = this.deps.writer.lastSeq(s.id) ?? 0;
    if (!s.truncated) {
      let bytes = 0;
      for (const l of lines) bytes += Buffer.byteLength(l, 'utf8') + 1;
      if (s.logBytes + bytes <= this.deps.config.logMaxBytes) {
        s.logBytes += bytes;
        seq = this.deps.writer.append(s.id, stream, at, lines);
      } else {
        s.truncated = true;
        const mb = Math.round(this.deps.config.logMaxBytes / (1024 * 1024));
        this.system(s, `Log limit reached: this run printed more than ${mb} MB; later output is not kept (result files are unaffected)`);
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
    if (s.cancelledBy) return { status: 'CANCELLED', failure: 'CANCELLED', exitCode: code, signal, error: `cancelled by ${s.cancelledBy}` };
    if (s.timedOut) return { status: 'FAILED', failure: 'TIMEOUT', exitCode: code, signal, error: `timeout after ${s.timeoutSeconds} s` };
    if (code === 0) return { status: 'SUCCEEDED', failure: null, exitCode: 0, signal: null, error: null };
    if (signal) return { status: 'FAILED', failure: 'SIGNAL', exitCode: null, signal, error: `killed by ${signal}` };
    return { status: 'FAILED', failure: 'EXIT', exitCode: code, signal: null, error: `exit code ${code}` };
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
    });
  }
}
