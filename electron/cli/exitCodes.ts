/**
 * The exit codes every command shares (README "Exit codes"), so a script
 * calling jobdeck can tell a missing job from a refused token or an
 * unreachable server. Commands that run a job exit with the run's own code.
 */
import { CommanderError } from 'commander';
import { ServerUnreachable } from '../../shared/client/httpClient';
import type { ErrorCode } from '../../shared/errors';
import { JobdeckError } from '../../shared/errors';
import { UsageError } from './context';

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  notAllowed: 4,
  conflict: 5,
  unreachable: 6,
  internal: 70,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  VALIDATION_FAILED: EXIT.usage,
  PAYLOAD_TOO_LARGE: EXIT.usage,
  NOT_FOUND: EXIT.notFound,
  UNAUTHORIZED: EXIT.notAllowed,
  FORBIDDEN: EXIT.notAllowed,
  NAME_TAKEN: EXIT.conflict,
  JOB_ALREADY_RUNNING: EXIT.conflict,
  JOB_ALREADY_QUEUED: EXIT.conflict,
  JOB_ARCHIVED: EXIT.conflict,
  LOCK_HELD: EXIT.conflict,
  CONFLICT: EXIT.conflict,
  INVALID_STATE: EXIT.conflict,
  SCHEDULER_LOCKED: EXIT.conflict,
  RATE_LIMITED: EXIT.failed,
  // A damaged data folder or a server that answers 503: the command could not be done.
  UNAVAILABLE: EXIT.failed,
  INTERNAL: EXIT.internal,
};

/** The exit code for an error a command threw. */
export function exitCodeOfError(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof ServerUnreachable) return EXIT.unreachable;
  if (err instanceof JobdeckError) return BY_CODE[err.code];
  return EXIT.failed;
}
