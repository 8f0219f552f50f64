/**
 * The job editor's form state and its translation to the contract: numbers
 * are kept as typed text until saving, then checked with the shared schemas
 * so errors appear beside the fields they belong to.
 */
import { JOB_DEFAULTS, paramValuesProblem, type Job, type JobSpec, type ParamDef, type ParamValue } from '../../../shared/model/job';
import { jobCreateSchema } from '../../../shared/model/jobInput';
import { issuePath } from '../../../shared/dispatch';
import { NOTIFY_EVENTS, type NotifyEvent, type NotifyRules } from '../../../shared/model/notify';
import { splitList } from '../lib/list';

export interface ParamRow {
  key: number;
  name: string;
  type: ParamDef['type'];
  default: string;
  required: boolean;
  description: string;
  choices: string;
  value: ParamValue | '';
}

export interface JobForm {
  name: string;
  group: string;
  description: string;
  user: string;
  runtime: string;
  customRuntime: string;
  script: string;
  scheduleKind: 'interval' | 'cron' | 'manual';
  interval: string;
  cron: string;
  timezone: string;
  enabled: boolean;
  timeout: string;
  overlap: JobSpec['overlap'];
  retryCount: string;
  retryDelay: string;
  misfire: JobSpec['misfire'];
  lock: string;
  retention: string;
  /** node and python3 runs may start in a pre-started interpreter. */
  warm: boolean;
  params: ParamRow[];
  /** Carried as they are (edited through the API and CLI for now). */
  after: JobSpec['after'];
  gate: JobSpec['gate'];
  /** The notification rules as typed. */
  notify: NotifyForm;
  /** The rules as loaded: kept as they are while the form is left alone, and the source of fields the form does not show. */
  notifyBase: JobSpec['notify'];
}

/** A job's notification rules as the form holds them: per event its targets as typed, numbers as text. */
export interface NotifyForm {
  /** Per event, targets separated by commas (group names, addresses, webhook:NAME, desktop). */
  targets: Record<NotifyEvent, string>;
  afterFailures: string;
  followUpHours: string;
  longSeconds: string;
  longFactor: string;
}

export function notifyFormFrom(notify: NotifyRules | null): NotifyForm {
  const targets = Object.fromEntries(NOTIFY_EVENTS.map((e) => [e, ''])) as Record<NotifyEvent, string>;
  for (const rule of notify?.rules ?? []) targets[rule.event] = targets[rule.event] ? `${targets[rule.event]}, ${rule.to.join(', ')}` : rule.to.join(', ');
  return {
    targets,
    afterFailures: notify ? String(notify.afterFailures) : '',
    followUpHours: notify ? String(notify.followUpHours) : '',
    longSeconds: notify?.longRunning?.seconds !== undefined ? String(notify.longRunning.seconds) : '',
    longFactor: notify?.longRunning?.factor !== undefined ? String(notify.longRunning.factor) : '',
  };
}

/**
 * The rules the form stands for: the loaded ones while the form is as loaded,
 * else one rule per event that has targets, in the events' order; null when
 * there is nothing to say.
 */
export function notifyFromForm(f: NotifyForm, base: NotifyRules | null): NotifyRules | null {
  if (JSON.stringify(f) === JSON.stringify(notifyFormFrom(base))) return base;
  const rules = NOTIFY_EVENTS.map((event) => ({ event, to: splitList(f.targets[event] ?? '') })).filter((r) => r.to.length > 0);
  const blank = (t: string) => t.trim() === '';
  const longRunning: NonNullable<NotifyRules['longRunning']> = {};
  if (!blank(f.longSeconds)) longRunning.seconds = num(f.longSeconds);
  if (!blank(f.longFactor)) longRunning.factor = num(f.longFactor);
  const { longRunning: _old, ...rest } = base ?? {};
  if (rules.length === 0 && !base && blank(f.afterFailures) && blank(f.followUpHours) && Object.keys(longRunning).length === 0) return null;
  return {
    ...rest,
    rules,
    afterFailures: blank(f.afterFailures) ? 1 : num(f.afterFailures),
    followUpHours: blank(f.followUpHours) ? 1 : num(f.followUpHours),
    ...(Object.keys(longRunning).length ? { longRunning } : {}),
  };
}

/**
 * Field errors of the rules ("notify.rules.0.to.1", …) said per event: the
 * message of the first rule of that event at fault, naming the target.
 */
export function notifyErrorsByEvent(notify: NotifyRules | null, errors: Record<string, string>): Partial<Record<NotifyEvent, string>> {
  const out: Partial<Record<NotifyEvent, string>> = {};
  for (const [key, message] of Object.entries(errors)) {
    const m = /^notify\.rules\.(\d+)(?:\.to(?:\.(\d+))?)?/.exec(key);
    const rule = m ? notify?.rules[Number(m[1])] : undefined;
    if (!m || !rule) continue;
    const target = m[2] !== undefined ? rule.to[Number(m[2])] : undefined;
    out[rule.event] ??= target !== undefined ? `${target}: ${message}` : message;
  }
  return out;
}

/** Runtimes the form's select offers by name (anything else is a custom command). */
const BUILTIN = ['sh', 'bash', 'node', 'python3', 'workflow'];
let rowKey = 1;
export const newParamRow = (): ParamRow => ({ key: rowKey++, name: '', type: 'string', default: '', required: false, description: '', choices: '', value: '' });

export const localZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function formFromJob(job: Job | null): JobForm {
  const spec: JobSpec = job ?? { ...JOB_DEFAULTS, name: '', script: '#!/bin/sh\necho "Hello from $JOBDECK_JOB"\n' };
  const s = spec.schedule;
  return {
    name: spec.name,
    group: spec.group,
    description: spec.description,
    user: spec.user,
    runtime: BUILTIN.includes(spec.runtime) ? spec.runtime : 'custom',
    customRuntime: BUILTIN.includes(spec.runtime) ? '' : spec.runtime,
    script: spec.script,
    scheduleKind: s.kind,
    interval: String(s.kind === 'interval' ? s.seconds : 60),
    cron: s.kind === 'cron' ? s.expression : '0 0 * * *',
    timezone: s.kind === 'cron' ? s.timezone : localZone(),
    enabled: spec.enabled,
    timeout: spec.timeoutSeconds === null ? '' : String(spec.timeoutSeconds),
    overlap: spec.overlap,
    retryCount: String(spec.retries.count),
    retryDelay: String(spec.retries.delaySeconds),
    misfire: spec.misfire,
    lock: spec.lock ?? '',
    retention: String(spec.retention),
    warm: spec.warm ?? true,
    after: spec.after ?? [],
    gate: spec.gate ?? null,
    notify: notifyFormFrom(spec.notify ?? null),
    notifyBase: spec.notify ?? null,
    params: spec.params.map((p) => ({
      key: rowKey++,
      name: p.name,
      type: p.type,
      default: p.default === undefined ? '' : String(p.default),
      required: p.required ?? false,
      description: p.description ?? '',
      choices: (p.choices ?? []).join(', '),
      value: spec.paramValues[p.name] ?? '',
    })),
  };
}

const num = (text: string): number => (text.trim() === '' ? Number.NaN : Number(text));

function typed(type: ParamDef['type'], text: string): ParamValue {
  if (type === 'number') return text.trim() === '' ? Number.NaN : Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

/** The full spec the form stands for (not yet validated). */
export function specFromForm(f: JobForm): JobSpec {
  const params: ParamDef[] = f.params.map((p) => {
    const def: ParamDef = { name: p.name.trim(), type: p.type };
    if (p.required) def.required = true;
    if (p.description.trim()) def.description = p.description.trim();
    if (p.type === 'choice') def.choices = p.choices.split(',').map((c) => c.trim()).filter(Boolean);
    if (p.default !== '') def.default = typed(p.type, p.default);
    return def;
  });
  const paramValues: Record<string, ParamValue> = {};
  for (const p of f.params) if (p.value !== '' && p.name.trim()) paramValues[p.name.trim()] = p.value;
  return {
    name: f.name,
    group: f.group,
    description: f.description,
    user: f.user,
    runtime: f.runtime === 'custom' ? f.customRuntime : f.runtime,
    script: f.script,
    schedule:
      f.scheduleKind === 'interval'
        ? { kind: 'interval', seconds: num(f.interval) }
        : f.scheduleKind === 'cron'
          ? { kind: 'cron', expression: f.cron, timezone: f.timezone }
          : { kind: 'manual' },
    enabled: f.enabled,
    timeoutSeconds: f.timeout.trim() === '' ? null : num(f.timeout),
    overlap: f.overlap,
    retries: { count: num(f.retryCount), delaySeconds: num(f.retryDelay) },
    misfire: f.misfire,
    lock: f.lock.trim() === '' ? null : f.lock.trim(),
    retention: num(f.retention),
    warm: f.warm,
    params,
    paramValues,
    after: f.after,
    gate: f.gate,
    notify: notifyFromForm(f.notify, f.notifyBase),
  };
}

/** Field errors by contract path ("schedule.seconds", "params.0.choices", …); empty when valid. */
export function validate(spec: JobSpec): Record<string, string> {
  const out: Record<string, string> = {};
  const parsed = jobCreateSchema.safeParse(spec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issuePath(issue.path);
      out[key] ??= issue.message;
    }
    return out;
  }
  const problem = paramValuesProblem(parsed.data.params ?? [], parsed.data.paramValues ?? {});
  if (problem) out[problem[0]] = problem[1];
  return out;
}

/** The fields of `next` that differ from `job` (what an update sends). */
export function changedFields(job: Job, next: JobSpec): Partial<JobSpec> {
  const out: Partial<JobSpec> = {};
  for (const key of Object.keys(next) as (keyof JobSpec)[]) {
    if (JSON.stringify(next[key]) !== JSON.stringify(job[key])) (out as Record<string, unknown>)[key] = next[key];
  }
  return out;
}
