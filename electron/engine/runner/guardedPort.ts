/**
 * Job processes spawned from this process (no launcher to boot), guarded by
 * a watchdog: a small `sh` that outlives this process. It is told each run's
 * process group and run key as soon as the run's process exists, and when
 * the run is done; when this process ends (its pipe to the watchdog closes,
 * even after a kill -9), the watchdog sends SIGTERM to the groups still
 * listed and to the processes that left them (setsid daemons, found by the
 * run key in their environment where /proc exists, as a launcher does),
 * then SIGKILL after a grace period.
 *
 * For a command that runs one job in the foreground (`jobdeck run`), a
 * launcher is a second Node start on the way to the run's first line (about
 * 0.15 s, competing for the same cores as the command's own start); a shell
 * starts in a few milliseconds. Where there is no POSIX shell (Windows), the
 * engine uses a launcher instead (wiring.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { HostMessage, HostOptions, SpawnRequest } from './launcherProtocol';
import { InlinePort, type ProcessPort } from './processPort';

/**
 * $1: the grace period in whole seconds. Lines read: "+PGID/KEY" a group to
 * guard (KEY: the run's key, [A-Za-z0-9._:-]), "-PGID" a group done. It
 * ignores a terminal's signals; only the end of its input ends it.
 */
const WATCHDOG_SCRIPT = `trap '' INT TERM HUP
grace=$1
g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) p=\${l#-}
        case $g in *" $p/"*) a=\${g%%" $p/"*}; b=\${g#*" $p/"}; b=\${b#* }; g="$a $b" ;; esac ;;
  esac
done
set -- $g
[ $# -eq 0 ] && exit 0
keys=
for e in "$@"; do kill -TERM -"\${e%%/*}" 2>/dev/null; keys="$keys \${e#*/}"; done
esc=
if [ -d /proc/self ]; then
  for k in $keys; do
    for f in $(grep -lzxF "JOBDECK_RUN_KEY=$k" /proc/[0-9]*/environ 2>/dev/null); do
      q=\${f#/proc/}; q=\${q%/environ}; kill -TERM "$q" 2>/dev/null; esc="$esc $q"
    done
  done
fi
sleep "$grace"
for e in "$@"; do kill -KILL -"\${e%%/*}" 2>/dev/null; done
for q in $esc; do kill -KILL "$q" 2>/dev/null; done
exit 0`;

/** After this many failures (no shell, or one that keeps dying) it is not started again. */
const MAX_STARTS = 3;
const SAFE_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

export interface GuardOptions extends HostOptions {
  /** Told when the watchdog cannot be started or died (runs are unguarded until it is started again). */
  onProblem?: (message: string) => void;
}

export class Watchdog {
  private child: ChildProcess | null = null;
  private failures = 0;
  private closed = false;
  /** What it guards: process group -> run key. Told again to a watchdog started after one died. */
  private readonly guarded = new Map<number, string>();

  constructor(private readonly options: { graceMs: number; onProblem?: (message: string) => void }) {}

  /** The watchdog's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts it ahead of the first run, so its fork is not between a run's spawn and its being guarded. */
  ready(): void {
    this.running();
  }

  watch(pgid: number, runKey: string): void {
    const key = SAFE_KEY.test(runKey) ? runKey : '-';
    this.guarded.set(pgid, key);
    this.running()?.stdin?.write(`+${pgid}/${key}\n`);
  }

  release(pgid: number): void {
    if (!this.guarded.delete(pgid)) return;
    this.running()?.stdin?.write(`-${pgid}\n`);
  }

  /** Ends its input: with nothing left to guard, it exits. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
  }

  private problem(message: string): void {
    this.options.onProblem?.(`the run watchdog ${message}: runs of this process would not be stopped if it were killed`);
  }

  /** The watchdog, started (again) if needed; null once starting it has failed too often. */
  private running(): ChildProcess | null {
    if (this.child || this.closed || this.failures >= MAX_STARTS) return this.child;
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'jobdeck-watchdog', String(Math.max(1, Math.ceil(this.options.graceMs / 1000)))], {
        detached: true,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    } catch (err) {
      this.failures = MAX_STARTS;
      this.problem(`could not start (${(err as Error).message})`);
      return null;
    }
    const lost = (why: string) => {
      if (this.child !== child) return;
      this.child = null;
      if (this.closed) return;
      this.failures += 1;
      this.problem(this.failures >= MAX_STARTS ? `${why}, and is not started again` : `${why}; started again`);
      // A new one is told everything still guarded.
      if (this.failures < MAX_STARTS && this.guarded.size) this.resend();
    };
    child.on('error', (err) => lost(`could not start or stopped (${err.message})`));
    child.stdin?.on('error', (err) => lost(`stopped listening (${err.message})`));
    child.on('exit', (code, signal) => lost(`exited (${signal ?? `exit code ${code}`})`));
    // Neither keeps this process alive: the watchdog waits for this process, not the other way round.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    this.child = child;
    return child;
  }

  private resend(): void {
    const child = this.running();
    if (!child) return;
    for (const [pgid, key] of this.guarded) child.stdin?.write(`+${pgid}/${key}\n`);
  }
}

export class GuardedInlinePort implements ProcessPort {
  onMessages: (msgs: HostMessage[]) => void = () => {};
  private readonly inline: InlinePort;
  private readonly watchdog: Watchdog;
  /** Process groups of the runs that started and are not done. */
  private readonly groups = new Map<number, number>();

  constructor(options: GuardOptions = {}) {
    const { orphanGraceMs, onProblem, ...hostOptions } = options;
    this.watchdog = new Watchdog({ graceMs: orphanGraceMs ?? 2000, onProblem });
    this.inline = new InlinePort(hostOptions);
    this.inline.onMessages = (msgs) => {
      for (const msg of msgs) {
        if (msg.t !== 'settled' && msg.t !== 'failed') continue;
        const pgid = this.groups.get(msg.id);
        this.groups.delete(msg.id);
        if (pgid !== undefined) this.watchdog.release(pgid);
      }
      this.onMessages(msgs);
    };
  }

  /** The watchdog's pid once started (tests). */
  get watchdogPid(): number | undefined {
    return this.watchdog.pid;
  }

  spawn(req: SpawnRequest): void {
    this.watchdog.ready();
    this.inline.spawn(req);
    // Told at once: the process exists now (a job process leads a group of its own, spawned detached).
    const pid = this.inline.pidOf(req.id);
    if (pid === undefined) return;
    this.groups.set(req.id, pid);
    this.watchdog.watch(pid, req.runKey);
  }

  terminate(id: number, graceMs: number): void {
    this.inline.terminate(id, graceMs);
  }

  async shutdown(graceMs: number): Promise<void> {
    await this.inline.shutdown(graceMs);
    this.watchdog.close();
  }
}
