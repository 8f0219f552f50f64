/** The audit log screen. */
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
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  setPage(page: number): Promise<void>;
  setActor(actor: string): Promise<void>;
}

export const useAuditStore = create<State>()((set, get) => ({
  items: [],
  total: 0,
  page: 0,
  pageSize: 100,
  actor: '',
  loading: false,
  error: null,
  async load() {
    const { page, pageSize, actor } = get();
    set({ loading: true });
    try {
      const result = await client().call('audit.list', { actor: actor.trim() || undefined, limit: pageSize, offset: page * pageSize });
      set({ items: result.items, total: result.total, loading: false, error: null });
    } catch (err) {
      set({ loading: false, error: errorText(err) });
    }
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
