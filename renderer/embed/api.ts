/**
 * The few HTTP calls the embeddable component makes, as plain fetches with
 * the token as a bearer and no cookies (the page is on another origin: the
 * server must allow it, see the README).
 */
import type { Run } from '../../shared/model/run';
import type { JobdeckServer } from './types';

export class JobdeckRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

async function get<T>(server: JobdeckServer, path: string, signal?: AbortSignal): Promise<T> {
  const url = `${server.url.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', authorization: `Bearer ${server.token}` }, credentials: 'omit', mode: 'cors', signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new JobdeckRequestError(`cannot reach ${server.url} (is it up, and does it allow requests from ${typeof location === 'undefined' ? 'this page' : location.origin}?)`, 0, 'UNAVAILABLE');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (body ?? {}) as { code?: string; message?: string };
    throw new JobdeckRequestError(e.message ?? `${res.status} from ${server.url}`, res.status, e.code ?? 'INTERNAL');
  }
  return body as T;
}

/** The job's runs that are queued or in progress, newest first. */
export async function activeRuns(server: JobdeckServer, jobId: number, signal?: AbortSignal): Promise<Run[]> {
  const page = await get<{ items: Run[] }>(server, `/api/runs?jobId=${encodeURIComponent(String(jobId))}&status=QUEUED,IN_PROGRESS&limit=20`, signal);
  return page.items;
}

/** One run (to learn how a run that ended while the connection was down ended). */
export function getRun(server: JobdeckServer, id: number, signal?: AbortSignal): Promise<Run> {
  return get<Run>(server, `/api/runs/${id}`, signal);
}

/** A workflow run's tasks in tree order (only their places are used: live statuses come from the watch). */
export async function taskPaths(server: JobdeckServer, id: number, signal?: AbortSignal): Promise<string[]> {
  const tasks = await get<{ path: string }[]>(server, `/api/runs/${id}/tasks`, signal);
  return tasks.map((t) => t.path);
}

/** Null when the server takes the token; else why not (it is wrong, expired or revoked). Other failures throw. */
export async function tokenRefusal(server: JobdeckServer): Promise<string | null> {
  try {
    await get<unknown>(server, '/api/whoami');
    return null;
  } catch (err) {
    if (err instanceof JobdeckRequestError && err.status === 401) return err.message;
    throw err;
  }
}
