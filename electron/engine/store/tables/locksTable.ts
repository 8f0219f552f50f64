/** Named locks: jobs that share a lock name never run at the same time. */
import { all, get, run, sql, type Work } from '../work';

export interface LockRow {
  name: string;
  run_id: number;
  job_id: number;
  owner: string;
  acquired_at: number;
  job_name: string;
  run_status: string | null;
}

const SELECT = `SELECT l.*, j.name AS job_name, r.status AS run_status FROM locks l
  JOIN jobs j ON j.id = l.job_id LEFT JOIN runs r ON r.id = l.run_id`;
const ACQUIRE = sql('INSERT INTO locks (name, run_id, job_id, owner, acquired_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING');
const RELEASE = sql('DELETE FROM locks WHERE name = ? AND run_id = ?');
// Byte order on both backends (SQLite's BINARY, PostgreSQL's "C").
const LIST = sql(`${SELECT} ORDER BY l.name`, `${SELECT} ORDER BY l.name COLLATE "C"`);
const GET = sql(`${SELECT} WHERE l.name = ?`);
const BREAK = sql('DELETE FROM locks WHERE name = ?');

export const locksTable = {
  /** Takes the lock for a run; false when someone else holds it. */
  *acquire(name: string, runId: number, jobId: number, owner: string, at: number): Work<boolean> {
    return (yield* run(ACQUIRE, name, runId, jobId, owner, at)) === 1;
  },

  *release(name: string, runId: number): Work<void> {
    yield* run(RELEASE, name, runId);
  },

  list(): Work<LockRow[]> {
    return all<LockRow>(LIST);
  },

  get(name: string): Work<LockRow | undefined> {
    return get<LockRow>(GET, name);
  },

  *break(name: string): Work<boolean> {
    return (yield* run(BREAK, name)) === 1;
  },
};
