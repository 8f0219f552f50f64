/**
 * Job processes spawned from this process (no launcher to boot), guarded by
 * a watchdog: a small `sh` that outlives this process. It is told each run's
 * process group as the run starts and as it is done; when this process ends
 * (its pipe to the watchdog closes, even after a kill -9), the watchdog
 * sends SIGTERM to the groups still listed and SIGKILL after a grace period.
 *
 * For a command that runs one job in the foreground (`jobdeck run`), a
 * launcher is a second Node start on the way to the run's first line (about
 * 0.15 s, competing for the same cores as the command's own start); a shell
 * starts in a few milliseconds. Where there is no POSIX shell (Windows),
 * the engine uses a launcher instead (wiring.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { HostMessage, HostOptions, SpawnRequest } from './launcherProtocol';
import { InlinePort, type ProcessPort } from './processPort';

/**
 * $1: the grace period in seconds. Lines read: "+PGID" a group to guard,
 * "-PGID" a group done. Signals from a terminal do not stop it (it is in a
 * session of its own anyway); only the end of its input does.
 */
const WATCHDOG_SCRIPT = `trap '' INT TERM HUP
g=' '
while IFS= read -r l; do
  case $l in
    +*) g="$g\${l#+} " ;;
    -*) p=\${l#-}; case $g in *" $p "*) g="\${g%%" $p "*} \${g#*" $p "}" ;; esac ;;
  esac
done
[ -z "\${g# }" ] && exit 0
for p in $g; do kill -TERM -"$p" 2>/dev/null; done
sleep "$1"
for p in $g; do kill -KILL -"$p" 2>/dev/null; done
exit 0`;

export interface GuardOptions extends HostOptions {
  /** Told when the watchdog cannot be started or died (runs then go on unguarded). */
  onProblem?: (message: string) => void;
}

export class Watchdog {
  private child: ChildProcess | null = null;
  private broken = false;
  private closed = false;

  constructor(private readonly options: { graceMs: number; onProblem?: (message: string) => void }) {}

  /** The watchdog's pid (tests). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private say(line: string): void {
    if (this.broken) return;
    if (!this.child) this.child = this.start();
    this.child.stdin?.write(`${line}\n`);
  }

  private start(): ChildProcess {
    const child = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'jobdeck-watchdog', String(this.options.graceMs / 1000)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    const fail = (why: string) => {
      if (this.broken) return;
      this.broken = true;
      this.options.onProblem?.(`the run watchdog ${why}: runs of this process are not stopped if it is killed`);
    };
    child.on('error', (err) => fail(`could not start (${err.message})`));
    child.stdin?.on('error', (err) => fail(`stopped listening (${err.message})`));
    child.on('exit', (code, signal) => {
      if (!this.closed) fail(`exited (${signal ?? `exit code ${code}`})`);
    });
    // Neither keeps this process alive: the watchdog waits for this process, not the other way round.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return child;
  }

  watch(pgid: number): void {
    this.say(`+${pgid}`);
  }

  release(pgid: number): void {
    if (this.child) this.say(`-${pgid}`);
  }

  /** Ends its input: with nothing left to guard, it exits. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
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
        if (msg.t === 'spawned') {
          // A job process leads a process group of its own (spawned detached): its pid is the group's id.
          this.groups.set(msg.id, msg.pid);
          this.watchdog.watch(msg.pid);
        } else if (msg.t === 'settled' || msg.t === 'failed') {
          const pgid = this.groups.get(msg.id);
          this.groups.delete(msg.id);
          if (pgid !== undefined) this.watchdog.release(pgid);
        }
      }
      this.onMessages(msgs);
    };
  }

  /** The watchdog's pid once started (tests). */
  get watchdogPid(): number | undefined {
    return this.watchdog.pid;
  }

  spawn(req: SpawnRequest): void {
    this.inline.spawn(req);
  }

  terminate(id: number, graceMs: number): void {
    this.inline.terminate(id, graceMs);
  }

  async shutdown(graceMs: number): Promise<void> {
    await this.inline.shutdown(graceMs);
    this.watchdog.close();
  }
}
