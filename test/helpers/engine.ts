import { afterEach } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import type { CallContext } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import { Engine, type EngineOptions } from '../../electron/engine/engine';
import { createLocalClient } from '../../electron/engine/localClient';
import { tempDir } from './temp';

const open: Engine[] = [];

export const ADMIN: CallContext = { actor: 'tester', role: 'superadmin' };

/** An engine on a fresh data folder (closed after the test). */
export function openEngine(options: Partial<EngineOptions> = {}): { engine: Engine; client: JobdeckClient; dataDir: string } {
  const dataDir = options.dataDir ?? tempDir();
  const engine = Engine.open({ dataDir, killGraceMs: 500, closeGraceMs: 300, onError: () => {}, ...options });
  open.push(engine);
  return { engine, client: createLocalClient(engine, ADMIN), dataDir };
}

afterEach(async () => {
  for (const engine of open.splice(0)) await engine.close(0);
});

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<JobdeckError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof JobdeckError) return err;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

/** Polls until fn returns a truthy value (signals, not sleeps: a bounded wait for a condition). */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
