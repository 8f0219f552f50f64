/** The Nodes screen: the processes serving the store, read while the screen is open, drained and undrained. */
import { create } from 'zustand';
import type { NodeInfo } from '../../../shared/model/misc';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';
import { toast } from './toastStore';

/** Heartbeats come every 10 s: reading every 5 s shows a late node within a few seconds of it. */
const REFRESH_MS = 5000;

interface State {
  nodes: NodeInfo[];
  loaded: boolean;
  error: string | null;
  /** The node whose drain or undrain is on its way. */
  busy: string | null;
  load(): Promise<void>;
  /** Reads now and every few seconds until the returned function is called. */
  follow(): () => void;
  setDraining(id: string, draining: boolean): Promise<void>;
}

let loadSeq = 0;

export const useNodesStore = create<State>()((set, get) => ({
  nodes: [],
  loaded: false,
  error: null,
  busy: null,
  async load() {
    const mine = ++loadSeq;
    try {
      const nodes = await client().call('nodes.list', {});
      if (mine === loadSeq) set({ nodes, loaded: true, error: null });
    } catch (err) {
      if (mine === loadSeq) set({ loaded: true, error: errorText(err) });
    }
  },
  follow() {
    void get().load();
    const timer = setInterval(() => void get().load(), REFRESH_MS);
    return () => clearInterval(timer);
  },
  async setDraining(id, draining) {
    set({ busy: id });
    try {
      const node = await client().call(draining ? 'nodes.drain' : 'nodes.undrain', { id });
      set({ nodes: get().nodes.map((n) => (n.id === id ? node : n)) });
      toast.success(draining ? `Node ${id} starts no queued run now; runs in progress go on.` : `Node ${id} starts queued runs again.`);
    } catch (err) {
      toast.error(errorText(err));
    } finally {
      set({ busy: null });
      void get().load();
    }
  },
}));
