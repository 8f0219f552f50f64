/**
 * `jobdeck/react`: live progress of Jobdeck jobs inside any React app.
 *
 *   <Jobify jobId={3} server={{ url, token }} progression={(s) => …} component={() => …} />
 *
 * React is a peer dependency; nothing else is needed (no state library).
 */
export { Jobify, type JobifyProps } from './Jobify';
export { Progress, defaultProgression } from './Progress';
export { useJobProgress, type JobProgressOptions } from './useJobProgress';
export type { JobdeckServer, JobifyOutcome, JobifyRun, JobifyState, JobifyTask, SeedTaskStatus } from './types';
