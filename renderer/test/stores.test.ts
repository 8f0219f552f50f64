/**
 * The console's stores against a real engine (through the in-process
 * client of the contract): the logic that lives in stores, without a browser.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobSummary } from '../../shared/model/job';
import { laterRunState, type Run } from '../../shared/model/run';
import { openEngine, until } from '../../test/helpers/engine';
import { useConnectionStore } from '../src/stores/connectionStore';
import { useJobEditorStore } from '../src/stores/jobEditorStore';
import { compareJobs, jobsSelectors, useJobsStore } from '../src/stores/jobsStore';
import { PAGE, useLogStore, withLiveMatches } from '../src/stores/logStore';
import { runMatches, useRunsStore } from '../src/stores/runsStore';

function connect() {
  const t = openEngine();
  useConnectionStore.setState({ client: t.client, status: 'ready', user: { name: 'tester', role: 'superadmin', expiresAt: null } });
  return t;
}

const summary = (over: Partial<JobSummary>): JobSummary =>
  ({
    id: 1,
    name: 'j',
    group: '',
    archived: false,
    enabled: true,
    nextRunAt: null,
    lastRun: null,
    schedule: { kind: 'manual' },
    ...over,
  }) as JobSummary;

beforeEach(() => {
  useJobsStore.setState({ jobs: [], loaded: false, filters: { search: '', group: '', lastStatus: '', archived: 'include' } });
  useRunsStore.setState({ items: [], total: 0, page: 0, filters: { jobId: null, statuses: [], from: '', to: '' } });
  useLogStore.getState().close();
});

describe('jobs store', () => {
  it('orders like the engine and filters by name, group, last status and archived', () => {
    const jobs = [
      summary({ id: 1, name: 'archived', archived: true, nextRunAt: '2026-01-01T00:00:00.000Z' }),
      summary({ id: 2, name: 'later', nextRunAt: '2026-01-01T00:05:00.000Z', group: 'Ops' }),
      summary({ id: 3, name: 'manual' }),
      summary({ id: 4, name: 'disabled', enabled: false, nextRunAt: '2026-01-01T00:00:00.000Z' }),
      summary({ id: 5, name: 'soon', nextRunAt: '2026-01-01T00:01:00.000Z', lastRun: { id: 9, status: 'FAILED', at: '2026-01-01T00:00:00.000Z' } }),
    ].sort(compareJobs);
    expect(jobs.map((j) => j.name)).toEqual(['soon', 'later', 'manual', 'disabled', 'archived']);
    const f = { search: '', group: '', lastStatus: '' as const, archived: 'include' as const };
    expect(jobsSelectors.filtered(jobs, { ...f, search: 'LAT' }).map((j) => j.id)).toEqual([2]);
    expect(jobsSelectors.filtered(jobs, { ...f, group: 'ops' }).map((j) => j.id)).toEqual([2]);
    expect(jobsSelectors.filtered(jobs, { ...f, lastStatus: 'FAILED' }).map((j) => j.id)).toEqual([5]);
    expect(jobsSelectors.filtered(jobs, { ...f, lastStatus: 'NEVER' }).map((j) => j.id)).toEqual([2, 3, 4, 1]);
    expect(jobsSelectors.filtered(jobs, { ...f, archived: 'exclude' })).toHaveLength(4);
    expect(jobsSelectors.filtered(jobs, { ...f, archived: 'only' }).map((j) => j.id)).toEqual([1]);
    expect(jobsSelectors.nameTaken(jobs, ' SOON ')).toBe(true);
    expect(jobsSelectors.nameTaken(jobs, 'soon', 5)).toBe(false);
  });

  it('loads from the engine and follows runs: last run and, for scheduled fires, the next run', async () => {
    const { client, engine } = connect();
    const job = await client.call('jobs.create', { name: 'ticks', script: 'true', schedule: { kind: 'interval', seconds: 10 } });
    await useJobsStore.getState().load();
    expect(useJobsStore.getState().jobs.map((j) => j.name)).toEqual(['ticks']);
    const due = Date.parse(useJobsStore.getState().jobs[0]!.nextRunAt!);
    const run = await client.call('runs.get', { id: (await client.call('runs.trigger', { jobId: job.id })).id });
    useJobsStore.getState().applyRuns([{ ...run, status: 'SUCCEEDED', trigger: 'schedule', dueAt: new Date(due).toISOString(), finishedAt: new Date().toISOString() }]);
    const after = useJobsStore.getState().jobs[0]!;
    expect(after.lastRun).toMatchObject({ id: run.id, status: 'SUCCEEDED' });
    expect(Date.parse(after.nextRunAt!)).toBe(due + 10_000);
    await engine.waitForRun(run.id);
  });
});

describe('runs store', () => {
  it('loads pages with filters, and takes live runs that match', async () => {
    const { client, engine } = connect();
    const ok = await client.call('jobs.create', { name: 'ok', script: 'true', schedule: { kind: 'manual' } });
    const bad = await client.call('jobs.create', { name: 'bad', script: 'exit 1', schedule: { kind: 'manual' } });
    await engine.waitForRun((await client.call('runs.trigger', { jobId: ok.id })).id);
    await engine.waitForRun((await client.call('runs.trigger', { jobId: bad.id })).id);
    await useRunsStore.getState().setFilters({ statuses: ['FAILED'] });
    expect(useRunsStore.getState().items.map((r) => r.jobName)).toEqual(['bad']);
    await useRunsStore.getState().setFilters({ statuses: [], from: '2000-01-01T00:00', to: '2000-01-02T00:00' });
    expect(useRunsStore.getState().items).toEqual([]);
    await useRunsStore.getState().setFilters({ from: '', to: '' });
    expect(useRunsStore.getState().total).toBe(2);
    const newer = await client.call('runs.trigger', { jobId: ok.id });
    useRunsStore.getState().applyRuns([newer]);
    expect(useRunsStore.getState().items[0]!.id).toBe(newer.id);
    expect(useRunsStore.getState().total).toBe(3);
    // A stale snapshot never replaces a finished one.
    const done = await engine.waitForRun(newer.id);
    useRunsStore.getState().applyRuns([done]);
    useRunsStore.getState().applyRuns([newer]);
    expect(useRunsStore.getState().items[0]!.status).toBe('SUCCEEDED');
    expect(runMatches(done, { jobId: bad.id, statuses: [], from: '', to: '' })).toBe(false);
  });

  it('keeps the later of two snapshots of a run', () => {
    const base = { id: 1, status: 'IN_PROGRESS', lastSeq: 5, progress: null } as unknown as Run;
    expect(laterRunState({ ...base, status: 'CANCELLED' }, base).status).toBe('CANCELLED');
    expect(laterRunState(base, { ...base, status: 'SUCCEEDED' }).status).toBe('SUCCEEDED');
    expect(laterRunState({ ...base, status: 'IN_PROGRESS' }, { ...base, status: 'QUEUED' }).status).toBe('IN_PROGRESS');
    expect(laterRunState({ ...base, lastSeq: 9 }, { ...base, lastSeq: 5 }).lastSeq).toBe(9);
  });
});

describe('log store', () => {
  it('pages a long log on demand and follows the live tail in order', async () => {
    const { client, engine } = connect();
    const job = await client.call('jobs.create', {
      name: 'long log',
      script: 'seq 1 3000; echo go; read x < /dev/null; for i in 1 2 3; do echo "live $i"; sleep 0.2; done',
      schedule: { kind: 'manual' },
    });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => (await client.call('runs.logs', { id: queued.id, afterSeq: 3001 })).lines.length > 0);
    const store = useLogStore.getState();
    await store.open(queued.id);
    await until(() => useLogStore.getState().line(useLogStore.getState().count));
    // An old page is fetched when asked for.
    useLogStore.getState().ensure(1000, 1010);
    await until(() => useLogStore.getState().line(1005));
    expect(useLogStore.getState().line(1005)!.text).toBe('1004');
    expect(useLogStore.getState().pages.has(Math.floor(999 / PAGE))).toBe(true);
    const done = await engine.waitForRun(queued.id);
    await until(() => useLogStore.getState().run?.status === 'SUCCEEDED' && useLogStore.getState().count === done.lastSeq);
    const s = useLogStore.getState();
    // The live tail arrived in order, with no gap, into the loaded pages.
    const tail = Array.from({ length: 6 }, (_, i) => s.line(done.lastSeq - 5 + i)?.text);
    expect(tail.slice(1, 5)).toEqual(['go', 'live 1', 'live 2', 'live 3']);
    await s.find('LIVE 2');
    expect(useLogStore.getState().search.seqs).toHaveLength(1);
    expect(useLogStore.getState().line(useLogStore.getState().search.seqs[0]!)?.text).toBe('live 2');
    useLogStore.getState().close();
  });
  it('counts search matches in lines that arrive after the search, as the engine would', async () => {
    const { client, engine } = connect();
    const job = await client.call('jobs.create', {
      name: 'counter',
      script: 'for i in 1 2 3 4 5 6; do echo "Tick $i"; echo other; sleep 0.15; done',
      schedule: { kind: 'manual' },
    });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => (await client.call('runs.logs', { id: queued.id, afterSeq: 0 })).lines.some((l) => l.text === 'Tick 1'));
    await useLogStore.getState().open(queued.id);
    await useLogStore.getState().find('TICK');
    const before = useLogStore.getState().search.seqs.length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(6);
    const done = await engine.waitForRun(queued.id);
    await until(() => useLogStore.getState().count === done.lastSeq);
    const found = await client.call('runs.search', { id: queued.id, text: 'TICK' });
    expect(useLogStore.getState().search.seqs).toEqual(found.seqs);
    expect(found.seqs).toHaveLength(6);
    useLogStore.getState().close();
  });

  it('adds a live line once, after the matches found, ASCII case folded like SQLite, never to a truncated result', () => {
    const line = (seq: number, text: string) => ({ seq, text, stream: 'stdout' as const, ts: '2026-01-01T00:00:00.000Z' });
    const search = { text: 'Fail', seqs: [3], index: 0, truncated: false, busy: false };
    const next = withLiveMatches(search, [line(3, 'FAIL again'), line(4, 'ok'), line(5, 'a failure'), line(6, 'FÄIL')]);
    expect(next.seqs).toEqual([3, 5]);
    expect(withLiveMatches(next, [line(5, 'a failure')]).seqs).toEqual([3, 5]);
    expect(withLiveMatches({ ...search, truncated: true }, [line(9, 'fail')]).seqs).toEqual([3]);
    expect(withLiveMatches({ ...search, busy: true }, [line(9, 'fail')]).seqs).toEqual([3]);
    expect(withLiveMatches(search, [line(1, 'ok')])).toBe(search);
  });
});

describe('job editor store, read again in the background', () => {
  it('takes a newer revision when nothing was typed, keeps what was typed meanwhile (saying so), and says when the job is gone', async () => {
    const { client } = connect();
    const job = await client.call('jobs.create', { name: 'edited twice', script: 'true', schedule: { kind: 'manual' } });
    const editor = useJobEditorStore.getState();
    editor.open(job.id);
    await until(() => useJobEditorStore.getState().job?.id === job.id);
    const v2 = await client.call('jobs.update', { id: job.id, ifRevision: job.revision, changes: { description: 'from elsewhere' } });
    await useJobEditorStore.getState().reload({ background: true });
    expect(useJobEditorStore.getState().form.description).toBe('from elsewhere');
    expect(useJobEditorStore.getState().job!.revision).toBe(v2.revision);

    await client.call('jobs.update', { id: job.id, ifRevision: v2.revision, changes: { description: 'third' } });
    const reading = useJobEditorStore.getState().reload({ background: true });
    useJobEditorStore.getState().setField('description', 'typed meanwhile');
    await reading;
    const s = useJobEditorStore.getState();
    expect(s.form.description).toBe('typed meanwhile');
    expect(s.job!.revision).toBe(v2.revision);
    expect(s.alert).toMatchObject({ conflict: true, text: expect.stringContaining('while you were editing') });

    await client.call('jobs.delete', { id: job.id });
    await useJobEditorStore.getState().reload({ background: true });
    expect(useJobEditorStore.getState().loadError).toMatch(/not found/i);
    useJobEditorStore.getState().close();
  });
});
