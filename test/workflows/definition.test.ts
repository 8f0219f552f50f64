/**
 * Defining workflows: malformed trees refused with the field path and
 * nothing saved, job references (script and workflow jobs, cycles), paths
 * stable across edits, and export/import round trips.
 */
import { describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../shared/model/workflow';
import { openEngine, rejection } from '../helpers/engine';
import { createWorkflow, runWorkflow } from '../helpers/workflow';

const leaf = (name: string, extra: Partial<TaskSpec> = {}): TaskSpec => ({ name, script: 'true', ...extra });

function nested(depth: number): TaskSpec {
  let t: TaskSpec = leaf(`level${depth}`);
  for (let d = depth - 1; d >= 1; d--) t = { name: `level${d}`, subtasks: [t] };
  return t;
}

describe('workflow definitions', () => {
  it.each([
    ['duplicate sibling names', { tasks: [leaf('a'), leaf('a')] }, 'workflow.tasks.1.name', /already the name of task 1/],
    ['a bad condition', { tasks: [leaf('a', { condition: 'x >' })] }, 'workflow.tasks.0.condition', /condition is not a valid expression/],
    ['a bad onComplete template', { tasks: [leaf('a', { onComplete: '{{ result.rows ' })] }, 'workflow.tasks.0.onComplete', /not a valid template/],
    ['an unknown job', { tasks: [{ name: 'a', job: 'nope' }] }, 'workflow.tasks.0.job', /no job is named "nope"/],
    ['a name with a dot', { tasks: [leaf('a.b')] }, 'workflow.tasks.0.name', /no \. or #/],
    ['depth over 10', { tasks: [nested(11)] }, 'workflow.tasks', /at most 10 levels/],
    ['over 500 tasks', { tasks: Array.from({ length: 501 }, (_, i) => leaf(`t${i}`)) }, 'workflow.tasks', /500/],
    ['a script and a job', { tasks: [{ name: 'a', script: 'true', job: 'x' }] }, 'workflow.tasks.0.job', /not both/],
    ['an unknown field', { tasks: [{ name: 'a', script: 'true', retries: 3 }] }, 'workflow.tasks.0', /retries/],
  ])('refuses %s with the field path, and saves nothing', async (_what, workflow, field, message) => {
    const { client } = openEngine({ scheduler: false });
    const err = await rejection(client.call('jobs.create', { name: 'wf', schedule: { kind: 'manual' }, workflow } as never));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.field).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}`));
    expect(err.message).toMatch(message);
    expect((await client.call('jobs.list', {})).total).toBe(0);
  });

  it('refuses a workflow given as JSON text with the same field paths', async () => {
    const { client } = openEngine({ scheduler: false });
    const err = await rejection(client.call('jobs.create', { name: 'wf', schedule: { kind: 'manual' }, runtime: 'workflow', script: '{"tasks":[{"name":"a","script":"true","condition":"1 +"}]}' }));
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field: 'workflow.tasks.0.condition' });
    const text = await rejection(client.call('jobs.create', { name: 'wf', schedule: { kind: 'manual' }, runtime: 'workflow', script: '{"tasks": [' }));
    expect(text.message).toMatch(/not valid JSON/);
  });

  it('runs referenced jobs: a script job as the task, a workflow job as its subtasks in order', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    await client.call('jobs.create', { name: 'report', schedule: { kind: 'manual' }, script: 'echo "report of $JOBDECK_TASK_PATH"', runtime: 'sh' });
    await createWorkflow(client, 'nightly', { tasks: [leaf('one'), leaf('two')] });
    const job = await createWorkflow(client, 'main', { tasks: [{ name: 'r', job: 'report' }, { name: 'n', job: 'nightly' }] });
    const { run, tasks, lines } = await runWorkflow(engine, client, job.id);
    expect(run.status).toBe('SUCCEEDED');
    expect([...tasks.keys()]).toEqual(['#.r', '#.n', '#.n.one', '#.n.two']);
    expect(tasks.get('#.r')).toMatchObject({ kind: 'job', status: 'SUCCEEDED' });
    expect(lines).toContain('#.r stdout: report of #.r');
    const one = tasks.get('#.n.one')!;
    const two = tasks.get('#.n.two')!;
    expect(Date.parse(one.finishedAt!)).toBeLessThanOrEqual(Date.parse(two.startedAt!));
  });

  it('refuses cycles through job references, also when an edit would close one', async () => {
    const { client } = openEngine({ scheduler: false });
    const a = await createWorkflow(client, 'A', { tasks: [leaf('x')] });
    await createWorkflow(client, 'B', { tasks: [{ name: 'callA', job: 'A' }] });
    const err = await rejection(client.call('jobs.update', { id: a.id, changes: { workflow: { tasks: [{ name: 'callB', job: 'B' }] } } }));
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(err.field).toMatch(/^workflow\.tasks\.0/);
    expect(err.message).toMatch(/cycle/);
    const self = await rejection(client.call('jobs.update', { id: a.id, changes: { workflow: { tasks: [{ name: 'me', job: 'A' }] } } }));
    expect(self.message).toMatch(/cycle/);
    expect((await client.call('jobs.get', { id: a.id })).script).toContain('"x"');
  });

  it('keeps task paths across edits that do not rename them', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'stable', { tasks: [leaf('extract'), { name: 'load', script: 'true', subtasks: [leaf('eu')] }] });
    const first = await runWorkflow(engine, client, job.id);
    await client.call('jobs.update', { id: job.id, changes: { workflow: { tasks: [leaf('prepare'), leaf('extract'), { name: 'load', script: 'true', subtasks: [leaf('us'), leaf('eu')] }] } } });
    const second = await runWorkflow(engine, client, job.id);
    for (const path of first.tasks.keys()) expect(second.tasks.get(path)?.status, path).toBe('SUCCEEDED');
    expect([...second.tasks.keys()]).toEqual(['#.prepare', '#.extract', '#.load', '#.load.us', '#.load.eu']);
  });

  it('round-trips workflows through export and import', async () => {
    const { client } = openEngine({ scheduler: false });
    await client.call('jobs.create', { name: 'report', schedule: { kind: 'manual' }, script: 'true', runtime: 'sh' });
    const wf = { tasks: [{ name: 'r', job: 'report' }, { name: 'load', script: 'true', dest: 'b', subtasks: [leaf('eu', { condition: 'b.exitCode == 0' })] }], maxParallel: 3 };
    const job = await createWorkflow(client, 'wf', wf);
    const doc = await client.call('jobs.export', {});
    const other = openEngine({ scheduler: false });
    // Imported in one go: the workflow's reference resolves to a job of the same document.
    const report = await other.client.call('jobs.import', { document: doc });
    expect(report.created.sort()).toEqual(['report', 'wf']);
    const copy = await other.client.call('jobs.find', { name: 'wf' });
    expect(copy.script).toBe(job.script);
    expect(copy.runtime).toBe('workflow');
    expect(JSON.parse(copy.script)).toEqual(wf);
    // A document whose workflow names a job that exists nowhere is refused whole.
    const broken = { ...doc, jobs: doc.jobs.filter((j) => j.name === 'wf') };
    const fresh = openEngine({ scheduler: false });
    const err = await rejection(fresh.client.call('jobs.import', { document: broken }));
    expect(err.field).toMatch(/^document\.jobs\.0\.workflow\.tasks\.0\.job/);
    expect((await fresh.client.call('jobs.list', {})).total).toBe(0);
  });
});
