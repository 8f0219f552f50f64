/**
 * README "Jobs and runs": a job never has two runs IN_PROGRESS, whichever
 * process runs them. Three guards stand behind that promise: the dispatcher
 * skips a job it is running, the claim checks the store, and the database
 * itself refuses a second IN_PROGRESS run (a partial unique index). The
 * first cannot see another process's runs; the last two are tested here
 * with a CLI process and a scheduling engine on one data folder.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openEngine, until } from '../helpers/engine';
import { BIN } from '../helpers/cli';
import { fixture } from '../helpers/process';

describe('README › Jobs and runs › one IN_PROGRESS run per job', () => {
  it('the database refuses a second IN_PROGRESS run of a job', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'guarded', script: fixture('slow.sh'), schedule: { kind: 'manual' }, overlap: 'queue' });
    const running = await client.call('runs.trigger', { jobId: job.id, args: '30' });
    const waiting = await client.call('runs.trigger', { jobId: job.id });
    expect(waiting.status).toBe('QUEUED');
    let err: unknown;
    try {
      engine.store.db.prepare("UPDATE runs SET status = 'IN_PROGRESS' WHERE id = ?").run(waiting.id);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    await client.call('runs.cancel', { id: running.id });
  });

  it('a scheduling engine does not start a job whose run a CLI process is executing, and starts it once that run ends', async () => {
    const { engine, client, dataDir } = openEngine({ pollMs: 50 });
    const job = await client.call('jobs.create', { name: 'shared', script: fixture('slow.sh'), schedule: { kind: 'manual' }, overlap: 'queue' });
    const cli = spawn(process.execPath, [BIN, 'run', 'shared', '--data-dir', dataDir, '--', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let cliErr = '';
    cli.stderr.on('data', (d: Buffer) => (cliErr += d.toString()));
    const cliRun = await until(async () => (await client.call('runs.list', { jobId: job.id, status: ['IN_PROGRESS'] })).items[0], 20_000, 'the CLI run');
    expect(cliRun.trigger).toBe('cli');
    const mine = await client.call('runs.trigger', { jobId: job.id, args: '0' });
    let most = 0;
    const inProgress = engine.store.db.prepare("SELECT COUNT(*) FROM runs WHERE job_id = ? AND status = 'IN_PROGRESS'").pluck();
    const sampler = setInterval(() => {
      most = Math.max(most, inProgress.get(job.id) as number);
    }, 10);
    const done = await engine.waitForRun(mine.id);
    clearInterval(sampler);
    const code = await new Promise((r) => (cli.exitCode !== null ? r(cli.exitCode) : cli.once('exit', r)));
    expect(code, cliErr).toBe(0);
    const cliDone = await client.call('runs.get', { id: cliRun.id });
    expect(done.status).toBe('SUCCEEDED');
    expect(most).toBe(1);
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(cliDone.finishedAt!));
  });
});
