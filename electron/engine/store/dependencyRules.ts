/**
 * Dependencies between jobs, decided inside the transaction that acts on
 * them. A job waiting for others (`after`, no gate) is queued once every one
 * of them has finished, with the status asked for, since its own last run;
 * the decision is made from stored runs, so whichever process ended the
 * last of them, and after a crash, the next evaluation finds it. A gated
 * job's scheduled fire runs only if each dependency succeeded within the
 * window; otherwise its run is recorded as skipped, with the reason.
 */
import { JobdeckError } from '../../../shared/errors';
import type { Dependency } from '../../../shared/model/job';
import { appendSystemLine, endRun } from './runEnds';
import { insertRun } from './runRules';
import type { JobRow, RunRow } from './rows';
import { auditTable } from './tables/auditTable';
import { jobsTable } from './tables/jobsTable';
import { runsTable } from './tables/runsTable';
import type { Work } from './work';

const minutes = (ms: number) => Math.round(ms / 60_000);

/** Queues the dependents whose dependencies have all finished since their last run. */
export function* queueDueDependents(owner: string, now: number): Work<RunRow[]> {
  const queued: RunRow[] = [];
  for (const job of (yield* jobsTable.dependents())) {
    if ((yield* runsTable.active(job.id)).length > 0) continue;
    const since = Math.max(job.created_at, (yield* runsTable.latestQueuedAt(job.id)) ?? 0);
    const found: string[] = [];
    let ready = true;
    for (const dep of JSON.parse(job.after_deps) as Dependency[]) {
      const other = yield* jobsTable.getByName(dep.job);
      const run = other && (yield* runsTable.finishedSince(other.id, since, dep.status ?? null));
      if (!run) {
        ready = false;
        break;
      }
      found.push(`${other.name} (run ${run.id} ${run.status})`);
    }
    if (!ready) continue;
    let row: RunRow;
    try {
      row = yield* insertRun({ jobId: job.id, trigger: 'dependency', by: 'dependency' }, owner, now);
    } catch (err) {
      // Refused by its own rules (a required parameter without a value): it waits until that is fixed.
      if (err instanceof JobdeckError) continue;
      throw err;
    }
    const seq = yield* appendSystemLine(row.id, now, `Triggered: every job it waits for has finished: ${found.join(', ')}`);
    yield* runsTable.raiseLastSeq(row.id, seq);
    yield* auditTable.add({ at: now, actor: 'dependency', action: 'run.dependency', targetType: 'run', targetId: row.id, targetName: job.name, jobId: job.id, details: { after: found } });
    queued.push((yield* runsTable.get(row.id))!);
  }
  return queued;
}

/** Why a gated job's fire must not run (a dependency has not succeeded within the window), or null. */
export function* gateProblem(job: JobRow, at: number): Work<string | null> {
  if (job.gate_minutes === null) return null;
  const since = at - job.gate_minutes * 60_000;
  for (const dep of JSON.parse(job.after_deps) as Dependency[]) {
    const other = yield* jobsTable.getByName(dep.job);
    if (!other) return `it waits for ${dep.job}, which no longer exists`;
    if (yield* runsTable.finishedSince(other.id, since, 'SUCCEEDED')) continue;
    const last = yield* runsTable.lastFinished(other.id);
    const lastText = last ? `its last run ${last.id} ${last.status} ${minutes(at - last.finished_at)} min before` : 'it has never run';
    return `${other.name} has not succeeded in the last ${job.gate_minutes} min (${lastText})`;
  }
  return null;
}

/** Records a gated fire that may not run: a run ended at once as skipped, saying why. */
export function* recordSkippedFire(run: RunRow, why: string, now: number): Work<RunRow> {
  const seq = yield* appendSystemLine(run.id, now, `Skipped: ${why}`);
  yield* endRun({
    runId: run.id,
    jobId: run.job_id,
    end: { status: 'CANCELLED', failure: 'SKIPPED', finishedAt: now, exitCode: null, signal: null, error: `skipped: ${why}`, lastSeq: seq, resultFile: null },
    files: [],
    lock: null,
    retry: null,
  });
  yield* auditTable.add({ at: now, actor: 'scheduler', action: 'run.skipped', targetType: 'run', targetId: run.id, targetName: run.job_name, jobId: run.job_id, details: { why } });
  return (yield* runsTable.get(run.id))!;
}
