/**
 * What supervising any job process shares, whether it runs a whole job (the
 * runner) or one task of a workflow: its outcome in the run vocabulary, the
 * words for what it left running, and the environment every job process
 * gets.
 */
import type { FailureCode } from '../../../shared/model/run';
import type { RunEnd } from '../store/runsStore';
import type { HostMessage, Leftovers } from './launcherProtocol';
import { runtimeProgram } from './runtimes';

export type Outcome = Pick<RunEnd, 'status' | 'failure' | 'exitCode' | 'signal' | 'error'>;

/** Host variables a job never inherits (the desktop binary's Node switch, Jobdeck's own settings). */
export const UNSET_ENV = ['ELECTRON_RUN_AS_NODE', 'JOBDECK_*'];

export function paramEnvName(name: string): string {
  return `JOBDECK_PARAM_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** The variables naming a run's parameters, one per parameter. */
export function paramEnv(paramsJson: string): Record<string, string> {
  const env: Record<string, string> = {};
  const params = JSON.parse(paramsJson) as Record<string, unknown>;
  for (const [k, v] of Object.entries(params)) env[paramEnvName(k)] = String(v);
  return env;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How a process that exited ended, given whether Jobdeck stopped it and why. */
export function exitOutcome(
  stop: { cancelledBy: string | null; timedOut: boolean; timeoutSeconds: number | null },
  code: number | null,
  signal: string | null,
): Outcome {
  if (stop.cancelledBy) return { status: 'CANCELLED', failure: 'CANCELLED', exitCode: code, signal, error: `cancelled by ${stop.cancelledBy}` };
  if (stop.timedOut) return { status: 'FAILED', failure: 'TIMEOUT', exitCode: code, signal, error: `timeout after ${stop.timeoutSeconds} s` };
  if (code === 0) return { status: 'SUCCEEDED', failure: null, exitCode: 0, signal: null, error: null };
  if (signal) return { status: 'FAILED', failure: 'SIGNAL', exitCode: null, signal, error: `killed by ${signal}` };
  return { status: 'FAILED', failure: 'EXIT', exitCode: code, signal: null, error: `exit code ${code}` };
}

type Failed = Extract<HostMessage, { t: 'failed' }>;

const FAILED_CODES: Record<Exclude<Failed['reason'], 'STOPPED'>, FailureCode> = {
  PREPARE: 'PREPARE_FAILED',
  SPAWN: 'SPAWN_FAILED',
  LAUNCHER_DIED: 'LAUNCHER_DIED',
};

/** A process that could not be started (or whose launcher died): the line to log and the outcome. */
export function startFailure(msg: Failed & { reason: Exclude<Failed['reason'], 'STOPPED'> }, runtime: string): { line: string; outcome: Outcome } {
  const problem = msg.reason === 'SPAWN' && msg.errno === 'ENOENT' ? `${runtimeProgram(runtime)} was not found (is it installed and on the PATH?)` : msg.message;
  const error = msg.reason === 'SPAWN' ? `could not start: ${problem}` : msg.message;
  return { line: `Could not start: ${problem}`, outcome: { status: 'FAILED', failure: FAILED_CODES[msg.reason], exitCode: null, signal: null, error } };
}

/** What to say about processes a script left running (nothing when there were none). */
export function leftoverLines(l: Leftovers): string[] {
  const lines: string[] = [];
  const found: string[] = [];
  if (l.inGroup) found.push('processes left in its process group');
  if (l.escaped) found.push(`${l.escaped} process${l.escaped > 1 ? 'es' : ''} that had left its process group`);
  if (found.length) lines.push(`Stopped what the script left running: ${found.join(' and ')}`);
  if (l.survivors.length) {
    lines.push(`Could not stop ${l.survivors.length} process${l.survivors.length > 1 ? 'es' : ''} the script left running (pid ${l.survivors.join(', ')})`);
  }
  return lines;
}

/** A run's log size budget, shared by all the processes of the run (a workflow's tasks). */
export class LogBudget {
  private bytes = 0;
  truncated = false;

  /** `used`: bytes the run's log holds already (a re-run's earlier rounds). */
  constructor(
    private readonly max: number,
    used = 0,
  ) {
    this.bytes = used;
    this.truncated = used >= max;
  }

  /** Whether these lines fit; the first time they do not, the budget is spent for good. */
  take(lines: readonly string[]): boolean {
    if (this.truncated) return false;
    let n = 0;
    for (const l of lines) n += Buffer.byteLength(l, 'utf8') + 1;
    if (this.bytes + n <= this.max) {
      this.bytes += n;
      return true;
    }
    this.truncated = true;
    return false;
  }

  notice(): string {
    const mb = Math.round(this.max / (1024 * 1024));
    return `Log limit reached: this run printed more than ${mb} MB; later output is not kept (result files are unaffected)`;
  }
}
