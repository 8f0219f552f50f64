/**
 * The two small languages of a workflow: conditions are CEL expressions
 * (Common Expression Language, evaluated by cel-js: no eval, no prototype
 * access, no loops that do not end), and onComplete messages are Liquid
 * templates (liquidjs, own properties only, bounded render time).
 */
import { lazy, lazyPackage } from '../lazyPackage';

/** Longest onComplete message kept (characters). */
const MESSAGE_MAX = 2000;

const cel = lazyPackage<typeof import('@marcbachmann/cel-js')>('@marcbachmann/cel-js');
const liquidjs = lazyPackage<typeof import('liquidjs')>('liquidjs');
const liquid = lazy(() => new (liquidjs().Liquid)({ ownPropertyOnly: true, strictFilters: true, parseLimit: 10_000, renderLimit: 200, memoryLimit: 1_000_000 }));

/** The first line of a library's error (cel-js adds the expression and a caret below it). */
const firstLine = (err: unknown): string => String((err as Error)?.message ?? err).split('\n')[0]!.trim();

/** matches() runs a regular expression, which can take unbounded time on the engine's one thread. */
const REGEX_CALL = /\bmatches\s*\(/;
const NO_REGEX = 'matches() is not available in conditions (a regular expression can take unbounded time): use startsWith, endsWith or contains';

/** Why a condition cannot be parsed, or null when it can. */
export function conditionProblem(expression: string): string | null {
  if (REGEX_CALL.test(expression)) return NO_REGEX;
  try {
    cel().parse(expression);
    return null;
  } catch (err) {
    return `condition is not a valid expression: ${firstLine(err)}`;
  }
}

/** Why an onComplete template cannot be parsed, or null when it can. */
export function templateProblem(template: string): string | null {
  try {
    liquid().parse(template);
    return null;
  } catch (err) {
    return `onComplete is not a valid template: ${firstLine(err)}`;
  }
}

export type ConditionResult = { ok: true; value: boolean } | { ok: false; error: string };

/** Evaluates a condition; anything but a boolean is an error (a condition says yes or no). */
export function evaluateCondition(expression: string, context: Record<string, unknown>): ConditionResult {
  let value: unknown;
  if (REGEX_CALL.test(expression)) return { ok: false, error: NO_REGEX };
  try {
    value = cel().evaluate(expression, context);
  } catch (err) {
    return { ok: false, error: `condition "${expression}" could not be evaluated: ${firstLine(err)}` };
  }
  if (typeof value !== 'boolean') return { ok: false, error: `condition "${expression}" gave ${describe(value)}, not true or false` };
  return { ok: true, value };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return `the text "${value.slice(0, 40)}"`;
  return `a value of type ${typeof value}`;
}

/** Renders an onComplete message; a template that fails says why instead. */
export function renderMessage(template: string, context: Record<string, unknown>): string {
  try {
    const text = liquid().parseAndRenderSync(template, context) as string;
    return text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}…` : text;
  } catch (err) {
    return `onComplete could not be rendered: ${firstLine(err)}`;
  }
}
