/**
 * Workflow runs in the console without a browser: merging live task changes,
 * the rows of a folded tree, the timeline's span, times to the millisecond,
 * and the tasks store against a real engine (live updates through the run's
 * subscription, a task's own log, re-running the failed tasks in place).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { TaskRun } from '../../shared/model/workflow';
import { openEngine, until } from '../../test/helpers/engine';
import { barOf, formatMs, laterTaskState, mergeTaskRuns, timelineSpan, visibleTasks } from '../src/lib/taskRuns';
import { useConnectionStore } from '../src/stores/connectionStore';
import { useLogStore } from '../src/stores/logStore';
import { useTasksStore } from '../src/stores/tasksStore';

const task = (over: Partial<TaskRun>): TaskRun => ({
  path: '#.a',
  name: 'a',
  parent: null,
  depth: 1,
  index: 0,
  kind: 'script',
  status: 'PENDING',
  attempts: 0,
  startedAt: null,
  finishedAt: null,
  durationMs: null,
  exitCode: null,
  failure: null,
  error: null,
  result: null,
  resultTruncated: false,
  reused: false,
  note: null,
  round: 0,
  ...over,
});

describe('task runs', () => {
  it('keeps a finished task over an older unfinished snapshot, but takes a retry or a new round', () => {
    const done = task({ status: 'SUCCEEDED', attempts: 1 });
    expect(laterTaskState(done, task({ status: 'RUNNING', attempts: 1 }))).toBe(done);
    const retry = task({ status: 'QUEUED', attempts: 2 });
    expect(laterTaskState(task({ status: 'FAILED', attempts: 1 }), retry)).toBe(retry);
    const again = task({ status: 'PENDING', round: 1 });
    expect(laterTaskState(done, again)).toBe(again);
    expect(laterTaskState(again, done)).toBe(again);
  });

  it('merges changes by path in tree order, and returns the same list when nothing changed', () => {
    const list = [task({ path: '#.a', index: 0 }), task({ path: '#.b', index: 2 })];
    expect(mergeTaskRuns(list, [])).toBe(list);
    const merged = mergeTaskRuns(list, [task({ path: '#.b', index: 2, status: 'RUNNING', attempts: 1 }), task({ path: '#.a.x', index: 1, parent: '#.a', depth: 2 })]);
    expect(merged.map((t) => `${t.path}:${t.status}`)).toEqual(['#.a:PENDING', '#.a.x:PENDING', '#.b:RUNNING']);
    const stale = mergeTaskRuns([task({ status: 'SUCCEEDED', attempts: 1 })], [task({ status: 'RUNNING', attempts: 1 })]);
    expect(stale[0]!.status).toBe('SUCCEEDED');
  });

  it('hides the subtasks of folded tasks, not their siblings', () => {
    const list = ['#.a', '#.a.x', '#.a.x.deep', '#.a.y', '#.ab', '#.b'].map((path, index) => task({ path, index }));
    expect(visibleTasks(list, new Set(['#.a'])).map((t) => t.path)).toEqual(['#.a', '#.ab', '#.b']);
    expect(visibleTasks(list, new Set(['#.a.x'])).map((t) => t.path)).toEqual(['#.a', '#.a.x', '#.a.y', '#.ab', '#.b']);
  });

  it('places bars by start and end within the span, running ones up to now', () => {
    const t0 = Date.parse('2026-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const list = [
      task({ path: '#.a', status: 'SUCCEEDED', startedAt: at(0), finishedAt: at(1000), durationMs: 1000 }),
      task({ path: '#.b', status: 'RUNNING', startedAt: at(1000) }),
      task({ path: '#.c' }),
    ];
    const span = timelineSpan(list, t0 + 4000)!;
    expect(span).toEqual({ start: t0, end: t0 + 4000 });
    expect(barOf(list[0]!, span, t0 + 4000)).toEqual({ left: 0, width: 0.25 });
    expect(barOf(list[1]!, span, t0 + 4000)).toEqual({ left: 0.25, width: 0.75 });
    expect(barOf(list[2]!, span, t0 + 4000)).toBeNull();
    expect(timelineSpan([task({})], t0)).toBeNull();
  });

  it('writes durations to the millisecond', () => {
    expect(formatMs(7)).toBe('7 ms');
    expect(formatMs(12_345)).toBe('12.345 s');
    expect(formatMs(184_210)).toBe('3 min 04.210 s');
    expect(formatMs(3_723_000)).toBe('1 h 02 min 03.000 s');
    expect(formatMs(null)).toBe('');
  });
});

describe('tasks store', () => {
  beforeEach(() => {
    useLogStore.getState().close();
    useTasksStore.getState().close();
  });

  it('follows a workflow run live, shows a task log, and re-runs the failed tasks in place', async () => {
    const t = openEngine();
    useConnectionStore.setState({ client: t.client, status: 'ready', user: { name: 'tester', role: 'superadmin', expiresAt: null } });
    const marker = `${t.dataDir}/second-try`;
    const job = await t.client.call('jobs.create', {
      name: 'wf',
      schedule: { kind: 'manual' },
      workflow: {
        tasks: [
          { name: 'first', script: 'echo hello from first; sleep 0.3; echo \'::return {"rows": 3}\'' },
          { name: 'flaky', script: `if [ -f '${marker}' ]; then echo fine; else touch '${marker}'; echo broken; exit 3; fi` },
        ],
      },
    });
    const queued = await t.client.call('runs.trigger', { jobId: job.id });
    await useLogStore.getState().open(queued.id);
    await until(() => useLogStore.getState().run?.tasks != null, 15_000, 'the run to start');
    useTasksStore.getState().open(queued.id, 0);
    useTasksStore.getState().select('#.first');
    await until(() => useTasksStore.getState().tasks.find((x) => x.path === '#.first')?.status === 'SUCCEEDED', 15_000, 'first to succeed live');
    await until(() => useLogStore.getState().run?.status === 'FAILED', 15_000, 'the run to fail');
    await until(() => useTasksStore.getState().tasks.find((x) => x.path === '#.flaky')?.status === 'FAILED', 15_000, 'flaky to fail live');
    expect(useTasksStore.getState().tasks.find((x) => x.path === '#.first')!.result).toEqual({ rows: 3 });
    await until(() => useTasksStore.getState().log?.lines.some((l) => l.text === 'hello from first'), 15_000, 'the task log');
    expect(useTasksStore.getState().log!.lines.every((l) => l.task === '#.first')).toBe(true);

    const rerun = await useTasksStore.getState().rerunFailed();
    expect(rerun?.round).toBe(1);
    await until(() => useLogStore.getState().run?.status === 'SUCCEEDED', 15_000, 'the re-run to succeed');
    await until(() => useTasksStore.getState().tasks.find((x) => x.path === '#.flaky')?.status === 'SUCCEEDED', 15_000, 'flaky to succeed');
    const first = useTasksStore.getState().tasks.find((x) => x.path === '#.first')!;
    expect(first).toMatchObject({ status: 'SUCCEEDED', round: 0 });
    expect(useTasksStore.getState().round).toBe(1);
  });
});
