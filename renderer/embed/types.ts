/**
 * The public types of `jobdeck/react`. Self-contained on purpose: a host app
 * compiles against these without Jobdeck's own schemas or zod.
 */

/** Where the Jobdeck server is, and the API token to use (sent as a bearer, never as a cookie). */
export interface JobdeckServer {
  /** The server's origin, e.g. `https://jobs.example.com` or `http://127.0.0.1:7070`. */
  url: string;
  /** An API token (`jd_…`) of a user with at least the viewer role. */
  token: string;
}

/** The workflow library's status words: inactive (pending or skipped), queued (queued or running), ok, failed (failed or cancelled). */
export type SeedTaskStatus = 'inactive' | 'queued' | 'ok' | 'failed';

/** One task of a workflow run, as the workflow library's clients see it. */
export interface JobifyTask {
  /** Its path: `#`, then the names from the top down (`#.load.eu`). */
  path: string;
  /** Its name (the last part of the path). */
  name: string;
  /** Its parent's path; null for a top-level task. */
  parent: string | null;
  /** 1 for a top-level task, 2 for its subtasks, and so on. */
  depth: number;
  status: SeedTaskStatus;
  /** When it started (ms since the epoch), null before. */
  executionTime: number | null;
  /** Its result as JSON text once ok; `{"error","failure","result"}` once failed; null before. */
  body: string | null;
}

/** The run a progression shows: queued or in progress. */
export interface JobifyRun {
  id: number;
  jobId: number;
  jobName: string;
  status: 'QUEUED' | 'IN_PROGRESS';
  /** Where an in-progress run is: STARTING, RUNNING, FINISHING (null while queued). */
  phase: 'STARTING' | 'RUNNING' | 'FINISHING' | null;
  queuedAt: string;
  startedAt: string | null;
  attempt: number;
  /** How many times a workflow run was re-run in place (0: its first round). */
  round: number;
  /** Number of tasks of a workflow run once it started; null for a script run. */
  tasks: number | null;
}

/** How a finished run ended (given to onDone). */
export interface JobifyOutcome {
  id: number;
  jobId: number;
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error: string | null;
  finishedAt: string | null;
}

/** What `progression(state)` is given while a run of the job is queued or in progress. */
export interface JobifyState {
  jobId: number;
  run: JobifyRun;
  status: JobifyRun['status'];
  /** 0–100 as the run reports it (a workflow: tasks done out of all); null before any report. */
  percent: number | null;
  /** The run's progress message ("3 of 6 tasks done"), else "Waiting to start" or "Running". */
  message: string;
  /** A workflow run's tasks in tree order (null for a script run, or before its tasks are known). */
  tasks: JobifyTask[] | null;
  /** The live connection: `open`, or `connecting`/`closed` while it reconnects (what is shown may be stale). */
  connection: 'connecting' | 'open' | 'closed';
}
