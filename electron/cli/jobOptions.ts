/** Turns `jobs add` / `jobs edit` options into contract fields. */
import { readFileSync } from 'node:fs';
import { NOTIFY_EVENTS } from '../../shared/model/notify';
import { coerceParamText, PARAM_TYPES, type JobSpec, type ParamDef, type ParamType, type ParamValue } from '../../shared/model/job';
import { parseIntOption, UsageError } from './context';
import { inferRuntime, runtimeOf } from './runtimeOf';

export interface JobCliOptions {
  name?: string;
  script?: string;
  workflow?: string;
  runtime?: string;
  group?: string;
  description?: string;
  user?: string;
  interval?: string;
  cron?: string;
  tz?: string;
  manual?: boolean;
  paramDef?: string[];
  param?: string[];
  timeout?: string;
  overlap?: string;
  retries?: string;
  retryDelay?: string;
  misfire?: string;
  lock?: string;
  retention?: string;
  enable?: boolean;
  disable?: boolean;
  after?: string;
  gate?: string;
  notify?: string[];
  notifyAfter?: string;
  followUp?: string;
  followUpRuns?: string;
  /** on|off: node and python3 runs may start in a pre-started interpreter. */
  warm?: string;
}

const DEP_STATUSES = ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const;

/** `A,B:SUCCEEDED` -> the jobs a job waits for. */
export function parseAfter(text: string): JobSpec['after'] {
  if (text.trim() === 'none') return [];
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.lastIndexOf(':');
      const status = at > 0 ? part.slice(at + 1).trim().toUpperCase() : '';
      if (at > 0 && (DEP_STATUSES as readonly string[]).includes(status)) {
        return { job: part.slice(0, at).trim(), status: status as (typeof DEP_STATUSES)[number] };
      }
      return { job: part };
    });
}

/** `--notify failure=developers,ada@example.com` (repeatable; `none` clears) -> notification rules. */
export function parseNotify(
  pairs: string[] | undefined,
  afterText: string | undefined,
  followUpText: string | undefined,
  existing: JobSpec['notify'] | undefined,
): JobSpec['notify'] | undefined {
  if (pairs === undefined && afterText === undefined && followUpText === undefined) return undefined;
  if (pairs?.some((p) => p.trim() === 'none')) return null;
  const base = existing ?? { rules: [], afterFailures: 1, followUpHours: 1 };
  const rules = pairs
    ? pairs.map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) throw new UsageError(`--notify: expected EVENT=GROUP_OR_ADDRESS[,…], not "${pair}" (events: ${NOTIFY_EVENTS.join(', ')})`);
        const event = pair.slice(0, at).trim();
        if (!(NOTIFY_EVENTS as readonly string[]).includes(event)) throw new UsageError(`--notify: "${event}" is not an event (${NOTIFY_EVENTS.join(', ')})`);
        const to = pair
          .slice(at + 1)
          .split(/[\s,;]+/)
          .filter(Boolean);
        if (!to.length) throw new UsageError(`--notify: ${event}= needs a group name, an address or webhook:NAME`);
        return { event: event as (typeof NOTIFY_EVENTS)[number], to };
      })
    : base.rules;
  return {
    rules,
    afterFailures: afterText !== undefined ? parseIntOption('--notify-after', afterText, 1) : base.afterFailures,
    followUpHours: followUpText !== undefined ? Number(followUpText) : base.followUpHours,
  };
}

/** A workflow file's JSON (the engine checks the tree and names the field at fault). */
export function readWorkflow(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`--workflow: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--workflow: ${path} is not valid JSON (${(err as Error).message})`);
  }
}

export function readScript(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new UsageError(`--script: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * Parses a parameter definition: JSON (`{"name":"fix","type":"boolean"}`) or
 * `NAME:TYPE[:DEFAULT]`, where TYPE is string, number, boolean or
 * choice(a|b|c), and a trailing `!` on TYPE marks the parameter required.
 */
export function parseParamDef(text: string): ParamDef {
  if (text.trim().startsWith('{')) {
    try {
      return JSON.parse(text) as ParamDef;
    } catch (err) {
      throw new UsageError(`--param-def: not valid JSON: ${(err as Error).message}`);
    }
  }
  const m = /^([^:]+):([a-z]+)(?:\(([^)]*)\))?(!)?(?::(.*))?$/s.exec(text);
  if (!m) throw new UsageError(`--param-def "${text}": expected NAME:TYPE[:DEFAULT], e.g. recip:string or mode:choice(fast|slow)!:fast`);
  const [, name, type, choices, required, dflt] = m;
  if (!(PARAM_TYPES as readonly string[]).includes(type!)) {
    throw new UsageError(`--param-def "${text}": type must be one of ${PARAM_TYPES.join(', ')}`);
  }
  const def: ParamDef = { name: name!, type: type as ParamType };
  if (choices !== undefined) def.choices = choices.split('|').filter(Boolean);
  if (required) def.required = true;
  if (dflt !== undefined && dflt !== '') def.default = coerceParamText(def, dflt);
  return def;
}

/** `k=v` pairs, typed by the definitions when there are any. */
export function parseParamValues(pairs: string[], defs: ParamDef[]): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param "${pair}": expected NAME=VALUE`);
    const name = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    const def = defs.find((d) => d.name === name);
    out[name] = def ? coerceParamText(def, text) : text;
  }
  return out;
}

/**
 * Contract fields for the options given (only those given). A script given
 * without --runtime gets the runtime its #! line or extension names, as
 * `jobdeck run` does (when adding a job it must be told; when editing, the
 * job keeps its runtime if the file does not say).
 */
export function jobFieldsFromOptions(
  o: JobCliOptions,
  existing?: Pick<JobSpec, 'params' | 'paramValues' | 'schedule' | 'retries'>,
): Partial<JobSpec> & { workflow?: unknown } {
  const f: Partial<JobSpec> & { workflow?: unknown } = {};
  if (o.name !== undefined) f.name = o.name;
  if (o.workflow !== undefined) {
    if (o.script !== undefined || o.runtime !== undefined) throw new UsageError('--workflow replaces --script and --runtime: give one or the other');
    f.workflow = readWorkflow(o.workflow);
  }
  if (o.script !== undefined) {
    f.script = readScript(o.script);
    if (o.runtime === undefined) {
      const found = runtimeOf(o.script === '-' ? '' : o.script, f.script);
      if (found) f.runtime = found;
      else if (!existing && o.script !== '-') f.runtime = inferRuntime(o.script, f.script);
    }
  }
  if (o.runtime !== undefined) f.runtime = o.runtime;
  if (o.group !== undefined) f.group = o.group;
  if (o.description !== undefined) f.description = o.description;
  if (o.user !== undefined) f.user = o.user;
  const kinds = [o.interval !== undefined, o.cron !== undefined, o.manual === true].filter(Boolean).length;
  if (kinds > 1) throw new UsageError('give only one of --interval, --cron and --manual');
  if (o.interval !== undefined) f.schedule = { kind: 'interval', seconds: parseIntOption('--interval', o.interval) };
  else if (o.cron !== undefined) {
    const tz = o.tz ?? (existing?.schedule.kind === 'cron' ? existing.schedule.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone);
    f.schedule = { kind: 'cron', expression: o.cron, timezone: tz };
  } else if (o.manual) f.schedule = { kind: 'manual' };
  else if (o.tz !== undefined) {
    if (existing?.schedule.kind !== 'cron') throw new UsageError('--tz goes with --cron');
    f.schedule = { ...existing.schedule, timezone: o.tz };
  }
  if (o.paramDef !== undefined) f.params = o.paramDef.map(parseParamDef);
  if (o.param !== undefined) {
    const defs = f.params ?? existing?.params ?? [];
    f.paramValues = { ...(f.params ? {} : (existing?.paramValues ?? {})), ...parseParamValues(o.param, defs) };
  } else if (f.params && existing) {
    // Keep stored values of parameters that are still defined.
    f.paramValues = Object.fromEntries(Object.entries(existing.paramValues).filter(([k]) => f.params!.some((d) => d.name === k)));
  }
  if (o.timeout !== undefined) f.timeoutSeconds = o.timeout === 'none' ? null : parseIntOption('--timeout', o.timeout);
  if (o.overlap !== undefined) f.overlap = o.overlap as JobSpec['overlap'];
  if (o.retries !== undefined || o.retryDelay !== undefined) {
    f.retries = {
      count: o.retries !== undefined ? parseIntOption('--retries', o.retries) : (existing?.retries.count ?? 0),
      delaySeconds: o.retryDelay !== undefined ? parseIntOption('--retry-delay', o.retryDelay) : (existing?.retries.delaySeconds ?? 60),
    };
  }
  if (o.misfire !== undefined) f.misfire = o.misfire as JobSpec['misfire'];
  if (o.lock !== undefined) f.lock = o.lock === 'none' ? null : o.lock;
  if (o.retention !== undefined) f.retention = parseIntOption('--retention', o.retention);
  if (o.after !== undefined) f.after = parseAfter(o.after);
  const notify = parseNotify(o.notify, o.notifyAfter, o.followUp, (existing as { notify?: JobSpec['notify'] } | undefined)?.notify);
  if (notify !== undefined) f.notify = notify;
  if (o.followUpRuns !== undefined) {
    const base = f.notify ?? (existing as { notify?: JobSpec['notify'] } | undefined)?.notify;
    if (!base) throw new UsageError('--follow-up-runs goes with notification rules (--notify)');
    f.notify = { ...base, followUpRuns: parseIntOption('--follow-up-runs', o.followUpRuns, 1) };
  }
  if (o.gate !== undefined) f.gate = o.gate === 'none' ? null : { withinMinutes: parseIntOption('--gate', o.gate, 1) };
  if (o.warm !== undefined) f.warm = o.warm === 'on';
  if (o.enable && o.disable) throw new UsageError('give --enable or --disable, not both');
  if (o.enable) f.enabled = true;
  if (o.disable) f.enabled = false;
  return f;
}
