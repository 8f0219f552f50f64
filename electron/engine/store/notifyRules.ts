/**
 * Which notifications a run's end causes, decided inside the transaction
 * that records the end, so a message is queued exactly when its cause is
 * committed. A job's failures form an incident: the first alert once
 * `afterFailures` runs in a row failed, follow-ups while it lasts, a
 * recovery message when a run succeeds again (only if the failure was
 * notified). A run's `recip` parameter replaces the email targets (the
 * seed's per-run override).
 */
import { DESKTOP_TARGET, isEmailAddress, WEBHOOK_PREFIX, type NotifyChannel, type NotifyEvent, type NotifyRules } from '../../../shared/model/notify';
import type { RunEnd } from './tables/runsTable';
import type { Tables } from './tables';

/** The targets of an event: its own rule, else (for recovery and follow-ups) the failure rule's. */
export function targetsOf(rules: NotifyRules, event: NotifyEvent): string[] {
  const own = rules.rules.filter((r) => r.event === event).flatMap((r) => r.to);
  if (own.length || (event !== 'recovery' && event !== 'still-failing')) return own;
  return rules.rules.filter((r) => r.event === 'failure').flatMap((r) => r.to);
}

/** Groups expanded into their members; email addresses and webhooks as they are; each once. */
function expand(t: Tables, targets: readonly string[], recip: string[] | null): { channel: NotifyChannel; target: string }[] {
  const out = new Map<string, { channel: NotifyChannel; target: string }>();
  const add = (m: string) => {
    if (m === DESKTOP_TARGET) out.set(m, { channel: 'desktop', target: m });
    else if (m.startsWith(WEBHOOK_PREFIX)) out.set(m.toLowerCase(), { channel: 'webhook', target: m.slice(WEBHOOK_PREFIX.length) });
    else if (!recip) out.set(m.toLowerCase(), { channel: 'email', target: m });
  };
  for (const target of targets) {
    if (isEmailAddress(target) || target.startsWith(WEBHOOK_PREFIX) || target === DESKTOP_TARGET) add(target);
    else {
      const members = t.notify.group(target);
      // An unknown group is queued as it is: its delivery fails, saying so, instead of nobody hearing of it.
      if (members) members.forEach(add);
      else if (!recip) out.set(target.toLowerCase(), { channel: 'email', target });
    }
  }
  for (const address of recip ?? []) out.set(address.toLowerCase(), { channel: 'email', target: address });
  return [...out.values()];
}

/** The run's `recip` parameter: addresses separated by commas and/or spaces. */
function recipOf(paramsJson: string): string[] | null {
  const params = JSON.parse(paramsJson) as Record<string, unknown>;
  const recip = params.recip;
  if (typeof recip !== 'string' || recip.trim() === '') return null;
  return recip.split(/[\s,;]+/).filter((a) => isEmailAddress(a));
}

function queue(t: Tables, rules: NotifyRules, event: NotifyEvent, ids: { jobId: number; runId: number | null }, key: string, recip: string[] | null, now: number): number {
  let n = 0;
  for (const { channel, target } of expand(t, targetsOf(rules, event), recip)) {
    if (t.notify.enqueue({ event, job_id: ids.jobId, run_id: ids.runId, channel, target, dedupe: `${key}:${channel}:${target.toLowerCase()}` }, now)) n++;
  }
  return n;
}

/** After a run's end is recorded: the messages it causes, and its job's incident. `retried`: another attempt follows. */
export function notifyRunEnd(t: Tables, jobId: number, runId: number, end: RunEnd, retried: boolean, now: number): void {
  const job = t.jobs.get(jobId);
  if (!job || job.notify === 'null') return;
  const rules = JSON.parse(job.notify) as NotifyRules;
  const run = t.runs.get(runId)!;
  const recip = recipOf(run.params);
  const ids = { jobId, runId };
  if (end.status === 'SUCCEEDED') {
    const incident = t.notify.incident(jobId);
    if (incident) {
      if (incident.notified) queue(t, rules, 'recovery', ids, `recovery:${runId}`, recip, now);
      t.notify.closeIncident(jobId);
    }
    queue(t, rules, 'success', ids, `success:${runId}`, recip, now);
    return;
  }
  if (end.status !== 'FAILED') return;
  if (end.failure === 'INTERRUPTED') queue(t, rules, 'interrupted', ids, `interrupted:${runId}`, recip, now);
  // An attempt that will be retried is not the end of the story yet.
  if (retried) return;
  const incident = t.notify.incident(jobId) ?? { job_id: jobId, opened_at: now, failures: 0, notified: 0, last_notice_at: null, follow_ups: 0, last_run_id: null };
  incident.failures += 1;
  incident.last_run_id = runId;
  if (!incident.notified && incident.failures >= rules.afterFailures) {
    queue(t, rules, 'failure', ids, `failure:${runId}`, recip, now);
    incident.notified = 1;
    incident.last_notice_at = now;
  } else if (incident.notified && rules.followUpRuns && (incident.failures - rules.afterFailures) % rules.followUpRuns === 0) {
    // Every N failed runs after the first alert, as well as (or instead of) every H hours.
    incident.follow_ups += 1;
    incident.last_notice_at = now;
    queue(t, rules, 'still-failing', ids, `still-failing:${jobId}:${incident.opened_at}:${incident.follow_ups}`, recip, now);
  }
  t.notify.saveIncident(incident);
}

/** A fire missed while the engine was down: said to the job's `missed` targets (the detail says when, and what was done). */
export function notifyMissed(t: Tables, jobId: number, dueAt: number, caughtUp: boolean, now: number): void {
  const job = t.jobs.get(jobId);
  if (!job || job.notify === 'null') return;
  const rules = JSON.parse(job.notify) as NotifyRules;
  const detail = `the run due at ${new Date(dueAt).toISOString()} was missed while Jobdeck was not running; ${caughtUp ? 'a catch-up run was queued' : 'it was skipped (misfire policy skip)'}`;
  for (const { channel, target } of expand(t, targetsOf(rules, 'missed'), null)) {
    t.notify.enqueue({ event: 'missed', job_id: jobId, run_id: null, channel, target, detail, dedupe: `missed:${jobId}:${dueAt}:${channel}:${target.toLowerCase()}` }, now);
  }
}

/** How long a run of a job may take before it counts as long-running (ms), or null when that cannot be said yet. */
function longRunningLimit(t: Tables, jobId: number, rules: NotifyRules): number | null {
  const config = rules.longRunning ?? {};
  const limits: number[] = [];
  if (config.seconds) limits.push(config.seconds * 1000);
  const factor = config.factor ?? (config.seconds ? undefined : 3);
  if (factor) {
    const durations = t.notify.recentDurations(jobId, 20).sort((a, b) => a - b);
    if (durations.length >= 3) limits.push(Math.max(1000, durations[Math.floor(durations.length / 2)]! * factor));
  }
  return limits.length ? Math.min(...limits) : null;
}

/** Runs that have been running longer than their job allows (each said once). */
export function queueLongRunning(t: Tables, now: number): number {
  let queued = 0;
  for (const run of t.notify.runningWithRules()) {
    const rules = JSON.parse(run.notify) as NotifyRules;
    if (!rules.rules.some((r) => r.event === 'long-running')) continue;
    const limit = longRunningLimit(t, run.job_id, rules);
    if (limit === null || now - run.started_at <= limit) continue;
    queued += queue(t, rules, 'long-running', { jobId: run.job_id, runId: run.id }, `long-running:${run.id}`, null, now);
  }
  return queued;
}

/** Runs that have waited too long for a lock another run holds (each said once). */
export function queueLockWaits(t: Tables, now: number): number {
  let queued = 0;
  for (const w of t.notify.waitingForLocks()) {
    const rules = JSON.parse(w.notify) as NotifyRules;
    if (!rules.rules.some((r) => r.event === 'lock-held')) continue;
    const limit = (rules.lockWaitMinutes ?? 30) * 60_000;
    if (now - w.queued_at <= limit) continue;
    const detail = `run ${w.id} has waited ${Math.round((now - w.queued_at) / 60_000)} min for lock "${w.lock}", held by run ${w.holder} since ${new Date(w.since).toISOString()}`;
    for (const { channel, target } of expand(t, targetsOf(rules, 'lock-held'), null)) {
      if (t.notify.enqueue({ event: 'lock-held', job_id: w.job_id, run_id: w.id, channel, target, detail, dedupe: `lock-held:${w.id}:${channel}:${target.toLowerCase()}` }, now)) queued++;
    }
  }
  return queued;
}

/** Follow-ups of notified incidents whose interval has passed (still failing: the seed's hourly reminders). */
export function queueFollowUps(t: Tables, now: number): number {
  let queued = 0;
  for (const incident of t.notify.notifiedIncidents()) {
    const job = t.jobs.get(incident.job_id);
    if (!job || job.notify === 'null') continue;
    const rules = JSON.parse(job.notify) as NotifyRules;
    if (!rules.followUpHours) continue;
    const due = (incident.last_notice_at ?? incident.opened_at) + rules.followUpHours * 3_600_000;
    if (due > now) continue;
    const n = incident.follow_ups + 1;
    queue(t, rules, 'still-failing', { jobId: job.id, runId: incident.last_run_id }, `still-failing:${job.id}:${incident.opened_at}:${n}`, null, now);
    t.notify.saveIncident({ ...incident, follow_ups: n, last_notice_at: now });
    queued++;
  }
  return queued;
}

/**
 * The result files a script asked to have mailed (`::email FILE TO`): one
 * message per file and target, each carrying its file; a file the run did
 * not leave is said in the log instead.
 */
export function queueReports(t: Tables, jobId: number, runId: number, reports: readonly { file: string; to: string }[], files: readonly { name: string }[], now: number): void {
  const run = t.runs.get(runId)!;
  const recip = recipOf(run.params);
  for (const r of reports) {
    if (!files.some((f) => f.name === r.file)) continue;
    for (const { channel, target } of expand(t, [r.to], recip)) {
      if (channel !== 'email') continue;
      t.notify.enqueue({ event: 'report', job_id: jobId, run_id: runId, channel, target, attach: r.file, dedupe: `report:${runId}:${r.file}:${target.toLowerCase()}` }, now);
    }
  }
}
