/** The runs screen: filters, paging, and live status and progress of the rows shown. */
import { create } from 'zustand';
import type { RunStatus } from '../../../shared/model/job';
import { laterRunState, type Run } from '../../../shared/model/run';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';

export interface RunFilters {
  jobId: number | null;
  statuses: RunStatus[];
  /** datetime-local values ('' for none), read in the browser's time zone. */
  from: string;
  to: string;
}

interface State {
  filters: RunFilters;
  page: number;
  pageSize: number;
  items: Run[];
  total: number;
  loading: boolean;
  error: string | null;
  setFilters(patch: Partial<RunFilters>): Promise<void>;
  setPage(page: number): Promise<void>;
  load(): Promise<void>;
  applyRuns(runs: Run[]): void;
}

const toIso = (local: string): string | undefined => (local ? new Date(local).toISOString() : undefined);

/** Does a run belong in a list with these filters? */
export function runMatches(run: Run, f: RunFilters): boolean {
  if (f.jobId !== null && run.jobId !== f.jobId) return false;
  if (f.statuses.length && !f.statuses.includes(run.status)) return false;
  if (f.from && run.queuedAt < toIso(f.from)!) return false;
  if (f.to && run.queuedAt >= toIso(f.to)!) return false;
  return true;
}

let loadSeq = 0;

export const useRunsStore = create<State>()((set, get) => ({
  filters: { jobId: null, statuses: [], from: '', to: '' },
  page: 0,
  pageSize: 50,
  items: [],
  total: 0,
  loading: false,
  error: null,

  async setFilters(patch) {
    set({ filters: { ...get().filters, ...patch }, page: 0 });
    await get().load();
  },

  async setPage(page) {
    set({ page: Math.max(0, page) });
    await get().load();
  },

  async load() {
    const { filters, page, pageSize } = get();
    const seq = ++loadSeq;
    set({ loading: true });
    try {
      const result = await client().call('runs.list', {
        jobId: filters.jobId ?? undefined,
        status: filters.statuses.length ? filters.statuses : undefined,
        from: toIso(filters.from),
        to: toIso(filters.to),
        limit: pageSize,
        offset: page * pageSize,
      });
      if (seq !== loadSeq) return; // a newer request is under way
      set({ items: result.items, total: result.total, loading: false, error: null });
    } catch (err) {
      if (seq === loadSeq) set({ loading: false, error: errorText(err) });
    }
  },

  applyRuns(runs) {
    const { items, filters, page, pageSize } = get();
    let next = items;
    let added = 0;
    for (const run of runs) {
      const i = next.findIndex((r) => r.id === run.id);
      if (i >= 0) {
        if (next === items) next = [...items];
        next[i] = laterRunState(next[i], run);
      } else if (page === 0 && runMatches(run, filters) && (next.length === 0 || run.id > next[0]!.id)) {
        next = [run, ...next];
        added += 1;
      }
    }
    if (next !== items) set({ items: next.slice(0, pageSize), total: get().total + added });
  },
}));
