/**
 * The job editor's store against a real engine (through the in-process
 * client): validation, dirty tracking, saving, conflicts and archiving,
 * without a browser.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { openEngine, until } from '../../test/helpers/engine';
import { useConnectionStore } from '../src/stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../src/stores/jobEditorStore';
import { useJobsStore } from '../src/stores/jobsStore';

function connect() {
  const t = openEngine();
  useConnectionStore.setState({ client: t.client, status: 'ready', user: { name: 'tester', role: 'superadmin', expiresAt: null } });
  return t;
}

const editor = () => useJobEditorStore.getState();
const opened = async (id: number) => {
  editor().open(id);
  await until(() => editor().job?.id === id || editor().loadError !== null);
};

beforeEach(() => {
  useJobsStore.setState({ jobs: [], groups: [], loaded: false });
  editor().close();
});

describe('job editor store', () => {
  it('checks a new job before sending it: schema errors by field, and a taken name', async () => {
    const { client } = connect();
    await client.call('jobs.create', { name: 'Existing', script: 'true' });
    editor().open(null);
    await until(() => useJobsStore.getState().loaded);
    expect(jobEditorSelectors.dirty(editor())).toBe(false);
    editor().setField('name', 'too often');
    editor().setField('interval', '301');
    expect(jobEditorSelectors.dirty(editor())).toBe(true);
    await editor().save();
    expect(editor().errors['schedule.seconds']).toBe('interval must be at most 300 seconds');
    expect(editor().alert?.text).toContain('Some fields need attention');
    editor().setField('interval', '60');
    editor().setField('name', 'EXISTING');
    expect(jobEditorSelectors.nameError(useJobsStore.getState().jobs)(editor())).toBe('A job named "EXISTING" already exists');
    await editor().save();
    expect(editor().alert?.text).toContain('Some fields need attention');
    expect((await client.call('jobs.list', {})).items.map((j) => j.name)).toEqual(['Existing']);
  });

  it('saves only what changed, tracks dirtiness against the saved job, and offers a reload on a conflict', async () => {
    const { client } = connect();
    const job = await client.call('jobs.create', { name: 'edit me', script: 'true', schedule: { kind: 'manual' } });
    await opened(job.id);
    // Its own name is not "taken".
    expect(jobEditorSelectors.nameError(useJobsStore.getState().jobs)(editor())).toBeUndefined();
    editor().setField('description', 'changed');
    expect(jobEditorSelectors.dirty(editor())).toBe(true);
    editor().setField('description', '');
    expect(jobEditorSelectors.dirty(editor())).toBe(false);
    editor().addParam();
    editor().setParam(editor().form.params[0]!.key, { name: 'region', value: 'eu' });
    await editor().save();
    expect(editor().alert).toBeNull();
    expect(editor().job?.revision).toBe(job.revision + 1);
    expect(editor().job?.paramValues).toEqual({ region: 'eu' });
    expect(jobEditorSelectors.dirty(editor())).toBe(false);
    expect(editor().busy).toBe(false);

    // Someone else saves meanwhile: the editor says so and reloads on request.
    await client.call('jobs.update', { id: job.id, ifRevision: editor().job!.revision, changes: { description: 'theirs' } });
    editor().setField('group', 'mine');
    await editor().save();
    expect(editor().alert?.conflict).toBe(true);
    await editor().reload();
    expect(editor().alert).toBeNull();
    expect(editor().form.description).toBe('theirs');
    expect(editor().form.group).toBe('');
  });

  it('archives and unarchives the open job; a viewer cannot save', async () => {
    const { client } = connect();
    const job = await client.call('jobs.create', { name: 'shelve me', script: 'true' });
    await opened(job.id);
    await editor().toggleArchived();
    expect(editor().job?.archived).toBe(true);
    await editor().toggleArchived();
    expect(editor().job?.archived).toBe(false);

    useConnectionStore.setState({ user: { name: 'reader', role: 'viewer', expiresAt: null } });
    editor().setField('description', 'not allowed');
    await editor().save();
    expect((await client.call('jobs.get', { id: job.id })).description).toBe('');
  });

  it('starts each visit from a fresh form and drops answers for a job no longer open', async () => {
    const { client } = connect();
    const a = await client.call('jobs.create', { name: 'a', script: 'true' });
    const b = await client.call('jobs.create', { name: 'b', script: 'true' });
    // The answer for job a arrives after the one for b.
    let aAnswered = false;
    const slow: typeof client = {
      ...client,
      call: (async (method: string, input: { id?: number }) => {
        const out = await (client.call as (m: string, i: unknown) => Promise<unknown>)(method, input);
        if (method === 'jobs.get' && input.id === a.id) {
          await new Promise((r) => setTimeout(r, 100));
          aAnswered = true;
        }
        return out;
      }) as typeof client.call,
    };
    useConnectionStore.setState({ client: slow });
    editor().open(a.id);
    editor().open(b.id);
    await until(() => aAnswered && editor().job !== null);
    expect(editor().job?.name).toBe('b');
    editor().close();
    expect(jobEditorSelectors.openFor(b.id)(editor())).toBe(false);
    editor().open(null);
    expect(editor().job).toBeNull();
    expect(editor().form.name).toBe('');
  });
});
