/**
 * Crash recovery: runs left QUEUED or IN_PROGRESS by a process that is gone
 * are interrupted (FAILED, INTERRUPTED), keeping their logs, and the locks
 * it held are released. Runs of live processes (a CLI run beside `serve`)
 * are left alone. Owners are told apart by the OS file lock each engine
 * instance holds (ownership.ts), which a process lets go of even when killed.
 */
import type { EngineStore as Store } from '../store/engineStore';
import type { RunStateMachine } from './stateMachine';

export interface RecoveryDeps {
  store: Store;
  machine: RunStateMachine;
  /** This engine's instance id. */
  me: string;
  isAlive(owner: string): boolean;
  forget(owner: string): void;
  /** Queue retries of interrupted runs here (the engine that schedules the folder does). */
  retry: boolean;
}

/** Interrupts the runs of every dead owner; returns how many runs were interrupted. */
export async function recoverDeadOwners(deps: RecoveryDeps): Promise<number> {
  let count = 0;
  for (const owner of await deps.store.runs.unfinishedOwners()) {
    if (owner === deps.me || deps.isAlive(owner)) continue;
    count += (await deps.machine.interrupt(owner, deps.retry)).length;
    deps.forget(owner);
  }
  await deps.store.locks.releaseDead((owner) => owner === deps.me || deps.isAlive(owner));
  return count;
}
