/**
 * Workflow runs with real processes: order and parallelism (timestamps prove
 * them), conditions, dest, results, failures and their propagation, failFast
 * stopping whole process groups, retries, cancel, and runs of one task.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { openEngine, until } from '../helpers/engine';
import { isAlive } from '../helpers/process';
import { createWorkflow, ms, readRun, runWorkflow } from '../helpers/workflow';

describe('workflow execution', () => {
  it('runs top-level tasks in order and subtasks in parallel after their parent', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'order', {
      tasks: [
        { name: 'first', script: 'sleep 0.2' },
        { name: 'fan', script: 'true', subtasks: [{ name: 'a', script: 'sleep 0.6' }, { name: 'b', script: 'sleep 0.6' }, { name: 'c', script: 'sleep 0.6' }] },
        { name: 'last', script: 'true' },
      ],
    });
    const { run, tasks } = await runWorkflow(engine, client, job.id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', tasks: 6, round: 0 });
    const t = (p: string) => tasks.get(p)!;
    expect([...tasks.keys()]).toEqual(['#.first', '#.fan', '#.fan.a', '#.fan.b', '#.fan.c', '#.last']);
    expect(ms(t('#.first').finishedAt)).toBeLessThanOrEqual(ms(t('#.fan').startedAt));
    for (const child of ['a', 'b', 'c']) expect(ms(t('#.fan').startedAt)).toBeLessThanOrEqual(ms(t(`#.fan.${child}`).startedAt));
    // The three overlap: each started before any of them ended.
    const starts = ['a', 'b', 'c'].map((c) => ms(t(`#.fan.${c}`).startedAt));
    const ends = ['a', 'b', 'c'].map((c) => ms(t(`#.fan.${c}`).finishedAt));
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    expect(ms(t('#.fan').finishedAt)).toBe(Math.max(...ends));
    expect(ms(t('#.fan').finishedAt)).toBeLessThanOrEqual(ms(t('#.last').startedAt));
    for (const task of tasks.values()) expect(task).toMatchObject({ status: 'SUCCEEDED', attempts: task.kind === 'group' ? 0 : 1, reused: false });
  });

  it('limits the processes of a run to maxParallel', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const subtasks = ['a', 'b', 'c', 'd'].map((name) => ({ name, script: 'sleep 0.3' }));
    const job = await createWorkflow(client, 'limited', { maxParallel: 2, tasks: [{ name: 'group', subtasks }] });
    const { tasks } = await runWorkflow(engine, client, job.id);
    const spans = ['a', 'b', 'c', 'd'].map((n) => [ms(tasks.get(`#.group.${n}`)!.startedAt), ms(tasks.get(`#.group.${n}`)!.finishedAt)]);
    for (const [start] of spans) expect(spans.filter(([s, e]) => s! <= start! && start! < e!).length).toBeLessThanOrEqual(2);
    expect(tasks.get('#.group')).toMatchObject({ kind: 'group', status: 'SUCCEEDED' });
  });

  it('evaluates conditions over params and dest results; false skips the subtree with the reason, an error fails the task', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'conditions', {
      tasks: [
        {
          name: 'load',
          script: `echo '::return {"count": 3}'`,
          dest: 'batch',
          subtasks: [
            { name: 'eu', script: 'echo "dest=$JOBDECK_DEST_BATCH"; cat "$JOBDECK_RESULTS_FILE"', condition: 'batch.count > 0 && params.region == "eu"' },
            { name: 'us', script: 'echo us', condition: 'params.region == "us"', subtasks: [{ name: 'inner', script: 'echo inner' }] },
            { name: 'bad', script: 'echo never', condition: 'batch.missing > 1', continueOnFailure: true },
          ],
        },
      ],
    }, { params: [{ name: 'region', type: 'string', default: 'us' }] });
    const { run, tasks, lines } = await runWorkflow(engine, client, job.id, { params: { region: 'eu' } });
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.load.eu')).toMatchObject({ status: 'SUCCEEDED' });
    expect(lines).toContain('#.load.eu stdout: dest={"count":3}');
    expect(lines).toContain('#.load.eu stdout: {"#.load":{"count":3}}');
    expect(tasks.get('#.load.us')).toMatchObject({ status: 'SKIPPED', note: 'skipped: condition params.region == "us" is false', startedAt: null });
    expect(tasks.get('#.load.us.inner')).toMatchObject({ status: 'SKIPPED', note: 'skipped: condition params.region == "us" is false' });
    expect(tasks.get('#.load.bad')).toMatchObject({ status: 'FAILED', failure: 'CONDITION_ERROR' });
    expect(tasks.get('#.load.bad')!.error).toMatch(/^condition "batch.missing > 1" could not be evaluated: No such key: missing/);
    expect(lines.some((l) => l.includes('never'))).toBe(false);
  });

  it('gives each task its result, logs onComplete, and fails the run at a failing task, skipping the rest with the reason', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'failing', {
      tasks: [
        { name: 'extract', script: `echo '::return {"rows": 42}'`, onComplete: 'extracted {{ result.rows }} rows' },
        { name: 'broken', script: 'echo oops >&2; exit 4', subtasks: [{ name: 'below', script: 'true' }] },
        { name: 'after', script: 'true' },
      ],
    });
    const { run, tasks, lines } = await runWorkflow(engine, client, job.id);
    expect(run).toMatchObject({ status: 'FAILED', failure: 'TASK_FAILED', error: 'task #.broken failed: exit code 4' });
    expect(tasks.get('#.extract')).toMatchObject({ status: 'SUCCEEDED', result: { rows: 42 }, exitCode: 0 });
    expect(lines).toContain('#.extract system: #.extract: extracted 42 rows');
    expect(tasks.get('#.broken')).toMatchObject({ status: 'FAILED', failure: 'EXIT', exitCode: 4, result: { exitCode: 4 } });
    expect(lines).toContain('#.broken stderr: oops');
    expect(tasks.get('#.broken.below')).toMatchObject({ status: 'SKIPPED', note: 'not run: #.broken failed' });
    expect(tasks.get('#.after')).toMatchObject({ status: 'SKIPPED', note: 'not run: #.broken failed' });
    // Each task's log on its own.
    const own = await client.call('runs.logs', { id: run.id, task: '#.broken' });
    expect(own.lines.length).toBeGreaterThan(0);
    expect(own.lines.every((l) => l.task === '#.broken')).toBe(true);
  });

  it('ignores a ::return over the size limit or not JSON, saying why, and keeps {"exitCode": 0}', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const huge = `x=$(head -c 70000 /dev/zero | tr '\\0' a); echo "::return \\"$x\\""`;
    const job = await createWorkflow(client, 'returns', { tasks: [{ name: 'huge', script: huge }, { name: 'broken', script: `echo '::return {"a": '` }] });
    const { run, tasks, lines } = await runWorkflow(engine, client, job.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.huge')!.result).toEqual({ exitCode: 0 });
    expect(lines).toContain('#.huge system: Ignored: ::return value is larger than 60 KB');
    expect(tasks.get('#.broken')!.result).toEqual({ exitCode: 0 });
    expect(lines.some((l) => l.startsWith('#.broken system: Ignored: ::return value is not valid JSON'))).toBe(true);
  });

  it('goes on past a task with continueOnFailure', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'tolerant', { tasks: [{ name: 'flaky', script: 'exit 1', continueOnFailure: true }, { name: 'next', script: 'true' }] });
    const { run, tasks } = await runWorkflow(engine, client, job.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.flaky')!.status).toBe('FAILED');
    expect(tasks.get('#.next')!.status).toBe('SUCCEEDED');
  });

  it.each([true, false])('failFast=%s: a failing subtask stops its running siblings (whole process groups) or lets them finish', async (failFast) => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'fast', {
      tasks: [
        {
          name: 'group',
          failFast,
          subtasks: [
            { name: 'slow', script: `sleep ${failFast ? 30 : 1} & echo "pids $$ $!"; wait` },
            { name: 'fails', script: 'sleep 0.3; exit 2' },
          ],
        },
      ],
    });
    const started = Date.now();
    const { run, tasks, lines } = await runWorkflow(engine, client, job.id);
    expect(run).toMatchObject({ status: 'FAILED', failure: 'TASK_FAILED', error: 'task #.group failed: subtask #.group.fails failed' });
    expect(tasks.get('#.group')).toMatchObject({ status: 'FAILED', failure: 'SUBTASK_FAILED' });
    const pids = lines.find((l) => l.startsWith('#.group.slow stdout: pids '))!.split(' ').slice(-2).map(Number);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    if (failFast) {
      expect(tasks.get('#.group.slow')).toMatchObject({ status: 'CANCELLED', error: 'stopped because #.group.fails failed (failFast)' });
      expect(Date.now() - started).toBeLessThan(15_000);
    } else {
      expect(tasks.get('#.group.slow')!.status).toBe('SUCCEEDED');
    }
  });

  it('retries a task, each attempt with its own log lines, after the delay on the engine clock', async () => {
    const clock = new ManualClock(Date.now());
    const { engine, client } = openEngine({ scheduler: false, clock });
    const script = 'n=$(cat "$JOBDECK_OUTPUT_DIR/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$JOBDECK_OUTPUT_DIR/count"; echo "attempt $n"; [ $n -ge 3 ]';
    const job = await createWorkflow(client, 'retrying', { tasks: [{ name: 'flaky', script, retry: { attempts: 3, delaySeconds: 60 } }] });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    for (const n of [1, 2]) {
      await until(async () => (await client.call('runs.logs', { id: queued.id, task: '#.flaky' })).lines.some((l) => l.text.startsWith(`Attempt ${n} of 3 failed`)));
      // Nothing happens until the delay has passed on the engine's clock.
      expect((await client.call('runs.tasks', { id: queued.id }))[0]).toMatchObject({ status: 'QUEUED', attempts: n });
      clock.advance(60_000);
    }
    const { run, tasks, lines } = await readRun(client, await engine.waitForRun(queued.id));
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.flaky')).toMatchObject({ status: 'SUCCEEDED', attempts: 3 });
    for (const n of [1, 2, 3]) expect(lines).toContain(`#.flaky stdout: attempt ${n}`);
    expect(lines).toContain('#.flaky system: Attempt 1 of 3 failed (exit code 1); next in 60 s');
  });

  it("counts a task's timeout from its process's start, not from its hand-over to a launcher", async () => {
    // The engine's clock jumps right after the task is handed over (its "Starting" line is written just
    // before) and before the launcher can answer: a timeout counted from the hand-over would expire then.
    const clock = new ManualClock(Date.now());
    let moved = false;
    const { engine, client } = openEngine({
      scheduler: false,
      spawner: 'launcher',
      clock,
      onLines: (_run, stream, lines) => {
        if (moved || stream !== 'system' || !lines.some((l) => l.startsWith('Starting #.quick'))) return;
        moved = true;
        queueMicrotask(() => clock.advance(5000));
      },
    });
    const job = await createWorkflow(client, 'timed', { tasks: [{ name: 'quick', script: 'echo done', timeoutSeconds: 1 }] });
    const { run, tasks } = await runWorkflow(engine, client, job.id);
    expect(moved).toBe(true);
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.quick')).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('cancels every running task process tree', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'cancelled', {
      tasks: [{ name: 'par', subtasks: ['x', 'y'].map((name) => ({ name, script: 'sleep 30 & echo "pids $$ $!"; wait' })) }, { name: 'later', script: 'true' }],
    });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const pidLines = await until(async () => {
      const l = (await client.call('runs.logs', { id: queued.id })).lines.filter((x) => x.text.startsWith('pids '));
      return l.length === 2 ? l : null;
    });
    await client.call('runs.cancel', { id: queued.id });
    const { run, tasks } = await readRun(client, await engine.waitForRun(queued.id));
    expect(run).toMatchObject({ status: 'CANCELLED', failure: 'CANCELLED', error: 'cancelled by tester' });
    for (const p of ['#.par.x', '#.par.y']) expect(tasks.get(p)).toMatchObject({ status: 'CANCELLED', error: 'cancelled by tester' });
    expect(tasks.get('#.par')!.status).toBe('CANCELLED');
    expect(tasks.get('#.later')).toMatchObject({ status: 'SKIPPED', note: 'not run: cancelled by tester' });
    for (const l of pidLines) for (const pid of l.text.split(' ').slice(1).map(Number)) expect(isAlive(pid), `pid ${pid}`).toBe(false);
  });

  it('runs one task and its subtasks by path; the others are recorded as not selected', async () => {
    const { engine, client, dataDir } = openEngine({ scheduler: false });
    const job = await createWorkflow(client, 'one', {
      tasks: [
        { name: 'extract', script: 'echo extract' },
        { name: 'load', script: 'echo load', subtasks: [{ name: 'eu', script: 'echo eu >> "$JOBDECK_OUTPUT_DIR/ran"' }, { name: 'us', script: 'echo us' }] },
      ],
    });
    const { run, tasks } = await runWorkflow(engine, client, job.id, { task: '#.load.eu' });
    expect(run.status).toBe('SUCCEEDED');
    expect(tasks.get('#.load.eu')!.status).toBe('SUCCEEDED');
    expect(tasks.get('#.load')).toMatchObject({ status: 'SUCCEEDED', attempts: 0, note: 'only #.load.eu was selected' });
    for (const p of ['#.extract', '#.load.us']) expect(tasks.get(p)).toMatchObject({ status: 'SKIPPED', note: 'not selected: only #.load.eu runs' });
    expect(readFileSync(`${dataDir}/runs/${job.id}/${run.id}/output/ran`, 'utf8')).toBe('eu\n');
    const err = await client.call('runs.trigger', { jobId: job.id, task: '#.load.asia' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND', field: 'task' });
  });
});
