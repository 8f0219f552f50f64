import { JobdeckError } from '../../../shared/errors';

/** A message fit for a person, from anything thrown by a client call. */
export function errorText(err: unknown): string {
  if (err instanceof JobdeckError) {
    if (err.code === 'UNAVAILABLE') return `The engine cannot be reached: ${err.message}`;
    if (err.code === 'UNAUTHORIZED') return `Not signed in: ${err.message}`;
    if (err.code === 'FORBIDDEN') return `Not allowed: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Field errors from a contract error, keyed by dotted field path without its prefix. */
export function fieldErrors(err: unknown, prefix = ''): Record<string, string> {
  if (err instanceof JobdeckError && err.field) {
    const field = prefix && err.field.startsWith(prefix) ? err.field.slice(prefix.length) : err.field;
    const message = err.message.replace(new RegExp(`^${err.field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '');
    return { [field]: message };
  }
  return {};
}
