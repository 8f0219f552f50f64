/**
 * The job list: loaded once (its top at once, then all of it: see loadJobs),
 * kept current by live events, filtered in the console (10,000 jobs filter
 * faster here than through a request each time).
 */
import { create } from 'zustand';
import type { JobSummary, RunStatus } from '../../../shared/model/job';
import type { Run } from '../../../shared/model/run';
import { nextFireAfter } from '../../../shared/schedule';
import { allPages } from '../../../shared/client/pages';
import { JOBS_PAGE_DEFAULT, JOBS_PAGE_MAX } from '../../../shared/contract';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';

export interface JobFilters {
  search: string;
  group: string;
  lastStatus: '' | RunStatus | 'NEVER';
  archived: 'include' | 'exclude' | 'only';
}

interface State {
  jobs: JobSummary[];
  groups: string[];
  loaded: boolean;
  loading: boolean;
  error: string | null;
  filters: JobFilters;
  setFilters(patch: Partial<JobFilters>): void;
  load(): Promise<void>;
  applyJob(jobId: number, job: JobSummary | null): void;
  applyRuns(runs: Run[]): void;
}

/** Names compare without case, as the engine's list does; one collator (localeCompare with options is slow on 10,000 jobs). */
const names = new Intl.Collator(undefined, { sensitivity: 'base' });

/** Next execution first; disabled, then archived, last (the engine's order). */
export function compareJobs(a: JobSummary, b: JobSummary): number {
  if (a.archived !== b.archived) return a.archived ? 1 : -1;
  if (a.enabled !== b.enabled) return a.enabled ? -1 : 1;
  if ((a.nextRunAt === null) !== (b.nextRunAt === null)) return a.nextRunAt === null ? 1 : -1;
  if (a.nextRunAt && b.nextRunAt && a.nextRunAt !== b.nextRunAt) return a.nextRunAt < b.nextRunAt ? -1 : 1;
  return names.compare(a.name, b.name);
}

export const jobsSelectors = {
  /** The jobs the filters let through, in list order. */
  filtered(jobs: JobSummary[], f: JobFilters): JobSummary[] {
    const search = f.search.trim().toLowerCase();
    return jobs.filter((j) => {
      if (search && !j.name.toLowerCase().includes(search)) return false;
      if (f.group && j.group.toLowerCase() !== f.group.toLowerCase()) return false;
      if (f.lastStatus === 'NEVER' && j.lastRun) return false;
      if (f.lastStatus && f.lastStatus !== 'NEVER' && j.lastRun?.status !== f.lastStatus) return false;
      if (f.archived === 'exclude' && j.archived) return false;
      if (f.archived === 'only' && !j.archived) return false;
      return true;
    });
  },
  /** Is a name taken by another job (names compare without case)? */
  nameTaken(jobs: JobSummary[], name: string, exceptId?: number): boolean {
    const n = name.trim().toLowerCase();
    return n !== '' && jobs.some((j) => j.id !== exceptId && j.name.toLowerCase() === n);
  },
};

let inFlight: Promise<void> | null = null;

/** The later of two summaries of a job: the newer revision, and the later last run. */
function newer(loaded: JobSummary, current: JobSummary | undefined): JobSummary {
  if (!current) return loaded;
  const base = current.revision > loaded.revision ? current : loaded;
  const lastRun = (current.lastRun?.id ?? 0) > (loaded.lastRun?.id ?? 0) ? current.lastRun : loaded.lastRun;
  return { ...base, lastRun };
}

/**
 * The top of the list first (one small page in list order, shown at once),
 * then every job, page by page in id order (stable while jobs fire), put in
 * place in one go. Live events that arrived meanwhile are kept.
 */
async function loadJobs(): Promise<void> {
  const set = useJobsStore.setState;
  set({ loading: true });
  try {
    const c = client();
    const groups = c.call('jobs.groups', {});
    const top = await c.call('jobs.list', { order: 'schedule', limit: JOBS_PAGE_DEFAULT });
    if (!useJobsStore.getState().loaded) set({ jobs: top.items });
    // The rest once the screen has drawn what it has: it must not hold up a first paint.
    await new Promise((r) => setTimeout(r, 100));
    const all = top.total > top.items.length ? await allPages((offset, limit) => c.call('jobs.list', { order: 'id', offset, limit }), JOBS_PAGE_MAX) : top.items;
    const current = new Map(useJobsStore.getState().jobs.map((j) => [j.id, j]));
    set({ jobs: all.map((j) => newer(j, current.get(j.id))).sort(compareJobs), groups: await groups, loaded: true, loading: false, error: null });
  } catch (err) {
    set({ loading: false, error: errorText(err) });
  }
}

export const useJobsStore = create<State>()((set, get) => ({
  jobs: [],
  groups: [],
  loaded: false,
  loading: false,
  error: null,
  filters: { search: '', group: '', lastStatus: '', archived: 'include' },

  setFilters(patch) {
    set({ filters: { ...get().filters, ...patch } });
  },

  load() {
    // Screens that mount together ask once.
    inFlight ??= loadJobs().finally(() => {
      inFlight = null;
    });
    return inFlight;
  },
  applyJob(jobId, job) {
    const jobs = get().jobs.filter((j) => j.id !== jobId);
    if (job) jobs.push(job);
    jobs.sort(compareJobs);
    const groups = job && job.group && !get().groups.includes(job.group) ? [...get().groups, job.group].sort() : get().groups;
    set({ jobs, groups });
  },

  applyRuns(runs) {
    if (runs.length === 0) return;
    const byJob = new Map<number, Run>();
    for (const r of runs) {
      const prev = byJob.get(r.jobId);
      if (!prev || r.id >= prev.id) byJob.set(r.jobId, r);
    }
    const now = Date.now();
    let changed = false;
    const jobs = get().jobs.map((j) => {
      const r = byJob.get(j.id);
      if (!r) return j;
      const next = { ...j };
      if (r.status !== 'QUEUED' && (!j.lastRun || r.id >= j.lastRun.id)) {
        next.lastRun = { id: r.id, status: r.status, at: r.finishedAt ?? r.startedAt ?? r.queuedAt };
        changed = true;
      }
      // A scheduled fire moved the job's next run along its schedule.
      if ((r.trigger === 'schedule' || r.trigger === 'catch-up') && r.dueAt && j.enabled && !j.archived) {
        try {
          const at = nextFireAfter(j.schedule, Math.max(now, Date.parse(r.dueAt)), Date.parse(r.dueAt));
          const iso = at === null ? null : new Date(at).toISOString();
          if (iso !== j.nextRunAt && (j.nextRunAt === null || (iso !== null && iso > j.nextRunAt))) {
            next.nextRunAt = iso;
            changed = true;
          }
        } catch {
          /* keep the known value */
        }
      }
      return next;
    });
    if (changed) set({ jobs: jobs.sort(compareJobs) });
  },
}));
