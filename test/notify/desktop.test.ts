/**
 * The desktop channel (the Electron shell's native notifications, behind
 * the engine's desktopNotifier hook: the one part that cannot run here) and
 * long-running notices on the engine's clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import type { DesktopNotice } from '../../electron/engine/options';
import { openEngine, until } from '../helpers/engine';

describe('desktop notifications', () => {
  it('are shown by the process that has a desktop, never claimed by one that has none', async () => {
    const shown: DesktopNotice[] = [];
    const desktop = openEngine({ scheduler: false, notifyPollMs: 50, desktopNotifier: (n) => shown.push(n) });
    // A CLI-like engine on the same folder: it runs the job, it does not take the desktop's message.
    const cli = openEngine({ dataDir: desktop.dataDir, scheduler: false, notifyPollMs: 50 });
    const job = await cli.client.call('jobs.create', {
      name: 'backup',
      script: 'exit 9',
      runtime: 'sh',
      schedule: { kind: 'manual' },
      notify: { rules: [{ event: 'failure', to: ['desktop'] }], afterFailures: 1, followUpHours: 0 },
    });
    const run = await cli.engine.waitForRun((await cli.client.call('runs.trigger', { jobId: job.id })).id);
    await until(() => shown.length === 1);
    expect(shown[0]).toEqual({ title: `backup failed (run ${run.id})`, body: expect.stringContaining('exit code 9'), runId: run.id });
    const log = await cli.client.call('notify.deliveries', { runId: run.id });
    expect(log).toMatchObject([{ channel: 'desktop', status: 'sent', answer: 'shown on the desktop' }]);
  });

  it('says once when a run takes longer than its job allows', async () => {
    const clock = new ManualClock(Date.now());
    const shown: DesktopNotice[] = [];
    const { engine, client } = openEngine({ scheduler: false, clock, notifyPollMs: 50, desktopNotifier: (n) => shown.push(n) });
    const job = await client.call('jobs.create', {
      name: 'slow',
      script: 'sleep 30',
      runtime: 'sh',
      schedule: { kind: 'manual' },
      notify: { rules: [{ event: 'long-running', to: ['desktop'] }], afterFailures: 1, followUpHours: 0, longRunning: { seconds: 60 } },
    });
    const run = await client.call('runs.trigger', { jobId: job.id });
    await until(async () => (await client.call('runs.get', { id: run.id })).startedAt !== null);
    clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(shown).toHaveLength(0);
    clock.advance(31_000);
    await until(() => shown.length === 1);
    expect(shown[0]!.title).toBe(`slow is running longer than usual (run ${run.id})`);
    clock.advance(600_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(shown).toHaveLength(1);
    await client.call('runs.cancel', { id: run.id });
    await engine.waitForRun(run.id);
  });

  it('says once when a run has waited too long for a lock another run holds', async () => {
    const clock = new ManualClock(Date.now());
    const shown: DesktopNotice[] = [];
    const { engine, client } = openEngine({ scheduler: false, clock, notifyPollMs: 50, desktopNotifier: (n) => shown.push(n) });
    const holder = await client.call('jobs.create', { name: 'holder', script: 'sleep 30', runtime: 'sh', schedule: { kind: 'manual' }, lock: 'media' });
    const waiter = await client.call('jobs.create', {
      name: 'waiter',
      script: 'true',
      runtime: 'sh',
      schedule: { kind: 'manual' },
      lock: 'media',
      notify: { rules: [{ event: 'lock-held', to: ['desktop'] }], afterFailures: 1, followUpHours: 0, lockWaitMinutes: 1 },
    });
    const held = await client.call('runs.trigger', { jobId: holder.id });
    await until(async () => (await client.call('locks.list', {})).length === 1);
    const waiting = await client.call('runs.trigger', { jobId: waiter.id });
    clock.advance(30_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(shown).toHaveLength(0);
    clock.advance(31_000);
    await until(() => shown.length === 1);
    expect(shown[0]).toMatchObject({ title: `waiter is waiting for a lock (run ${waiting.id})`, runId: waiting.id });
    clock.advance(600_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(shown).toHaveLength(1);
    await client.call('runs.cancel', { id: held.id });
    await engine.waitForRun(waiting.id);
  });
});
