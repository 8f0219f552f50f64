/** The audit log screen, of every job or (a job page's Audit tab) of one. */
import { create } from 'zustand';
import type { AuditEntry } from '../../../shared/model/misc';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';

interface State {
  items: AuditEntry[];
  total: number;
  page: number;
  pageSize: number;
  actor: string;
  /** Entries about this job and its runs only; null for all. */
  jobId: number | null;
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  /** Show one job's entries (null: all), from the first page. */
  setJob(jobId: number | null): Promise<void>;
  setPage(page: number): Promise<void>;
  setActor(actor: string): Promise<void>;
}

/** Bumped by every read: an answer to an older one (another job, page or filter) is dropped. */
let loadSeq = 0;

export const useAuditStore = create<State>()((set, get) => ({
  items: [],
  total: 0,
  page: 0,
  pageSize: 100,
  actor: '',
  jobId: null,
  loading: false,
  error: null,
  async load() {
    const { page, pageSize, actor, jobId } = get();
    const mine = ++loadSeq;
    set({ loading: true });
    try {
      const result = await client().call('audit.list', { actor: actor.trim() || undefined, jobId: jobId ?? undefined, limit: pageSize, offset: page * pageSize });
      if (mine === loadSeq) set({ items: result.items, total: result.total, loading: false, error: null });
    } catch (err) {
      if (mine === loadSeq) set({ loading: false, error: errorText(err) });
    }
  },
  async setJob(jobId) {
    set({ jobId, page: 0, items: [], total: 0 });
    await get().load();
  },
  async setPage(page) {
    set({ page: Math.max(0, page) });
    await get().load();
  },
  async setActor(actor) {
    set({ actor, page: 0 });
    await get().load();
  },
}));
