/**
 * Which engine this window talks to: the desktop app's bridge when it is
 * there (local engine or a remote profile, chosen in the main process), else
 * the server that served this page (web console, session cookie).
 */
import type { JobdeckClient } from '../../../shared/client/client';
import { createHttpClient } from '../../../shared/client/httpClient';
import { JobdeckError, isErrorData } from '../../../shared/errors';
import type { JobdeckBridge } from '../../../shared/ipc';
import { createIpcClient } from './ipcClient';

declare global {
  interface Window {
    jobdeck?: JobdeckBridge;
  }
}

export const isDesktop = (): boolean => typeof window !== 'undefined' && window.jobdeck !== undefined;

export function createClient(): JobdeckClient {
  if (window.jobdeck) return createIpcClient(window.jobdeck);
  return createHttpClient({ baseUrl: '' });
}

/** Web console sign-in: the server checks the token and keeps it in an HttpOnly cookie. */
/** Starts a console session with an API token, or with the secret of a one-time sign-in link. */
export async function signInWeb(token: string, kind: 'token' | 'link' = 'token'): Promise<{ name: string; role: string }> {
  let res: Response;
  try {
    res = await fetch('/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(kind === 'link' ? { link: token } : { token }),
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new JobdeckError('UNAVAILABLE', `cannot reach the server: ${(err as Error).message}`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw JobdeckError.fromData(isErrorData(body) ? body : { code: 'INTERNAL', message: `sign-in failed (${res.status})` });
  return body as { name: string; role: string };
}

export async function signOutWeb(): Promise<void> {
  await fetch('/api/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
}
