/**
 * `<Jobify>`: shows `component()` normally and swaps in
 * `progression(state)` while a run of the job is queued or in progress (the
 * workflow library's idea: replace the view of a thing by its progress only
 * while a job works on it, with no extra page and no state library).
 */
import type { ReactNode } from 'react';
import { defaultProgression } from './Progress';
import type { JobdeckServer, JobifyOutcome, JobifyState } from './types';
import { useJobProgress } from './useJobProgress';

export interface JobifyProps {
  /** The job to follow (its id on the server); null or undefined: always the component. */
  jobId: number | null | undefined;
  /** The Jobdeck server and the API token to use. */
  server: JobdeckServer;
  /** What to show while a run is queued or in progress (default: a small progress view). */
  progression?: (state: JobifyState) => ReactNode;
  /** What to show otherwise. */
  component: () => ReactNode;
  /** A run that was shown has finished. */
  onDone?: (outcome: JobifyOutcome) => void;
  /** The server cannot be reached, refuses the token, or does not know the job (the component stays shown). */
  onError?: (message: string) => void;
}

export function Jobify({ jobId, server, progression = defaultProgression, component, onDone, onError }: JobifyProps) {
  const state = useJobProgress(jobId, server, { onDone, onError });
  return <>{state ? progression(state) : component()}</>;
}
