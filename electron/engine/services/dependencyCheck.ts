/**
 * Checks a job's dependencies before it is saved: the jobs it waits for
 * exist, it does not wait for itself or twice for the same job, a gate goes
 * with a schedule and at least one dependency, and triggers do not go round
 * in a circle (A after B after A would run forever).
 */
import { JobdeckError } from '../../../shared/errors';
import type { Dependency, JobSpec } from '../../../shared/model/job';

export interface DependencyInfo {
  name: string;
  after: Dependency[];
  gated: boolean;
}

const invalid = (field: string, message: string) => new JobdeckError('VALIDATION_FAILED', `${field}: ${message}`, field);

export function checkDependencies(spec: Pick<JobSpec, 'name' | 'after' | 'gate' | 'schedule'>, lookup: (name: string) => DependencyInfo | undefined, prefix = ''): void {
  const after = spec.after ?? [];
  const seen = new Set<string>();
  after.forEach((dep, i) => {
    const key = dep.job.toLowerCase();
    if (key === spec.name.toLowerCase()) throw invalid(`${prefix}after.${i}.job`, 'a job cannot wait for itself');
    if (seen.has(key)) throw invalid(`${prefix}after.${i}.job`, `"${dep.job}" is listed twice`);
    seen.add(key);
    if (!lookup(dep.job)) throw invalid(`${prefix}after.${i}.job`, `no job is named "${dep.job}"`);
  });
  if (spec.gate) {
    if (after.length === 0) throw invalid(`${prefix}gate`, 'a gate needs the jobs to wait for (after)');
    if (spec.schedule.kind === 'manual') throw invalid(`${prefix}gate`, 'a gate applies at scheduled times: give the job an interval or cron schedule');
    return;
  }
  // Triggers in a circle: walk what the jobs it waits for wait for (bounded by the jobs visited).
  const start = spec.name.toLowerCase();
  const visited = new Set<string>();
  const stack = after.map((d) => d.job);
  while (stack.length) {
    const name = stack.pop()!;
    const key = name.toLowerCase();
    if (visited.has(key)) continue;
    visited.add(key);
    const info = lookup(name);
    if (!info || info.gated) continue;
    for (const d of info.after) {
      if (d.job.toLowerCase() === start) {
        throw invalid(`${prefix}after`, `${info.name} already waits for ${spec.name}: waiting for each other would trigger runs without end`);
      }
      stack.push(d.job);
    }
  }
}
