/**
 * A check that many events ask for (each run's end asks whether dependents
 * or notifications are due), run at most once at a time: a call made while
 * one runs is answered by a single further run that starts after it, shared
 * by every call made meanwhile. Each caller still gets a run that started
 * after its call, so nothing it caused is missed; a burst of run ends costs
 * two checks instead of one each (on PostgreSQL, a round trip or two each).
 */
export function coalesced(check: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const current: Promise<void> = check().finally(() => {
      if (running === current) running = null;
    });
    running = current;
    return current;
  };
  return () => {
    // A queued run starts after this call (also between a run's end and the queued one's start).
    if (queued) return queued;
    if (!running) return start();
    queued = running
      .catch(() => {})
      .then(() => {
        queued = null;
        return start();
      });
    return queued;
  };
}
