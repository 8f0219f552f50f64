/**
 * Re-running inside a finished workflow run (same run id): by path, and from
 * the failed tasks, keeping earlier results (marked reused, not executed
 * again); refusals say why.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine, rejection } from '../helpers/engine';
import { killChild, startEngineChild } from '../helpers/engineChild';
import { tempDir } from '../helpers/temp';
import { createWorkflow, readRun } from '../helpers/workflow';

/** A workflow whose `check` task fails until a marker file exists; every execution is counted in a file. */
async function setUp() {
  const { engine, client } = openEngine({ scheduler: false });
  const dir = tempDir();
  const count = (name: string) => `echo ${name} >> ${join(dir, 'executions')}`;
  const job = await createWorkflow(client, 'etl', {
    tasks: [
      { name: 'extract', script: `${count('extract')}; echo '::return {"rows": 7}'` },
      {
        name: 'load',
        script: count('load'),
        dest: 'loaded',
        subtasks: [
          // Its condition reads its parent's result: in a re-run that result is the kept one.
          { name: 'eu', script: `${count('eu')}; test -f ${join(dir, 'fixed')}`, condition: 'loaded.exitCode == 0' },
          { name: 'us', script: count('us') },
        ],
      },
      { name: 'report', script: `${count('report')}; cat "$JOBDECK_RESULTS_FILE"` },
    ],
  });
  const executions = () => readFileSync(join(dir, 'executions'), 'utf8').trim().split('\n');
  const clear = () => writeFileSync(join(dir, 'executions'), '');
  return { engine, client, job, dir, executions, clear, fix: () => writeFileSync(join(dir, 'fixed'), '') };
}

describe('workflow re-runs', () => {
  it('re-runs from the failed tasks under the same run id, reusing what succeeded', async () => {
    const { engine, client, job, executions, clear, fix } = await setUp();
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const first = await readRun(client, await engine.waitForRun(queued.id));
    expect(first.run).toMatchObject({ status: 'FAILED', failure: 'TASK_FAILED' });
    expect(first.tasks.get('#.report')!.status).toBe('SKIPPED');
    fix();
    clear();
    const reopened = await client.call('runs.rerun', { id: queued.id, failed: true });
    expect(reopened.id).toBe(queued.id);
    const second = await readRun(client, await engine.waitForRun(queued.id));
    expect(second.run).toMatchObject({ id: queued.id, status: 'SUCCEEDED', round: 1, failure: null, error: null });
    // Only what had not succeeded ran again.
    expect(executions().sort()).toEqual(['eu', 'report']);
    expect(second.tasks.get('#.extract')).toMatchObject({ status: 'SUCCEEDED', reused: true, round: 0, result: { rows: 7 } });
    expect(second.tasks.get('#.load.us')).toMatchObject({ status: 'SUCCEEDED', reused: true });
    expect(second.tasks.get('#.load.eu')).toMatchObject({ status: 'SUCCEEDED', reused: false, round: 1 });
    expect(second.tasks.get('#.load')).toMatchObject({ status: 'SUCCEEDED', reused: true });
    expect(second.tasks.get('#.report')).toMatchObject({ status: 'SUCCEEDED', round: 1 });
    // The reused results are handed on as before.
    expect(second.lines.some((l) => l.startsWith('#.report stdout: ') && l.includes('"#.extract":{"rows":7}'))).toBe(true);
    expect(second.lines.some((l) => l.includes('Re-run by tester (round 1): the 2 tasks that did not succeed'))).toBe(true);
    // The log kept growing: the first round's lines are still there, numbered before the second's.
    const seqs = (await client.call('runs.logs', { id: queued.id, limit: 10_000 })).lines.map((l) => l.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    const audit = await client.call('audit.list', {});
    expect(audit.items.some((e) => e.action === 'run.rerun' && e.targetId === String(queued.id))).toBe(true);
  });

  it('re-runs one task by path (and its subtasks), keeping the others as they were', async () => {
    const { engine, client, job, executions, clear, fix } = await setUp();
    fix();
    const queued = await client.call('runs.trigger', { jobId: job.id });
    expect((await engine.waitForRun(queued.id)).status).toBe('SUCCEEDED');
    clear();
    await client.call('runs.rerun', { id: queued.id, task: '#.load' });
    const again = await readRun(client, await engine.waitForRun(queued.id));
    expect(again.run.status).toBe('SUCCEEDED');
    expect(executions().sort()).toEqual(['eu', 'load', 'us']);
    expect(again.tasks.get('#.extract')).toMatchObject({ reused: true, round: 0 });
    expect(again.tasks.get('#.report')).toMatchObject({ reused: true, round: 0 });
    expect(again.tasks.get('#.load.eu')).toMatchObject({ reused: false, round: 1 });
  });

  it('refuses a re-run that cannot be done, saying why', async () => {
    const { engine, client, job, fix } = await setUp();
    fix();
    const queued = await client.call('runs.trigger', { jobId: job.id });
    await engine.waitForRun(queued.id);
    expect(await rejection(client.call('runs.rerun', { id: queued.id, failed: true }))).toMatchObject({ code: 'INVALID_STATE', field: 'failed' });
    expect(await rejection(client.call('runs.rerun', { id: queued.id, task: '#.nope' }))).toMatchObject({ code: 'NOT_FOUND', field: 'task' });
    expect(await rejection(client.call('runs.rerun', { id: 999, failed: true }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await rejection(client.call('runs.rerun', { id: queued.id } as never))).toMatchObject({ code: 'VALIDATION_FAILED' });
    const script = await client.call('jobs.create', { name: 'plain', schedule: { kind: 'manual' }, script: 'true', runtime: 'sh' });
    const plain = await client.call('runs.trigger', { jobId: script.id });
    await engine.waitForRun(plain.id);
    expect((await rejection(client.call('runs.rerun', { id: plain.id, failed: true }))).message).toMatch(/not a workflow run/);
  });
});

describe('a workflow run whose engine was killed', () => {
  it('is recorded FAILED interrupted with its running task failed and the rest skipped, and can be re-run from there', async () => {
    const { isAlive } = await import('../helpers/process');
    const { until } = await import('../helpers/engine');
    const dataDir = tempDir();
    const { child, info } = await startEngineChild(dataDir, 'workflow');
    await killChild(child);
    await until(() => info.pids.every((pid) => !isAlive(pid)), 10_000, 'the orphaned task to be stopped');

    const { engine, client } = openEngine({ dataDir });
    const run = await client.call('runs.get', { id: info.runId });
    expect(run).toMatchObject({ status: 'FAILED', failure: 'INTERRUPTED' });
    const tasks = new Map((await client.call('runs.tasks', { id: run.id })).map((t) => [t.path, t]));
    expect(tasks.get('#.first')!.status).toBe('SUCCEEDED');
    expect(tasks.get('#.slow')).toMatchObject({ status: 'FAILED', failure: 'INTERRUPTED' });
    expect(tasks.get('#.after')).toMatchObject({ status: 'SKIPPED', note: 'not reached: the run was interrupted' });
    expect((await client.call('runs.logs', { id: run.id, task: '#.slow' })).lines.some((l) => l.text.startsWith('pids '))).toBe(true);
    // Re-run from the failed task; the slow task is stopped by a cancel this time.
    await client.call('runs.rerun', { id: run.id, failed: true });
    await until(async () => (await client.call('runs.tasks', { id: run.id })).find((t) => t.path === '#.slow')!.status === 'RUNNING');
    await client.call('runs.cancel', { id: run.id });
    const again = await engine.waitForRun(run.id);
    expect(again).toMatchObject({ status: 'CANCELLED', round: 1 });
    const after = new Map((await client.call('runs.tasks', { id: run.id })).map((t) => [t.path, t]));
    expect(after.get('#.first')).toMatchObject({ status: 'SUCCEEDED', reused: true });
    expect(after.get('#.slow')!.status).toBe('CANCELLED');
  });
});
