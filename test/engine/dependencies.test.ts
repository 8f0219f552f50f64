/**
 * Jobs that wait for other jobs: triggered once every one has finished (with
 * the status asked for) since their last run, also when the runs ended in
 * another process; gated schedules that skip with the reason; refusals.
 */
import { describe, expect, it } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import type { Engine } from '../../electron/engine/engine';
import { openEngine, rejection, until } from '../helpers/engine';

const script = (name: string, code = 0) => ({ name, script: `echo ${name}; exit ${code}`, runtime: 'sh', schedule: { kind: 'manual' as const } });

async function runOnce(engine: Engine, client: JobdeckClient, jobId: number) {
  const run = await client.call('runs.trigger', { jobId });
  return engine.waitForRun(run.id);
}

const dependencyRuns = async (client: JobdeckClient, jobId: number) => (await client.call('runs.list', { jobId })).items.filter((r) => r.trigger === 'dependency');

describe('dependencies between jobs', () => {
  it('triggers a job once every job it waits for has finished (with the status asked for) since its last run', async () => {
    const { engine, client } = openEngine();
    const a = await client.call('jobs.create', script('A'));
    const b = await client.call('jobs.create', script('B', 3));
    const c = await client.call('jobs.create', { ...script('C'), after: [{ job: 'A', status: 'SUCCEEDED' }, { job: 'B' }] });
    await runOnce(engine, client, a.id);
    expect(await dependencyRuns(client, c.id)).toHaveLength(0);
    await runOnce(engine, client, b.id);
    const [first] = await until(async () => {
      const runs = await dependencyRuns(client, c.id);
      return runs.length === 1 ? runs : null;
    });
    expect(first).toMatchObject({ trigger: 'dependency', triggeredBy: 'dependency' });
    expect((await engine.waitForRun(first!.id)).status).toBe('SUCCEEDED');
    const log = await client.call('runs.logs', { id: first!.id });
    expect(log.lines[0]!.text).toMatch(/^Triggered: every job it waits for has finished: A \(run \d+ SUCCEEDED\), B \(run \d+ FAILED\)$/);
    const audit = await client.call('audit.list', {});
    expect(audit.items.some((e) => e.action === 'run.dependency' && e.targetId === String(first!.id))).toBe(true);

    // Only A again: C waits for B to finish again too.
    await runOnce(engine, client, a.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await dependencyRuns(client, c.id)).toHaveLength(1);
    await runOnce(engine, client, b.id);
    await until(async () => (await dependencyRuns(client, c.id)).length === 2);
  });

  it('does not trigger when a dependency ends with another status than the one asked for', async () => {
    const { engine, client } = openEngine();
    const a = await client.call('jobs.create', script('A', 1));
    const c = await client.call('jobs.create', { ...script('C'), after: [{ job: 'A', status: 'SUCCEEDED' }] });
    await runOnce(engine, client, a.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(await dependencyRuns(client, c.id)).toHaveLength(0);
  });

  it('finds dependencies that finished in another process when the scheduling engine opens', async () => {
    const first = openEngine();
    const a = await first.client.call('jobs.create', script('A'));
    const c = await first.client.call('jobs.create', { ...script('C'), after: [{ job: 'A' }] });
    await first.engine.close(0);
    // A CLI-like engine (not scheduling) runs A: it does not trigger C itself.
    const cli = openEngine({ dataDir: first.dataDir, scheduler: false });
    await runOnce(cli.engine, cli.client, a.id);
    expect(await dependencyRuns(cli.client, c.id)).toHaveLength(0);
    await cli.engine.close(0);
    const again = openEngine({ dataDir: first.dataDir });
    const [run] = await until(async () => {
      const runs = await dependencyRuns(again.client, c.id);
      return runs.length ? runs : null;
    });
    expect((await again.engine.waitForRun(run!.id)).status).toBe('SUCCEEDED');
  });

  it('gates a scheduled job: it records a skipped run saying why, and runs once its dependency succeeded in the window', async () => {
    const { engine, client } = openEngine();
    const a = await client.call('jobs.create', script('A'));
    const g = await client.call('jobs.create', { ...script('G'), schedule: { kind: 'interval', seconds: 1 }, after: [{ job: 'A' }], gate: { withinMinutes: 60 } });
    const skipped = await until(async () => (await client.call('runs.list', { jobId: g.id })).items.find((r) => r.status === 'CANCELLED'), 10_000);
    expect(skipped).toMatchObject({ failure: 'SKIPPED', error: 'skipped: A has not succeeded in the last 60 min (it has never run)', trigger: 'schedule' });
    const audit = await client.call('audit.list', {});
    expect(audit.items.some((e) => e.action === 'run.skipped' && e.targetId === String(skipped.id))).toBe(true);
    await runOnce(engine, client, a.id);
    const ran = await until(async () => (await client.call('runs.list', { jobId: g.id })).items.find((r) => r.status === 'SUCCEEDED'), 10_000);
    expect(ran.trigger).toBe('schedule');
    await client.call('jobs.update', { id: g.id, changes: { enabled: false } });
  });

  it('refuses dependencies that cannot work, naming the field', async () => {
    const { client } = openEngine({ scheduler: false });
    await client.call('jobs.create', script('A'));
    const b = await client.call('jobs.create', { ...script('B'), after: [{ job: 'A' }] });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...script('X'), after: [{ job: 'nope' }] }, 'after.0.job', /no job is named "nope"/],
      [{ ...script('X'), after: [{ job: 'X' }] }, 'after.0.job', /cannot wait for itself/],
      [{ ...script('X'), after: [{ job: 'A' }, { job: 'a' }] }, 'after.1.job', /listed twice/],
      [{ ...script('X'), after: [{ job: 'A' }], gate: { withinMinutes: 5 } }, 'gate', /interval or cron/],
      [{ ...script('X'), schedule: { kind: 'interval', seconds: 60 }, gate: { withinMinutes: 5 } }, 'gate', /needs the jobs to wait for/],
    ];
    for (const [input, field, message] of cases) {
      const err = await rejection(client.call('jobs.create', input as never));
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED', field });
      expect(err.message).toMatch(message);
    }
    const a = await client.call('jobs.find', { name: 'A' });
    const circle = await rejection(client.call('jobs.update', { id: a.id, changes: { after: [{ job: 'B' }] } }));
    expect(circle).toMatchObject({ code: 'VALIDATION_FAILED', field: 'after' });
    expect(circle.message).toMatch(/B already waits for A/);
    expect((await client.call('jobs.get', { id: b.id })).after).toEqual([{ job: 'A' }]);
    expect((await client.call('jobs.list', {})).total).toBe(2);
  });
});
