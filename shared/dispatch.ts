/**
 * The one dispatch from a method name and untrusted input to a handler.
 * IPC, HTTP and in-process clients all go through it, so validation, role
 * checks and error shapes are the same on every transport.
 */
import type * as z from 'zod';
import { contract, isMethodName, type CallContext, type Handlers, type MethodName } from './contract';
import { JobdeckError, toErrorData, type ErrorData } from './errors';
import { roleRank } from './model/misc';

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

/** Dotted path of a zod issue, for the `field` of an error. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

/** Turns zod issues into one VALIDATION_FAILED error naming the first field at fault. */
export function validationError(issues: readonly z.core.$ZodIssue[], prefix = ''): JobdeckError {
  const issue = issues[0]!;
  let path = [...issue.path];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]!];
    message = `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
  }
  const field = [prefix, issuePath(path)].filter(Boolean).join('.');
  const text = field ? `${field}: ${message}` : message;
  return new JobdeckError('VALIDATION_FAILED', text, field || undefined);
}

/** Validates `input` against the method's schema, or throws VALIDATION_FAILED. */
export function parseInput<M extends MethodName>(method: M, input: unknown): z.output<(typeof contract)[M]['input']> {
  const parsed = contract[method].input.safeParse(input ?? {});
  if (!parsed.success) throw validationError(parsed.error.issues);
  return parsed.data as z.output<(typeof contract)[M]['input']>;
}

export function checkRole(method: MethodName, ctx: CallContext): void {
  const needed = contract[method].role;
  if (roleRank(ctx.role) < roleRank(needed)) {
    const what = contract[method].summary.replace(/\s*\(.*$/, '');
    throw new JobdeckError('FORBIDDEN', `"${what}" (${method}) needs the ${needed} role; ${ctx.actor} is a ${ctx.role}`);
  }
}

export async function dispatch(
  handlers: Handlers,
  method: string,
  input: unknown,
  ctx: CallContext,
): Promise<Result<unknown>> {
  try {
    if (!isMethodName(method)) throw new JobdeckError('NOT_FOUND', `unknown method ${JSON.stringify(method)}`, 'method');
    checkRole(method, ctx);
    const parsed = parseInput(method, input);
    const handler = handlers[method] as (i: unknown, c: CallContext) => Promise<unknown>;
    return { ok: true, value: await handler(parsed, ctx) };
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}
