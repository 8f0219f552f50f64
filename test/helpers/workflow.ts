/** Helpers for workflow tests: a workflow job, a run of it, its tasks and their logs. */
import { expect } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import type { Run } from '../../shared/model/run';
import type { TaskRun, WorkflowSpec } from '../../shared/model/workflow';
import type { Engine } from '../../electron/engine/engine';

export interface WorkflowRunResult {
  run: Run;
  tasks: Map<string, TaskRun>;
  lines: string[];
}

export async function createWorkflow(client: JobdeckClient, name: string, workflow: WorkflowSpec, extra: Record<string, unknown> = {}) {
  return client.call('jobs.create', { name, schedule: { kind: 'manual' }, workflow, ...extra });
}

/** Reads a finished run's tasks and log (every line as `path stream: text`), checking the time rule on the way. */
export async function readRun(client: JobdeckClient, run: Run): Promise<WorkflowRunResult> {
  const list = await client.call('runs.tasks', { id: run.id });
  const logs = await client.call('runs.logs', { id: run.id, limit: 10_000 });
  const tasks = new Map(list.map((t) => [t.path, t]));
  expectConsistentTimes(list);
  return { run, tasks, lines: logs.lines.map((l) => `${l.task ?? '-'} ${l.stream}: ${l.text}`) };
}

export async function runWorkflow(engine: Engine, client: JobdeckClient, jobId: number, input: { task?: string; params?: Record<string, string> } = {}) {
  const queued = await client.call('runs.trigger', { jobId, ...input });
  return readRun(client, await engine.waitForRun(queued.id));
}

/** A parent starts no later than its children and ends no earlier. */
export function expectConsistentTimes(tasks: readonly TaskRun[]): void {
  const byPath = new Map(tasks.map((t) => [t.path, t]));
  for (const t of tasks) {
    if (!t.parent || t.startedAt === null) continue;
    const p = byPath.get(t.parent)!;
    expect(p.startedAt, `${p.path} started`).not.toBeNull();
    expect(Date.parse(p.startedAt!), `${p.path} starts no later than ${t.path}`).toBeLessThanOrEqual(Date.parse(t.startedAt));
    if (t.finishedAt && p.finishedAt) expect(Date.parse(p.finishedAt), `${p.path} ends no earlier than ${t.path}`).toBeGreaterThanOrEqual(Date.parse(t.finishedAt));
  }
}

export const ms = (iso: string | null): number => Date.parse(iso!);
