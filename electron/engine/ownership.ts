/**
 * Who owns what in a data folder, held with OS file locks so that a process
 * that dies (even by kill -9) lets go at once.
 *
 * Each engine instance holds `instances/<id>.lock`; runs record the id of the
 * instance executing them, so recovery can tell runs of a live process (a CLI
 * run beside `serve`) from runs of a dead one. The scheduler holds
 * `scheduler.lock`: only one process fires schedules from a folder.
 *
 * A lock is an SQLite file kept in an open exclusive transaction: SQLite's
 * own portable file locking (fcntl on POSIX, LockFileEx on Windows).
 */
import { openSqlite } from './store/sqliteDriver';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface FileLock {
  release(): void;
}

export interface OwnerInfo {
  pid: number;
  host: string;
  kind: string;
  since: string;
  instance: string;
}

function tryLock(file: string, nativeBinding?: string): FileLock | null {
  const db = openSqlite(file, { timeout: 0, ...(nativeBinding ? { nativeBinding } : {}) });
  try {
    db.pragma('journal_mode = DELETE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return null;
    throw err;
  }
  return {
    release() {
      if (db.open) {
        try {
          db.exec('ROLLBACK');
        } catch {
          /* already ended */
        }
        db.close();
      }
    },
  };
}

/** Who this engine is among the processes sharing its store: an id, given up on close. */
export interface Instance {
  readonly id: string;
  release(): void;
}

/**
 * An engine whose store is in its own memory shares it with nobody: an id
 * is enough, no lock file is made (nor removed: 2-3 ms of `jobdeck run FILE`).
 */
export function unsharedInstance(): Instance {
  return { id: `${process.pid.toString(36)}-${randomBytes(5).toString('hex')}`, release: () => undefined };
}

export class InstanceLock implements Instance {
  readonly id: string;
  private readonly lock: FileLock;
  private readonly file: string;

  constructor(
    private readonly dataDir: string,
    private readonly nativeBinding?: string,
  ) {
    mkdirSync(join(dataDir, 'instances'), { recursive: true });
    this.id = `${process.pid.toString(36)}-${randomBytes(5).toString('hex')}`;
    this.file = join(dataDir, 'instances', `${this.id}.lock`);
    const lock = tryLock(this.file, nativeBinding);
    if (!lock) throw new Error(`could not lock ${this.file}`);
    this.lock = lock;
  }

  /** Is the instance with this id still running? (false once its process is gone) */
  static isAlive(dataDir: string, id: string, nativeBinding?: string): boolean {
    const file = join(dataDir, 'instances', `${id}.lock`);
    if (!existsSync(file)) return false;
    const probe = tryLock(file, nativeBinding);
    if (!probe) return true;
    probe.release();
    return false;
  }

  /** Removes the lock file of a dead instance. */
  static forget(dataDir: string, id: string): void {
    for (const suffix of ['', '-journal']) rmSync(join(dataDir, 'instances', `${id}.lock${suffix}`), { force: true });
  }

  release(): void {
    this.lock.release();
    InstanceLock.forget(this.dataDir, this.id);
  }
}

export class SchedulerLock {
  private constructor(
    private readonly lock: FileLock,
    private readonly infoFile: string,
  ) {}

  /** Takes the folder's scheduler lock, or returns who holds it. */
  static acquire(dataDir: string, info: Omit<OwnerInfo, 'host' | 'pid' | 'since'>, nativeBinding?: string): SchedulerLock | OwnerInfo {
    const file = join(dataDir, 'scheduler.lock');
    const infoFile = join(dataDir, 'scheduler.owner.json');
    const lock = tryLock(file, nativeBinding);
    if (!lock) return SchedulerLock.owner(dataDir) ?? { pid: 0, host: 'unknown', kind: 'unknown', since: '', instance: '' };
    const full: OwnerInfo = { ...info, pid: process.pid, host: hostname(), since: new Date().toISOString() };
    writeFileSync(infoFile, JSON.stringify(full, null, 2));
    return new SchedulerLock(lock, infoFile);
  }

  static owner(dataDir: string): OwnerInfo | null {
    try {
      return JSON.parse(readFileSync(join(dataDir, 'scheduler.owner.json'), 'utf8')) as OwnerInfo;
    } catch {
      return null;
    }
  }

  release(): void {
    rmSync(this.infoFile, { force: true });
    this.lock.release();
  }
}

export const describeOwner = (o: OwnerInfo): string =>
  `${o.kind} (pid ${o.pid} on ${o.host}${o.since ? `, since ${o.since}` : ''})`;
