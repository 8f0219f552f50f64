/**
 * Run folders made ahead of time, in a launcher's idle moments. Making a
 * folder allocates an inode, which cost 0.25-0.4 ms of CPU a folder on the
 * virtual ext4 disks of our machines (a run folder and its output/: two),
 * against 0.03 ms to rename one into place: in a burst of runs due at once,
 * the launchers spent about a third of their time in mkdir. So a launcher
 * keeps spare run folders, each holding an empty output/, in a folder of its
 * own (`runs/.spares/PID-N`), and a run's folder is a spare renamed into
 * place; without a spare it is made as before.
 *
 * Spares are made only once the launcher has started nothing for IDLE_MS
 * (a steady stream of runs makes its folders as it goes: spares would cost
 * the same CPU, only earlier), one per turn of the event loop, up to the
 * number of runs started in the last WINDOW_MS (at most `max`). Closing
 * removes the launcher's spares; those of a launcher that died are removed
 * by the next one to start in that data folder.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT_FOLDER } from '../paths';
import { signalProcess } from './processTree';

const IDLE_MS = 20;
const WINDOW_MS = 2000;

export class SpareFolders {
  /** `runs/.spares/PID-N` once the first run told us the data folder. */
  private root: string | null = null;
  private readonly ready: string[] = [];
  private made = 0;
  private readonly starts: number[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private filling: NodeJS.Immediate | null = null;
  private closed = false;

  constructor(
    /** Most spares kept (0: none are made). */
    private readonly max: number,
    private readonly now: () => number = Date.now,
  ) {}

  get count(): number {
    return this.ready.length;
  }

  /**
   * A run folder is about to be made under `sparesDir`'s data folder: true
   * when a spare can be taken for it (take). Called for every run folder made,
   * so the pool follows demand.
   */
  starting(sparesDir: string): boolean {
    if (this.closed || this.max <= 0) return false;
    this.noteStart(sparesDir);
    return this.ready.length > 0;
  }

  /** Puts a spare in place as `dir`; false when none could be moved (the caller makes the folder). */
  take(dir: string): boolean {
    for (;;) {
      const spare = this.ready.pop();
      if (spare === undefined) return false;
      try {
        renameSync(spare, dir);
        return true;
      } catch {
        // Gone or unusable (removed by hand, another disk): drop it, try the next.
        rmSync(spare, { recursive: true, force: true });
      }
    }
  }

  /** Removes this launcher's spares (shutdown). */
  close(): void {
    this.closed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.filling) clearImmediate(this.filling);
    this.ready.length = 0;
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }

  private noteStart(sparesDir: string): void {
    const at = this.now();
    this.starts.push(at);
    while (this.starts.length > 0 && this.starts[0]! < at - WINDOW_MS) this.starts.shift();
    if (this.root === null) this.open(sparesDir);
    if (this.filling) {
      clearImmediate(this.filling);
      this.filling = null;
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      this.fill();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** Takes a folder of its own under sparesDir, and removes those of launchers no longer running. */
  private open(sparesDir: string): void {
    this.root = join(sparesDir, `${process.pid}-${Date.now().toString(36)}`);
    let names: string[] = [];
    try {
      names = readdirSync(sparesDir);
    } catch {
      // None yet.
    }
    for (const name of names) {
      const pid = Number(name.split('-')[0]);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !signalProcess(pid, 0)) rmSync(join(sparesDir, name), { recursive: true, force: true });
    }
  }

  /** Makes one spare per turn until the pool holds as many as runs started lately. */
  private fill(): void {
    this.filling = null;
    if (this.closed || this.root === null) return;
    const recent = this.starts.filter((t) => t >= this.now() - WINDOW_MS).length;
    if (this.ready.length >= Math.min(this.max, recent)) return;
    const spare = join(this.root, String(++this.made));
    try {
      if (!existsSync(this.root)) mkdirSync(this.root, { recursive: true });
      mkdirSync(spare);
      mkdirSync(join(spare, OUTPUT_FOLDER));
      this.ready.push(spare);
    } catch {
      // A full or read-only disk: runs make their folders as they start (and say so if they cannot).
      return;
    }
    // Not unref'd: an unref'd immediate waits for the event loop's next wake-up (a message, a timer), not its next turn.
    this.filling = setImmediate(() => this.fill());
  }
}
