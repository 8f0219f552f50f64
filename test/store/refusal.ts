/** The error a store call rejects with (fails the test if it resolves): store errors of either backend. */
import type { JobdeckError } from '../../shared/errors';

export async function refusal(promise: Promise<unknown>): Promise<JobdeckError> {
  try {
    await promise;
  } catch (err) {
    return err as JobdeckError;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
