/** Runs' logs in the store: pages, search, size and tail (both backends; lines are written by the runs' intents). */
import { logsTable } from './tables/logsTable';
import type { Performed, StorePart, Work } from './work';

const logReads = {
  /** Lines after a sequence number: at most `limit`, and about `maxBytes` of text. */
  page: logsTable.page,
  search: logsTable.search,
  /** Bytes of text a run's log holds (a re-run's budget counts its earlier rounds). */
  bytes: logsTable.bytes,
  /** The texts of a run's last `n` lines (each cut at 500 characters: notifications quote them). */
  *tail(runId: number, n: number): Work<string[]> {
    return (yield* logsTable.tail(runId, n)).map((t) => (t.length > 500 ? `${t.slice(0, 500)}…` : t));
  },
};

export const logsPart: StorePart<typeof logReads, Record<string, never>> = { reads: logReads, writes: {} };

export type LogsStore = Performed<typeof logReads>;
