/**
 * The progress of a job's current run, as React state: null while none of
 * its runs is queued or in progress (or jobId is null), else what
 * `progression(state)` is given. One connection per server and token is
 * shared by every component of the page.
 */
import { useEffect, useRef, useState } from 'react';
import { acquireSocket } from './connections';
import { JobTracker } from './jobTracker';
import type { JobdeckServer, JobifyOutcome, JobifyState } from './types';

export interface JobProgressOptions {
  /** A run that was shown has finished (how it ended): a good moment to read your own data again. */
  onDone?: (outcome: JobifyOutcome) => void;
  /** Something went wrong (the server cannot be reached, refuses the token, does not know the job). */
  onError?: (message: string) => void;
}

export function useJobProgress(jobId: number | null | undefined, server: JobdeckServer, options: JobProgressOptions = {}): JobifyState | null {
  const [state, setState] = useState<JobifyState | null>(null);
  const callbacks = useRef(options);
  callbacks.current = options;
  const { url, token } = server;

  useEffect(() => {
    if (jobId === null || jobId === undefined) return;
    const target = { url, token };
    const { socket, release } = acquireSocket(target);
    const tracker = new JobTracker(socket, target, jobId, {
      onState: setState,
      onDone: (outcome) => callbacks.current.onDone?.(outcome),
      onError: (message) => callbacks.current.onError?.(message),
    });
    tracker.start();
    return () => {
      tracker.stop();
      release();
      setState(null);
    };
  }, [jobId, url, token]);

  return jobId === null || jobId === undefined ? null : state;
}
