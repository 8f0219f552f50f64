/** The scheduler bar: counts, paused or not, next fires, locks. */
import { create } from 'zustand';
import type { LockInfo, SchedulerStatus } from '../../../shared/model/misc';
import { errorText } from '../lib/errors';
import { client } from './connectionStore';
import { toast } from './toastStore';

interface State {
  status: SchedulerStatus | null;
  locks: LockInfo[];
  busy: boolean;
  load(): Promise<void>;
  apply(status: SchedulerStatus): void;
  pause(): Promise<void>;
  resume(): Promise<void>;
  restart(): Promise<void>;
  /** The whole server process (under a service manager, which starts it again). */
  restartProcess(): Promise<void>;
  /** `force`: the holder still executes (the user was told, and confirmed). */
  breakLock(name: string, force?: boolean): Promise<void>;
}

export const useSchedulerStore = create<State>()((set, get) => {
  const act = async (fn: () => Promise<SchedulerStatus>, done: string) => {
    set({ busy: true });
    try {
      set({ status: await fn() });
      toast.success(done);
    } catch (err) {
      toast.error(errorText(err));
    } finally {
      set({ busy: false });
    }
  };
  return {
    status: null,
    locks: [],
    busy: false,
    async load() {
      try {
        const c = client();
        const [status, locks] = await Promise.all([c.call('scheduler.status', {}), c.call('locks.list', {})]);
        set({ status, locks });
      } catch (err) {
        toast.error(errorText(err));
      }
    },
    apply(status) {
      set({ status });
    },
    pause: () => act(() => client().call('scheduler.pause', {}), 'Scheduler paused: schedules do not fire'),
    resume: () => act(() => client().call('scheduler.resume', {}), 'Scheduler resumed'),
    restart: () => act(() => client().call('scheduler.restart', {}), 'Scheduler restarted: every job reloaded'),
    restartProcess: () => act(() => client().call('scheduler.restart', { process: true }), 'The server drains and restarts; the console reconnects when it is back'),
    async breakLock(name, force = false) {
      try {
        await client().call('locks.break', { name, ...(force ? { force: true } : {}) });
        toast.success(`Lock ${name} broken`);
        await get().load();
      } catch (err) {
        toast.error(errorText(err));
      }
    },
  };
});
