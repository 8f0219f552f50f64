/**
 * Notifications in the console's stores against a real engine (through the
 * in-process client): the job editor's rules form and its errors by event,
 * and the Notifications screen's store (groups, webhooks' secret once,
 * settings, test sends, the delivery log and a run's deliveries).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { openEngine, until } from '../../test/helpers/engine';
import { startSmtp, stopAllSmtp } from '../../test/helpers/smtp';
import { notifyErrorsByEvent, notifyFormFrom, notifyFromForm, specFromForm, formFromJob, validate } from '../src/screens/jobForm';
import { useConnectionStore } from '../src/stores/connectionStore';
import { jobEditorSelectors, useJobEditorStore } from '../src/stores/jobEditorStore';
import { useJobsStore } from '../src/stores/jobsStore';
import { useNotifyStore } from '../src/stores/notifyStore';
import { afterEach } from 'vitest';

function connect(role: 'superadmin' | 'admin' | 'viewer' = 'superadmin') {
  const t = openEngine();
  useConnectionStore.setState({ client: t.client, status: 'ready', user: { name: 'tester', role, expiresAt: null } });
  return t;
}

const notify = () => useNotifyStore.getState();

beforeEach(() => {
  useNotifyStore.setState({ settings: null, groups: [], webhooks: [], deliveries: [], status: '', errors: {}, fields: {}, tests: {}, busy: {}, secret: null, run: null });
  useJobsStore.setState({ jobs: [], groups: [], loaded: false });
  useJobEditorStore.getState().close();
});
afterEach(() => stopAllSmtp());

describe('the job form: notification rules', () => {
  it('turns targets typed per event into one rule per event, in the events order, numbers defaulted', () => {
    const f = notifyFormFrom(null);
    expect(notifyFromForm(f, null)).toBeNull();
    f.targets.recovery = 'ops';
    f.targets.failure = ' ops, ann@example.com ,, webhook:chat ';
    f.longSeconds = '600';
    expect(notifyFromForm(f, null)).toEqual({
      rules: [
        { event: 'failure', to: ['ops', 'ann@example.com', 'webhook:chat'] },
        { event: 'recovery', to: ['ops'] },
      ],
      afterFailures: 1,
      followUpHours: 1,
      longRunning: { seconds: 600 },
    });
  });

  it('leaves loaded rules as they were while the form is untouched, and keeps the fields it does not show', () => {
    const base = { rules: [{ event: 'failure' as const, to: ['a@example.com'] }, { event: 'failure' as const, to: ['ops'] }], afterFailures: 2, followUpHours: 0, lockWaitMinutes: 45 };
    const f = notifyFormFrom(base);
    expect(f.targets.failure).toBe('a@example.com, ops');
    expect(notifyFromForm(f, base)).toBe(base);
    const changed = notifyFromForm({ ...f, followUpHours: '4' }, base);
    expect(changed).toEqual({ rules: [{ event: 'failure', to: ['a@example.com', 'ops'] }], afterFailures: 2, followUpHours: 4, lockWaitMinutes: 45 });
  });

  it('says a bad target beside its event, naming it', () => {
    const form = formFromJob(null);
    form.name = 'n';
    form.notify.targets.success = 'ops';
    form.notify.targets.missed = 'ann@example.com, not a target!';
    form.notify.afterFailures = '0';
    const spec = specFromForm(form);
    const errors = validate(spec);
    expect(Object.keys(errors)).toEqual(expect.arrayContaining(['notify.rules.1.to.1', 'notify.afterFailures']));
    const byEvent = notifyErrorsByEvent(spec.notify, errors);
    expect(byEvent.missed).toMatch(/^not a target!: a target is/);
    expect(byEvent.success).toBeUndefined();
  });

  it('saves the rules through jobs.update, and reads them back into the form', async () => {
    const { client } = connect();
    await notify().setGroup('ops', ['ops@example.com']);
    const job = await client.call('jobs.create', { name: 'nightly', script: 'true', schedule: { kind: 'manual' } });
    const editor = () => useJobEditorStore.getState();
    editor().open(job.id);
    await until(() => editor().job?.id === job.id);
    expect(editor().form.notify.targets.failure).toBe('');
    editor().setField('notify', { ...editor().form.notify, targets: { ...editor().form.notify.targets, failure: 'ops, desktop' }, longFactor: '2' });
    await editor().save();
    await until(() => editor().job?.revision === job.revision + 1 || editor().alert !== null);
    expect(editor().alert).toBeNull();
    expect(editor().job!.notify).toEqual({ rules: [{ event: 'failure', to: ['ops', 'desktop'] }], afterFailures: 1, followUpHours: 1, longRunning: { factor: 2 } });
    expect(editor().form.notify.targets.failure).toBe('ops, desktop');
    expect(jobEditorSelectors.dirty(editor())).toBe(false);
    // Clearing every rule saves rules: [] (the job had some), not a change for nothing.
    editor().setField('notify', { ...editor().form.notify, targets: { ...editor().form.notify.targets, failure: '' } });
    await editor().save();
    await until(() => editor().job?.revision === job.revision + 2 || editor().alert !== null);
    expect(editor().job!.notify!.rules).toEqual([]);
  });
});

describe('the notifications store', () => {
  it('adds, edits and removes groups; a bad member is said by its place', async () => {
    connect();
    expect(await notify().setGroup('ops', ['a@example.com'])).toBe(true);
    expect(await notify().setGroup('ops', ['a@example.com', 'b@example.com'])).toBe(true);
    expect(notify().groups).toEqual([{ name: 'ops', members: ['a@example.com', 'b@example.com'] }]);
    expect(await notify().setGroup('bad', ['a@example.com', 'nonsense'])).toBe(false);
    expect(notify().fields.groups).toHaveProperty('members.1');
    expect(await notify().setGroup('no spaces', [])).toBe(false);
    expect(notify().fields.groups).toHaveProperty('name');
    await notify().removeGroup('ops');
    expect(notify().groups).toEqual([]);
  });

  it('adds a webhook with its secret shown once, and removes it', async () => {
    connect();
    expect(await notify().addWebhook({ name: 'chat', url: 'http://127.0.0.1:9/hook', style: 'slack' })).toBe(true);
    expect(notify().secret?.name).toBe('chat');
    expect(notify().secret?.secret.length).toBeGreaterThan(10);
    notify().forgetSecret();
    await notify().load();
    expect(notify().webhooks.map((w) => w.name)).toEqual(['chat']);
    expect(notify().secret).toBeNull();
    expect(await notify().addWebhook({ name: 'x', url: 'ftp://host', style: 'json' })).toBe(false);
    expect(notify().fields.webhooks).toHaveProperty('url');
    await notify().removeWebhook('chat');
    expect(notify().webhooks).toEqual([]);
  });

  it('saves SMTP settings (password shown masked), sends a test mail with the server answer, and lists deliveries of a run', async () => {
    const { client } = connect();
    const smtp = await startSmtp({ user: { name: 'u', password: 'secret' } });
    expect(await notify().saveSmtp({ url: smtp.url, from: 'jobdeck@example.com', allowSelfSigned: false })).toBe(true);
    expect(notify().settings?.smtp?.url).toBe(`smtp://u:***@127.0.0.1:${smtp.port}`);
    expect(await notify().saveSmtp({ url: 'http://x', from: 'jobdeck@example.com', allowSelfSigned: false })).toBe(false);
    expect(notify().fields.settings).toHaveProperty('smtp.url');
    await notify().test({ email: 'ann@example.com' });
    expect(notify().tests.email).toMatchObject({ ok: true, answer: expect.stringMatching(/^250/) });
    expect(smtp.mails).toHaveLength(1);

    const job = await client.call('jobs.create', { name: 'broken', script: 'exit 3', schedule: { kind: 'manual' }, notify: { rules: [{ event: 'failure', to: ['ann@example.com'] }] } });
    const run = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => {
      await notify().loadRun(run.id);
      return notify().run?.items[0]?.status === 'sent';
    });
    expect(notify().run).toMatchObject({ runId: run.id, items: [{ event: 'failure', target: 'ann@example.com', attempts: 1 }] });
    await notify().setStatus('failed');
    expect(notify().deliveries).toEqual([]);
    await notify().setStatus('sent');
    expect(notify().deliveries.map((d) => d.runId)).toEqual([run.id]);
    notify().closeRun();
    expect(notify().run).toBeNull();
  });

  it('reads for a viewer only what a viewer may: groups and deliveries, no settings or webhooks', async () => {
    connect('viewer');
    await notify().load();
    expect(notify().settings).toBeNull();
    expect(notify().errors).toEqual({ groups: undefined, deliveries: undefined });
  });
});
