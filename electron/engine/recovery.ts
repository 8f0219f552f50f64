/**
 * Crash recovery: runs left QUEUED or IN_PROGRESS by a process that is gone
 * are marked FAILED with error `interrupted`, keeping their logs, and the
 * locks they held are released. Runs of live processes (a CLI run beside
 * `serve`) are left alone.
 */
import { InstanceLock } from './ownership';
import type { RunRow } from './store/rows';
import type { Store } from './store/store';

export function recoverDeadOwners(store: Store, dataDir: string, me: string, now: number, nativeBinding?: string): RunRow[] {
  const recovered: RunRow[] = [];
  for (const owner of store.runs.unfinishedOwners()) {
    if (owner === me || InstanceLock.isAlive(dataDir, owner, nativeBinding)) continue;
    const rows = store.runs.unfinished(owner);
    store.tx(() => {
      for (const row of rows) {
        const seq = store.logs.maxSeq(row.id) + 1;
        const text =
          row.status === 'IN_PROGRESS'
            ? 'Interrupted: the Jobdeck process running this run stopped before it finished'
            : 'Interrupted: the Jobdeck process that queued this run stopped before it started';
        store.logs.insertMany([{ runId: row.id, seq, ts: now, stream: 0, text }]);
        store.runs.finish(row.id, {
          status: 'FAILED',
          finishedAt: now,
          exitCode: null,
          signal: null,
          error: 'interrupted',
          lastSeq: seq,
          resultFile: null,
        });
        store.jobs.setLastRun(row.job_id, row.id, 'FAILED', now);
      }
      for (const lock of store.locks.list()) {
        if (lock.owner === owner) store.locks.break(lock.name);
      }
    });
    InstanceLock.forget(dataDir, owner);
    recovered.push(...rows);
  }
  // Locks whose holder is gone, whatever became of its run.
  for (const lock of store.locks.list()) {
    if (lock.owner !== me && !InstanceLock.isAlive(dataDir, lock.owner, nativeBinding)) store.locks.break(lock.name);
  }
  return recovered;
}
