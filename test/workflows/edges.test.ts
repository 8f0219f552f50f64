/**
 * Edges of workflows found in review: re-runs around parents and groups,
 * times of groups while their children run, what is refused before it can
 * hurt (shell syntax in a runtime, regular expressions, nesting that would
 * exhaust the stack, results that grow once written as JSON).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine, rejection, until } from '../helpers/engine';
import { tempDir } from '../helpers/temp';
import { createWorkflow, readRun, runWorkflow } from '../helpers/workflow';

describe('workflow edges', () => {
  it('re-runs the failed tasks under a parent cancelled while its subtask ran: the run ends by its tasks, none stays RUNNING', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const marker = join(tempDir(), 'go');
    const wait = `while [ ! -f ${marker} ]; do sleep 0.05; done`;
    const job = await createWorkflow(client, 'cancelled-parent', { tasks: [{ name: 'p', script: 'true', subtasks: [{ name: 'c', script: wait }] }] });
    const run = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => (await client.call('runs.tasks', { id: run.id })).find((t) => t.path === '#.p.c')?.status === 'RUNNING');
    await client.call('runs.cancel', { id: run.id });
    expect((await engine.waitForRun(run.id)).status).toBe('CANCELLED');
    writeFileSync(marker, '');
    await client.call('runs.rerun', { id: run.id, failed: true });
    const again = await readRun(client, await engine.waitForRun(run.id));
    expect(again.run.status).toBe('SUCCEEDED');
    expect(again.tasks.get('#.p')).toMatchObject({ status: 'SUCCEEDED', reused: true });
    expect(again.tasks.get('#.p.c')).toMatchObject({ status: 'SUCCEEDED', round: 1 });
  });

  it('keeps a parent whose own script failed as FAILED when one of its subtasks is re-run by path', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'failed-parent', { tasks: [{ name: 'p', script: 'exit 2', subtasks: [{ name: 'c', script: 'true' }] }] });
    const first = await runWorkflow(engine, client, job.id);
    expect(first.run.status).toBe('FAILED');
    await client.call('runs.rerun', { id: first.run.id, task: '#.p.c' });
    const again = await readRun(client, await engine.waitForRun(first.run.id));
    expect(again.run).toMatchObject({ status: 'FAILED', failure: 'TASK_FAILED' });
    expect(again.tasks.get('#.p')).toMatchObject({ status: 'FAILED', failure: 'EXIT' });
    expect(again.tasks.get('#.p.c')!.status).toBe('SUCCEEDED');
  });

  it('re-evaluates the condition of a skipped group when the failed tasks are re-run', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'skipped-group', {
      tasks: [{ name: 'g', condition: 'false', subtasks: [{ name: 'c', script: 'echo RAN-C' }] }, { name: 'bad', script: 'exit 1' }],
    });
    const first = await runWorkflow(engine, client, job.id);
    expect(first.tasks.get('#.g')!.status).toBe('SKIPPED');
    await client.call('runs.rerun', { id: first.run.id, failed: true });
    const again = await readRun(client, await engine.waitForRun(first.run.id));
    expect(again.lines.some((l) => l.includes('RAN-C') && l.includes('stdout'))).toBe(false);
    expect(again.tasks.get('#.g')).toMatchObject({ status: 'SKIPPED', note: 'skipped: condition false is false' });
    expect(again.tasks.get('#.g.c')!.status).toBe('SKIPPED');
  });

  it('gives a group its start as soon as its first child starts', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'group-start', { tasks: [{ name: 'g', subtasks: [{ name: 'c', script: 'sleep 1' }] }] });
    const run = await client.call('runs.trigger', { jobId: job.id });
    const tasks = await until(async () => {
      const list = await client.call('runs.tasks', { id: run.id });
      return list.find((t) => t.path === '#.g.c')?.status === 'RUNNING' ? list : null;
    });
    const group = tasks.find((t) => t.path === '#.g')!;
    const child = tasks.find((t) => t.path === '#.g.c')!;
    expect(group.status).toBe('RUNNING');
    expect(group.startedAt).not.toBeNull();
    expect(Date.parse(group.startedAt!)).toBeLessThanOrEqual(Date.parse(child.startedAt!));
    await engine.waitForRun(run.id);
  });

  it('refuses a runtime with shell syntax, a regular expression in a condition, and a tree nested too deep, naming the field', async () => {
    const { client } = openEngine({ scheduler: false });
    const shell = await rejection(createWorkflow(client, 'x', { tasks: [{ name: 'a', runtime: 'sh {script} | cat', script: 'true' }] }));
    expect(shell).toMatchObject({ code: 'VALIDATION_FAILED', field: 'workflow.tasks.0.runtime' });
    expect(shell.message).toMatch(/shell syntax/);
    const regex = await rejection(createWorkflow(client, 'x', { tasks: [{ name: 'a', script: 'true', condition: 'params.x.matches("^(a+)+$")' }] }));
    expect(regex).toMatchObject({ code: 'VALIDATION_FAILED', field: 'workflow.tasks.0.condition' });
    expect(regex.message).toMatch(/matches\(\) is not available/);
    let deep: Record<string, unknown> = { name: 'leaf', script: 'true' };
    for (let i = 0; i < 500; i++) deep = { name: `n${i}`, subtasks: [deep] };
    const nested = await rejection(createWorkflow(client, 'x', { tasks: [deep as never] }));
    expect(nested.code).toBe('VALIDATION_FAILED');
    expect(nested.message).toMatch(/at most 10 levels/);
    expect((await client.call('jobs.list', {})).total).toBe(0);
  });

  it('refuses a ::return that outgrows the limit once written as JSON', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const script = `printf '::return ['; i=0; while [ $i -lt 11999 ]; do printf '1e20,'; i=$((i+1)); done; echo '1e20]'`;
    const job = await createWorkflow(client, 'grows', { tasks: [{ name: 'a', script }] });
    const { tasks, lines } = await runWorkflow(engine, client, job.id);
    expect(tasks.get('#.a')!.result).toEqual({ exitCode: 0 });
    expect(lines).toContain('#.a system: Ignored: ::return value is larger than 60 KB once written as JSON');
  });

  it("refuses to re-run a run whose job was archived or is no longer a workflow", async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'changing', { tasks: [{ name: 'a', script: 'true' }] });
    const { run } = await runWorkflow(engine, client, job.id);
    await client.call('jobs.update', { id: job.id, changes: { script: 'true', runtime: 'sh' } });
    expect((await rejection(client.call('runs.rerun', { id: run.id, task: '#.a' }))).message).toMatch(/no longer a workflow/);
    await client.call('jobs.archive', { id: job.id });
    expect((await rejection(client.call('runs.rerun', { id: run.id, task: '#.a' }))).message).toMatch(/archived/);
  });
});
