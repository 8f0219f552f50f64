/**
 * Runs spawned from several launcher processes: spread across them, each
 * job's runs still one at a time and in order, and a launcher killed under
 * its runs replaced, those runs recorded as failed (none lost). Which
 * launcher started a run is told by the run itself: its parent process.
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../shared/model/run';
import { openEngine, until } from '../helpers/engine';
import { isAlive } from '../helpers/process';

const manual = { kind: 'manual' } as const;

describe('several launchers', () => {
  it('spreads runs over every launcher, keeps one run in progress per job and each job\'s runs in order', async () => {
    const { engine, client } = openEngine({ scheduler: false, launchers: 3, concurrency: 12 });
    const inProgress = new Map<number, Set<number>>();
    let overlapped = false;
    const started: Record<number, number[]> = {};
    engine.subscribe({}, (event) => {
      if (event.type !== 'run') return;
      const { run } = event;
      const set = inProgress.get(run.jobId) ?? new Set<number>();
      inProgress.set(run.jobId, set);
      if (run.status === 'IN_PROGRESS') {
        if (!set.has(run.id)) (started[run.jobId] ??= []).push(run.id);
        set.add(run.id);
        if (set.size > 1) overlapped = true;
      } else set.delete(run.id);
    });
    const jobs = [];
    for (let i = 0; i < 6; i++) {
      jobs.push(await client.call('jobs.create', { name: `spread ${i}`, script: 'echo "launcher $PPID"; sleep 0.3', schedule: manual, overlap: 'queue' }));
    }
    const ids: Record<number, number[]> = {};
    for (let round = 0; round < 2; round++) {
      for (const job of jobs) (ids[job.id] ??= []).push((await client.call('runs.trigger', { jobId: job.id })).id);
    }
    const runs: Run[] = [];
    for (const list of Object.values(ids)) for (const id of list) runs.push(await engine.waitForRun(id));
    expect(runs.every((r) => r.status === 'SUCCEEDED')).toBe(true);
    const launchers = new Set<string>();
    for (const r of runs) launchers.add((await client.call('runs.logs', { id: r.id })).lines.find((l) => l.stream === 'stdout')!.text);
    expect(launchers.size).toBe(3);
    expect(overlapped).toBe(false);
    for (const job of jobs) expect(started[job.id]).toEqual(ids[job.id]);
  });

  it('replaces a launcher killed under its runs, which are recorded failed saying so, while the other launcher\'s runs go on', async () => {
    const { engine, client } = openEngine({ scheduler: false, launchers: 2, concurrency: 4 });
    const a = await client.call('jobs.create', { name: 'victim', script: 'echo "launcher $PPID"; sleep 30', schedule: manual });
    const b = await client.call('jobs.create', { name: 'bystander', script: 'echo "launcher $PPID"; sleep 30', schedule: manual });
    const runA = (await client.call('runs.trigger', { jobId: a.id })).id;
    const runB = (await client.call('runs.trigger', { jobId: b.id })).id;
    const launcherOf = async (id: number) =>
      Number(/^launcher (\d+)$/.exec((await client.call('runs.logs', { id })).lines.find((l) => l.stream === 'stdout')?.text ?? '')?.[1] ?? 0) || null;
    const [pidA, pidB] = [await until(() => launcherOf(runA)), await until(() => launcherOf(runB))];
    expect(pidA).not.toBe(pidB);
    process.kill(pidA, 'SIGKILL');
    const failed = await engine.waitForRun(runA);
    expect(failed).toMatchObject({ status: 'FAILED', failure: 'LAUNCHER_DIED' });
    expect(failed.error).toMatch(/the launcher process died \(SIGKILL\)/);
    expect((await client.call('runs.get', { id: runB })).status).toBe('IN_PROGRESS');
    // The next runs start, one of them from a launcher started in place of the dead one.
    const quick = [
      await client.call('jobs.create', { name: 'after 1', script: 'echo "launcher $PPID"; sleep 0.5', schedule: manual }),
      await client.call('jobs.create', { name: 'after 2', script: 'echo "launcher $PPID"; sleep 0.5', schedule: manual }),
    ];
    const next = [await client.call('runs.trigger', { jobId: quick[0]!.id }), await client.call('runs.trigger', { jobId: quick[1]!.id })];
    for (const { id } of next) expect((await engine.waitForRun(id)).status).toBe('SUCCEEDED');
    const used = new Set([await launcherOf(next[0]!.id), await launcherOf(next[1]!.id)]);
    // Both launchers took one: the bystander's, and the one started in place of the dead one.
    expect(used.size).toBe(2);
    expect(used.has(pidA)).toBe(false);
    expect(used.has(pidB)).toBe(true);
    await client.call('runs.cancel', { id: runB });
    expect((await engine.waitForRun(runB)).status).toBe('CANCELLED');
  });

  it('stops every launcher on close, leaving no process behind', async () => {
    const { engine, client } = openEngine({ scheduler: false, launchers: 2 });
    const job = await client.call('jobs.create', { name: 'pids', script: 'echo "launcher $PPID"', schedule: manual });
    const pids = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const { id } = await client.call('runs.trigger', { jobId: job.id });
      await engine.waitForRun(id);
      pids.add(Number(/\d+/.exec((await client.call('runs.logs', { id })).lines.find((l) => l.stream === 'stdout')!.text)![0]));
    }
    await engine.close(500);
    await until(() => [...pids].every((pid) => !isAlive(pid)));
  });
});
