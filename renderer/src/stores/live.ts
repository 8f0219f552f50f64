/**
 * One live feed for the whole console: run statuses, job changes and
 * scheduler counts, batched so that a busy engine (a hundred runs a second)
 * costs the page a few updates a second.
 */
import type { Run } from '../../../shared/model/run';
import { useConnectionStore } from './connectionStore';
import { useDashboardStore } from './dashboardStore';
import { useJobPageStore } from './jobPageStore';
import { useJobsStore } from './jobsStore';
import { useRunsStore } from './runsStore';
import { useSchedulerStore } from './schedulerStore';

const BATCH_MS = 250;

export function startLiveFeed(): () => void {
  const { client } = useConnectionStore.getState();
  if (!client) return () => {};
  let runs = new Map<number, Run>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    timer = null;
    const batch = [...runs.values()];
    runs = new Map();
    useRunsStore.getState().applyRuns(batch);
    useJobsStore.getState().applyRuns(batch);
    useJobPageStore.getState().applyRuns(batch);
    useDashboardStore.getState().invalidate();
  };
  let reloadOnOpen = false;
  const off = client.subscribe(
    {},
    {
      onEvent: (e) => {
        if (e.type === 'run') {
          runs.set(e.run.id, e.run);
          timer ??= setTimeout(flush, BATCH_MS);
        } else if (e.type === 'job') useJobsStore.getState().applyJob(e.jobId, e.job);
        else if (e.type === 'scheduler') useSchedulerStore.getState().apply(e.status);
      },
      onState: (state, error, retryInMs) => {
        useConnectionStore.getState().setLive(state, error?.message, retryInMs);
        // Back after a drop: what changed meanwhile is read again.
        if (state === 'open' && reloadOnOpen) {
          void useJobsStore.getState().load();
          void useRunsStore.getState().load();
          void useJobPageStore.getState().load();
          void useSchedulerStore.getState().load();
          useDashboardStore.getState().invalidate();
        }
        if (state === 'closed') reloadOnOpen = true;
      },
    },
  );
  return () => {
    off();
    if (timer) clearTimeout(timer);
  };
}
