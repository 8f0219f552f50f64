/**
 * Which notifications a run's end causes, decided inside the transaction
 * that records the end, so a message is queued exactly when its cause is
 * committed. A job's failures form an incident: the first alert once
 * `afterFailures` runs in a row failed, follow-ups while it lasts, a
 * recovery message when a run succeeds again (only if the failure was
 * notified). A run's `recip` parameter replaces the email targets (the
 * seed's per-run override). Written once for both backends (work.ts).
 */
import { DESKTOP_TARGET, isEmailAddress, WEBHOOK_PREFIX, type NotifyChannel, type NotifyEvent, type NotifyRules } from '../../../shared/model/notify';
import { jobsTable } from './tables/jobsTable';
import { notifyTable } from './tables/notifyTable';
import { runsTable, type RunEnd } from './tables/runsTable';
import type { JobRow } from './rows';
import type { Work } from './work';

/** The targets of an event: its own rule, else (for recovery and follow-ups) the failure rule's. */
export function targetsOf(rules: NotifyRules, event: NotifyEvent): string[] {
  const own = rules.rules.filter((r) => r.event === event).flatMap((r) => r.to);
  if (own.length || (event !== 'recovery' && event !== 'still-failing')) return own;
  return rules.rules.filter((r) => r.event === 'failure').flatMap((r) => r.to);
}

/** Groups expanded into their members; email addresses and webhooks as they are; each once. */
function* expand(targets: readonly string[], recip: string[] | null): Work<{ channel: NotifyChannel; target: string }[]> {
  const out = new Map<string, { channel: NotifyChannel; target: string }>();
  const add = (m: string) => {
    if (m === DESKTOP_TARGET) out.set(m, { channel: 'desktop', target: m });
    else if (m.startsWith(WEBHOOK_PREFIX)) out.set(m.toLowerCase(), { channel: 'webhook', target: m.slice(WEBHOOK_PREFIX.length) });
    else if (!recip) out.set(m.toLowerCase(), { channel: 'email', target: m });
  };
  for (const target of targets) {
    if (isEmailAddress(target) || target.startsWith(WEBHOOK_PREFIX) || target === DESKTOP_TARGET) add(target);
    else {
      const members = yield* notifyTable.group(target);
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

function* queue(rules: NotifyRules, event: NotifyEvent, ids: { jobId: number; runId: number | null }, key: string, recip: string[] | null, now: number): Work<number> {
  let n = 0;
  for (const { channel, target } of (yield* expand(targetsOf(rules, event), recip))) {
    if (yield* notifyTable.enqueue({ event, job_id: ids.jobId, run_id: ids.runId, channel, target, dedupe: `${key}:${channel}:${target.toLowerCase()}` }, now)) n++;
  }
  return n;
}

/**
 * After a run's end is recorded: the messages it causes, and its job's
 * incident. `retried`: another attempt follows. `locked`: the job's row as
 * the caller read it under its row lock (else locked and read here).
 */
export function* notifyRunEnd(jobId: number, runId: number, end: RunEnd, retried: boolean, now: number, locked?: JobRow): Work<void> {
  // Locked: the job's incident is read, then written.
  const job = locked ?? (yield* jobsTable.getForUpdate(jobId));
  if (!job || job.notify === 'null') return;
  const rules = JSON.parse(job.notify) as NotifyRules;
  const run = (yield* runsTable.get(runId))!;
  const recip = recipOf(run.params);
  const ids = { jobId, runId };
  if (end.status === 'SUCCEEDED') {
    const incident = yield* notifyTable.incident(jobId);
    if (incident) {
      if (incident.notified) yield* queue(rules, 'recovery', ids, `recovery:${runId}`, recip, now);
      yield* notifyTable.closeIncident(jobId);
    }
    yield* queue(rules, 'success', ids, `success:${runId}`, recip, now);
    return;
  }
  if (end.status !== 'FAILED') return;
  if (end.failure === 'INTERRUPTED') yield* queue(rules, 'interrupted', ids, `interrupted:${runId}`, recip, now);
  // An attempt that will be retried is not the end of the story yet.
  if (retried) return;
  const incident = (yield* notifyTable.incident(jobId)) ?? { job_id: jobId, opened_at: now, failures: 0, notified: 0, last_notice_at: null, follow_ups: 0, last_run_id: null };
  incident.failures += 1;
  incident.last_run_id = runId;
  if (!incident.notified && incident.failures >= rules.afterFailures) {
    yield* queue(rules, 'failure', ids, `failure:${runId}`, recip, now);
    incident.notified = 1;
    incident.last_notice_at = now;
  } else if (incident.notified && rules.followUpRuns && (incident.failures - rules.afterFailures) % rules.followUpRuns === 0) {
    // Every N failed runs after the first alert, as well as (or instead of) every H hours.
    incident.follow_ups += 1;
    incident.last_notice_at = now;
    yield* queue(rules, 'still-failing', ids, `still-failing:${jobId}:${incident.opened_at}:${incident.follow_ups}`, recip, now);
  }
  yield* notifyTable.saveIncident(incident);
}

/** A fire missed while the engine was down: said to the job's `missed` targets (the detail says when, and what was done). */
export function* notifyMissed(jobId: number, dueAt: number, caughtUp: boolean, now: number): Work<void> {
  const job = yield* jobsTable.get(jobId);
  if (!job || job.notify === 'null') return;
  const rules = JSON.parse(job.notify) as NotifyRules;
  const detail = `the run due at ${new Date(dueAt).toISOString()} was missed while Jobdeck was not running; ${caughtUp ? 'a catch-up run was queued' : 'it was skipped (misfire policy skip)'}`;
  for (const { channel, target } of (yield* expand(targetsOf(rules, 'missed'), null))) {
    yield* notifyTable.enqueue({ event: 'missed', job_id: jobId, run_id: null, channel, target, detail, dedupe: `missed:${jobId}:${dueAt}:${channel}:${target.toLowerCase()}` }, now);
  }
}

/** How long a run of a job may take before it counts as long-running (ms), or null when that cannot be said yet. */
function* longRunningLimit(jobId: number, rules: NotifyRules): Work<number | null> {
  const config = rules.longRunning ?? {};
  const limits: number[] = [];
  if (config.seconds) limits.push(config.seconds * 1000);
  const factor = config.factor ?? (config.seconds ? undefined : 3);
  if (factor) {
    const durations = (yield* notifyTable.recentDurations(jobId, 20)).sort((a, b) => a - b);
    if (durations.length >= 3) limits.push(Math.max(1000, durations[Math.floor(durations.length / 2)]! * factor));
  }
  return limits.length ? Math.min(...limits) : null;
}

/** Runs that have been running longer than their job allows (each said once). */
export function* queueLongRunning(now: number): Work<number> {
  let queued = 0;
  for (const run of (yield* notifyTable.runningWithRules())) {
    const rules = JSON.parse(run.notify) as NotifyRules;
    if (!rules.rules.some((r) => r.event === 'long-running')) continue;
    const limit = yield* longRunningLimit(run.job_id, rules);
    if (limit === null || now - run.started_at <= limit) continue;
    queued += yield* queue(rules, 'long-running', { jobId: run.job_id, runId: run.id }, `long-running:${run.id}`, null, now);
  }
  return queued;
}

/** Runs that have waited too long for a lock another run holds (each said once). */
export function* queueLockWaits(now: number): Work<number> {
  let queued = 0;
  for (const w of (yield* notifyTable.waitingForLocks())) {
    const rules = JSON.parse(w.notify) as NotifyRules;
    if (!rules.rules.some((r) => r.event === 'lock-held')) continue;
    const limit = (rules.lockWaitMinutes ?? 30) * 60_000;
    if (now - w.queued_at <= limit) continue;
    const detail = `run ${w.id} has waited ${Math.round((now - w.queued_at) / 60_000)} min for lock "${w.lock}", held by run ${w.holder} since ${new Date(w.since).toISOString()}`;
    for (const { channel, target } of (yield* expand(targetsOf(rules, 'lock-held'), null))) {
      if (yield* notifyTable.enqueue({ event: 'lock-held', job_id: w.job_id, run_id: w.id, channel, target, detail, dedupe: `lock-held:${w.id}:${channel}:${target.toLowerCase()}` }, now)) queued++;
    }
  }
  return queued;
}

/** Follow-ups of notified incidents whose interval has passed (still failing: the seed's hourly reminders). */
export function* queueFollowUps(now: number): Work<number> {
  let queued = 0;
  for (const incident of (yield* notifyTable.notifiedIncidents())) {
    const job = yield* jobsTable.getForUpdate(incident.job_id);
    if (!job || job.notify === 'null') continue;
    const rules = JSON.parse(job.notify) as NotifyRules;
    if (!rules.followUpHours) continue;
    const due = (incident.last_notice_at ?? incident.opened_at) + rules.followUpHours * 3_600_000;
    if (due > now) continue;
    const n = incident.follow_ups + 1;
    yield* queue(rules, 'still-failing', { jobId: job.id, runId: incident.last_run_id }, `still-failing:${job.id}:${incident.opened_at}:${n}`, null, now);
    yield* notifyTable.saveIncident({ ...incident, follow_ups: n, last_notice_at: now });
    queued++;
  }
  return queued;
}

/**
 * The result files a script asked to have mailed (`::email FILE TO`): one
 * message per file and target, each carrying its file; a file the run did
 * not leave is said in the log instead.
 */
export function* queueReports(jobId: number, runId: number, reports: readonly { file: string; to: string }[], files: readonly { name: string }[], now: number): Work<void> {
  const run = (yield* runsTable.get(runId))!;
  const recip = recipOf(run.params);
  for (const r of reports) {
    if (!files.some((f) => f.name === r.file)) continue;
    for (const { channel, target } of (yield* expand([r.to], recip))) {
      if (channel !== 'email') continue;
      yield* notifyTable.enqueue({ event: 'report', job_id: jobId, run_id: runId, channel, target, attach: r.file, dedupe: `report:${runId}:${r.file}:${target.toLowerCase()}` }, now);
    }
  }
}
