/**
 * A job's page beside its editor: its recent runs (the overview's strip,
 * trend and success rate), kept fresh while the page is open, and the
 * page's actions that are not edits: export and delete.
 */
import { create } from 'zustand';
import type { ExportDocument } from '../../../shared/model/misc';
import type { Run } from '../../../shared/model/run';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';
import { useJobsStore } from './jobsStore';
import { useRouteStore } from './routeStore';
import { toast } from './toastStore';

/** How many of the latest runs the overview draws. */
export const RECENT_RUNS = 30;
const RELOAD_GAP_MS = 1000;

interface State {
  jobId: number | null;
  recent: Run[];
  /** Runs of the job in all (the strip shows the latest). */
  total: number;
  /** `recent` and `total` have been read at least once for this job (not merely the empty start). */
  loaded: boolean;
  error: string | null;
  open(jobId: number): void;
  close(): void;
  load(): Promise<void>;
  /** Runs changed somewhere: read again soon if one of them is this job's. */
  applyRuns(runs: readonly Run[]): void;
  exportJob(): Promise<ExportDocument | null>;
  /** Deletes the job; on success leaves for the job list. The error text otherwise. */
  deleteJob(): Promise<string | null>;
}

let timer: ReturnType<typeof setTimeout> | null = null;
let seq = 0;

export const useJobPageStore = create<State>()((set, get) => ({
  jobId: null,
  recent: [],
  total: 0,
  loaded: false,
  error: null,
  open(jobId) {
    if (get().jobId === jobId) return;
    set({ jobId, recent: [], total: 0, loaded: false, error: null });
    void get().load();
  },
  close() {
    seq++;
    if (timer) clearTimeout(timer);
    timer = null;
    set({ jobId: null, recent: [], total: 0, loaded: false, error: null });
  },
  async load() {
    const { jobId } = get();
    if (jobId === null) return;
    const mine = ++seq;
    try {
      const page = await client().call('runs.list', { jobId, limit: RECENT_RUNS });
      if (mine === seq) set({ recent: page.items, total: page.total, loaded: true, error: null });
    } catch (err) {
      if (mine === seq) set({ error: errorText(err) });
    }
  },
  applyRuns(runs) {
    const { jobId } = get();
    if (jobId === null || timer || !runs.some((r) => r.jobId === jobId)) return;
    timer = setTimeout(() => {
      timer = null;
      void get().load();
    }, RELOAD_GAP_MS);
  },
  async exportJob() {
    const { jobId } = get();
    if (jobId === null) return null;
    try {
      return await client().call('jobs.export', { jobId });
    } catch (err) {
      toast.error(`Export failed: ${errorText(err)}`);
      return null;
    }
  },
  async deleteJob() {
    const { jobId } = get();
    if (jobId === null) return null;
    try {
      const gone = await client().call('jobs.delete', { id: jobId });
      toast.success(`Deleted job "${gone.name}" with ${gone.runs} runs, their logs and ${gone.files} result files`);
      void useJobsStore.getState().load();
      useRouteStore.getState().navigate({ name: 'jobs' });
      return null;
    } catch (err) {
      return errorText(err);
    }
  },
}));
