/** Fires a job's overlap policy refused, kept for the nodes that check other nodes' fires (migration 0010-fire-refusals). */
import { all, dynamicSql, run, runRows, sql, type Work } from '../work';

/**
 * How long a refusal is remembered past its due time. Nodes check a fire a
 * third of a lease after it was due (seconds to minutes); an hour leaves room
 * for a node whose checks were held up, at a few hundred thousand small rows
 * for a cluster refusing 100 fires a second.
 */
export const REFUSALS_KEPT_MS = 60 * 60_000;

const ADD = sql(
  'INSERT INTO fire_refusals (due_at, job_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
  'INSERT INTO fire_refusals (due_at, job_id) SELECT * FROM unnest(?::bigint[], ?::bigint[]) ON CONFLICT DO NOTHING',
);
/** Refusals forgotten at a time: a heartbeat's bounded share of the work. */
export const FORGET_AT_ONCE = 5000;
// Nodes prune at their own heartbeats: rows another node is deleting are left to it (SKIP LOCKED), not waited for.
const FORGET = sql(
  `DELETE FROM fire_refusals WHERE (due_at, job_id) IN (SELECT due_at, job_id FROM fire_refusals WHERE due_at < ? ORDER BY due_at LIMIT ${FORGET_AT_ONCE})`,
  `DELETE FROM fire_refusals WHERE (due_at, job_id) IN (SELECT due_at, job_id FROM fire_refusals WHERE due_at < ? ORDER BY due_at LIMIT ${FORGET_AT_ONCE} FOR UPDATE SKIP LOCKED)`,
);

/** `VALUES (job, due), …` for `n` fires, as a FROM list's rows (`column1`, `column2` on both backends); `cast` types PostgreSQL's. */
export const fireValues = (n: number, cast: string): string => `VALUES ${Array.from({ length: n }, () => `(?${cast}, ?${cast})`).join(', ')}`;

/** `job:due` of a fire, as sets of fires are keyed. */
export const fireKey = (jobId: number, dueAt: number): string => `${jobId}:${dueAt}`;

export const fireRefusalsTable = {
  /** Records refusals: one statement for them all on PostgreSQL (a busy cluster refuses many fires a second). */
  *addMany(fires: readonly (readonly [jobId: number, dueAt: number])[]): Work<void> {
    yield* runRows(ADD, fires.map(([jobId, dueAt]) => [dueAt, jobId]));
  },

  /** Which of these fires were refused (keys as fireKey gives them), in one statement. */
  *among(fires: readonly (readonly [jobId: number, dueAt: number])[]): Work<Set<string>> {
    if (fires.length === 0) return new Set();
    const text = (cast: string) =>
      `SELECT x.job_id, x.due_at FROM (${fireValues(fires.length, cast)}) AS f
       JOIN fire_refusals x ON x.due_at = f.column2 AND x.job_id = f.column1`;
    const rows = yield* all<{ job_id: number; due_at: number }>(dynamicSql(text(''), text('::bigint')), ...fires.flat());
    return new Set(rows.map((r) => fireKey(Number(r.job_id), Number(r.due_at))));
  },

  /** Forgets refusals of fires due before `at`, at most FORGET_AT_ONCE of them; answers how many. */
  forgetBefore(at: number): Work<number> {
    return run(FORGET, at);
  },
};
