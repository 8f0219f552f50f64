/**
 * Runs a synchronous check that looks jobs up by name (a workflow's task
 * references, a job's dependencies) against the asynchronous store. The
 * check runs; when it asks for a name not read yet, it is stopped, the name
 * is read, and it runs again with every name read so far. The checks are
 * pure and cheap, so running one again costs less than reading every job
 * first, and it reads only the jobs it reaches.
 */
import { JobdeckError } from '../../shared/errors';

class NameNeeded {
  constructor(readonly name: string) {}
}

/** Names one check may read: beyond it, the references are refused rather than followed. */
const MAX_NAMES = 2000;

export async function checkWithLookup<V, T>(read: (name: string) => Promise<V | undefined>, check: (lookup: (name: string) => V | undefined) => T): Promise<T> {
  const known = new Map<string, V | undefined>();
  const lookup = (name: string): V | undefined => {
    const key = name.toLowerCase();
    if (known.has(key)) return known.get(key);
    throw new NameNeeded(name);
  };
  for (;;) {
    try {
      return check(lookup);
    } catch (err) {
      if (!(err instanceof NameNeeded)) throw err;
      if (known.size >= MAX_NAMES) throw new JobdeckError('VALIDATION_FAILED', `the job refers, directly or through others, to more than ${MAX_NAMES} jobs`);
      known.set(err.name.toLowerCase(), await read(err.name));
    }
  }
}
