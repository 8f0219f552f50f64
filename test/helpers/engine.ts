import { afterEach } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import type { CallContext } from '../../shared/contract';
import { JobdeckError } from '../../shared/errors';
import { Engine, type EngineOptions } from '../../electron/engine/engine';
import { createLocalClient } from '../../electron/engine/localClient';
import { tempDir } from './temp';

const open: Engine[] = [];
/** Background errors an engine reported during the test; any left over fails it. */
const reported: { dataDir: string; err: unknown }[] = [];

/**
 * The engine's background-error hook for tests: every error is recorded, and
 * afterEach fails the test with it unless the test took it with
 * takeEngineErrors() (a test that provokes one and checks it).
 */
export function recordEngineError(dataDir: string) {
  return (err: unknown) => {
    reported.push({ dataDir, err });
  };
}

/** The background errors reported so far (the test expects them; they no longer fail it). */
export function takeEngineErrors(): unknown[] {
  return reported.splice(0).map((r) => r.err);
}

export const ADMIN: CallContext = { actor: 'tester', role: 'superadmin' };

/** An engine on a fresh data folder (closed after the test). */
export function openEngine(options: Partial<EngineOptions> = {}): { engine: Engine; client: JobdeckClient; dataDir: string } {
  const dataDir = options.dataDir ?? tempDir();
  const engine = Engine.open({ dataDir, killGraceMs: 500, closeGraceMs: 300, onError: recordEngineError(dataDir), ...options });
  open.push(engine);
  return { engine, client: createLocalClient(engine, ADMIN), dataDir };
}

afterEach(async () => {
  for (const engine of open.splice(0)) await engine.close(0);
  failOnEngineErrors();
});

/** Throws (failing the test) when an engine reported background errors the test did not take. */
export function failOnEngineErrors(): void {
  const left = reported.splice(0);
  if (left.length) {
    const first = left[0]!.err;
    throw new Error(
      `the engine reported ${left.length} background error(s) during the test; the first: ${first instanceof Error ? (first.stack ?? first.message) : String(first)}`,
    );
  }
}

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
