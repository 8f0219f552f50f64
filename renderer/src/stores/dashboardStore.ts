/**
 * The dashboard's figures: read when the page opens, and again (at most every
 * two seconds) while it is shown and runs change, so a busy engine costs it a
 * read every two seconds, not one per run.
 */
import { create } from 'zustand';
import type { Dashboard } from '../../../shared/model/dashboard';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';

const MIN_GAP_MS = 2000;

interface State {
  data: Dashboard | null;
  error: string | null;
  /** How many dashboards are on screen (0: changes are not read). */
  shown: number;
  load(): Promise<void>;
  /** Something changed: read again soon, if shown. */
  invalidate(): void;
  show(): () => void;
}

let timer: ReturnType<typeof setTimeout> | null = null;
let lastLoad = 0;

export const useDashboardStore = create<State>()((set, get) => ({
  data: null,
  error: null,
  shown: 0,
  async load() {
    lastLoad = Date.now();
    try {
      set({ data: await client().call('stats.dashboard', {}), error: null });
    } catch (err) {
      set({ error: errorText(err) });
    }
  },
  invalidate() {
    if (get().shown === 0 || timer) return;
    timer = setTimeout(
      () => {
        timer = null;
        if (get().shown > 0) void get().load();
      },
      Math.max(0, lastLoad + MIN_GAP_MS - Date.now()),
    );
  },
  show() {
    set({ shown: get().shown + 1 });
    void get().load();
    return () => set({ shown: Math.max(0, get().shown - 1) });
  },
}));
