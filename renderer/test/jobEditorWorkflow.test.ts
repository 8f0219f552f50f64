/**
 * A workflow job in the job editor, without a browser: the definition's
 * problems keyed by the field path the server names (checked before sending
 * where the schemas can, by the engine where they cannot), pointed at their
 * line in the JSON; and the task paths a run of one task offers.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { workflowText } from '../../shared/model/workflow';
import { openEngine, until } from '../../test/helpers/engine';
import { lineOf, locateJsonPath, workflowErrorLine } from '../src/lib/jsonLocate';
import { checkDefinition, exampleWorkflowText } from '../src/lib/workflowDefinition';
import { useConnectionStore } from '../src/stores/connectionStore';
import { useJobEditorStore } from '../src/stores/jobEditorStore';
import { useJobsStore } from '../src/stores/jobsStore';

const editor = () => useJobEditorStore.getState();

const definition = workflowText({
  tasks: [
    { name: 'load', script: 'echo load', dest: 'batch', subtasks: [{ name: 'eu', script: 'echo eu', condition: 'batch.rows > 0' }] },
    { name: 'report', script: 'echo report', condition: 'params.region == "eu"' },
  ],
});

describe('locating a field in JSON text', () => {
  it('finds the line of a path, the deepest part of a missing one, and a syntax error position', () => {
    const lines = definition.split('\n');
    const lineWith = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
    expect(workflowErrorLine(definition, 'workflow.tasks.1.condition')).toBe(lineWith('params.region'));
    expect(workflowErrorLine(definition, 'workflow.tasks.0.subtasks.0.condition')).toBe(lineWith('batch.rows > 0'));
    expect(workflowErrorLine(definition, 'workflow.tasks.1.retry')).toBe(lineWith('"name": "report"') - 1);
    expect(locateJsonPath('{"a": [1, {"b": "x\\"y"}]}', ['a', 1, 'b'])).toBe(11);
    expect(locateJsonPath('{"a": [1, 2', ['a', 5])).toBe(6);
    expect(locateJsonPath('{"x": {"y" 1}, "a": 2}', ['a'])).toBeNull();
    expect(lineOf('a\nb\nc', 4)).toBe(3);
    expect(workflowErrorLine('{\n  "tasks": [\n  }', 'workflow', 'not valid JSON (Unexpected token at position 16)')).toBe(3);
  });

  it('lists the task paths of a definition, and says why text is not one', () => {
    const checked = checkDefinition(definition);
    expect(checked).toEqual({ ok: true, count: 3, depth: 2, paths: ['#.load', '#.load.eu', '#.report'] });
    expect(checkDefinition(exampleWorkflowText()).ok).toBe(true);
    expect(checkDefinition('echo hi')).toMatchObject({ ok: false, field: 'workflow' });
    expect(checkDefinition('{"tasks": [{"name": "a.b", "script": "x"}]}')).toMatchObject({ ok: false, field: 'workflow.tasks.0.name' });
  });
});

describe('job editor with a workflow', () => {
  beforeEach(() => {
    useJobsStore.setState({ jobs: [], groups: [], loaded: false });
    editor().close();
  });

  it('names each problem by its field path: shape before sending, conditions and references from the engine', async () => {
    const t = openEngine();
    useConnectionStore.setState({ client: t.client, status: 'ready', user: { name: 'tester', role: 'superadmin', expiresAt: null } });
    editor().open(null);
    await until(() => useJobsStore.getState().loaded);
    editor().setField('name', 'etl');
    editor().setField('scheduleKind', 'manual');
    editor().setField('runtime', 'workflow');

    // The shape is checked here: nothing is sent.
    editor().setField('script', '{"tasks": [{"name": "ok", "script": "true"}, {"name": "bad name.", "script": "true"}]}');
    await editor().save();
    expect(editor().errors['workflow.tasks.1.name']).toMatch(/task name/);
    expect((await t.client.call('jobs.list', {})).items).toHaveLength(0);

    // A condition that does not parse is the engine's to find; its answer names the field.
    editor().setField('script', workflowText({ tasks: [{ name: 'a', script: 'true' }, { name: 'b', script: 'true', condition: 'params.x ==' }] }));
    await editor().save();
    expect(Object.keys(editor().errors)).toEqual(['workflow.tasks.1.condition']);
    expect(editor().alert?.text).toMatch(/workflow\.tasks\.1\.condition/);

    editor().setField('script', definition);
    await editor().save();
    const [job] = (await t.client.call('jobs.list', {})).items;
    expect(job).toMatchObject({ name: 'etl', runtime: 'workflow' });

    // Opened again, it is a workflow; a reference to a job that does not exist is refused on update, by path.
    editor().open(job!.id);
    await until(() => editor().job?.id === job!.id);
    expect(editor().form.runtime).toBe('workflow');
    editor().setField('script', workflowText({ tasks: [{ name: 'a', script: 'true', subtasks: [{ name: 'b', job: 'nowhere' }] }] }));
    await editor().save();
    expect(editor().errors['workflow.tasks.0.subtasks.0.job']).toMatch(/no job is named "nowhere"/);
  });
});
