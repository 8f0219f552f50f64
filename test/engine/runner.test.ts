/**
 * The runner with real child processes, through both process ports: the
 * launcher process (serve, desktop) and inline (CLI).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../electron/engine/clock';
import { outputDir } from '../../electron/engine/paths';
import { openEngine, until } from '../helpers/engine';
import { FIXTURES, fixture, isAlive } from '../helpers/process';
import { tempDir } from '../helpers/temp';

describe.each(['launcher', 'inline'] as const)('runner (%s)', (spawner) => {
  async function runScript(script: string, opts: { args?: string; runtime?: string; timeoutSeconds?: number; user?: string; params?: never } = {}) {
    const { engine, client, dataDir } = openEngine({ spawner, scheduler: false });
    const job = await client.call('jobs.create', {
      name: 'job',
      script,
      runtime: opts.runtime ?? 'sh',
      schedule: { kind: 'manual' },
      timeoutSeconds: opts.timeoutSeconds ?? null,
      user: opts.user ?? 'svc-api',
    });
    const queued = await client.call('runs.trigger', { jobId: job.id, args: opts.args });
    const run = await engine.waitForRun(queued.id);
    const logs = await client.call('runs.logs', { id: run.id, limit: 10_000 });
    return { engine, client, dataDir, job, run, logs, texts: logs.lines.map((l) => `${l.stream}:${l.text}`) };
  }

  it('runs a script to success with argv, environment and ordered logs', async () => {
    const { run, texts, logs } = await runScript(fixture('ok.sh'), { args: 'a  b c' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.exitCode).toBe(0);
    expect(run.startedAt).not.toBeNull();
    expect(texts[0]).toMatch(/^system:Starting attempt 1 of job: sh .*script\.sh a b c$/);
    expect(texts).toContain('stdout:hello a b c');
    expect(texts).toContain(`stdout:job=job run=${run.id} user=svc-api`);
    expect(texts[texts.length - 1]).toMatch(/^system:Finished SUCCEEDED in /);
    expect(logs.lines.map((l) => l.seq)).toEqual(logs.lines.map((_, i) => i + 1));
    expect(logs.done).toBe(true);
    expect(run.lastSeq).toBe(logs.lines.length);
  });

  it('fails with the exit code of a failing script', async () => {
    const { run, texts } = await runScript(fixture('exit3.sh'));
    expect(run).toMatchObject({ status: 'FAILED', exitCode: 3, error: 'exit code 3' });
    expect(texts).toContain('stderr:about to fail');
  });

  it('fails with the signal of a crashing script', async () => {
    const { run } = await runScript(fixture('crash.sh'));
    expect(run).toMatchObject({ status: 'FAILED', exitCode: null, signal: 'SIGSEGV', error: 'killed by SIGSEGV' });
  });

  it('names a missing interpreter', async () => {
    const { run, texts } = await runScript('echo hi', { runtime: 'no-such-interpreter-xyz {script}' });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('could not start: no-such-interpreter-xyz was not found (is it installed and on the PATH?)');
    expect(texts.some((t) => t.includes('no-such-interpreter-xyz was not found'))).toBe(true);
  });

  it('kills a script that ignores SIGTERM at its timeout, leaving no orphan', async () => {
    // The timeout runs on the engine's clock: it fires when the test moves the clock, never earlier or later.
    const clock = new ManualClock(Date.now());
    const { engine, client } = openEngine({ spawner, scheduler: false, clock });
    const job = await client.call('jobs.create', { name: 'job', script: fixture('ignore-term.sh'), schedule: { kind: 'manual' }, timeoutSeconds: 1 });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const line = await until(async () => (await client.call('runs.logs', { id: queued.id })).lines.find((l) => l.text.startsWith('pids ')));
    clock.advance(1000);
    const run = await engine.waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'FAILED', error: 'timeout after 1 s', signal: 'SIGKILL', failure: 'TIMEOUT' });
    const pids = line.text.split(' ').slice(1).map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    const texts = (await client.call('runs.logs', { id: run.id })).lines.map((l) => `${l.stream}:${l.text}`);
    expect(texts).toContain('system:Timed out after 1 s: stopping the process tree');
  });

  it('stops processes a script leaves behind when it exits', async () => {
    const { run, texts } = await runScript(fixture('leftover.sh'));
    expect(run.status).toBe('SUCCEEDED');
    const pid = Number(texts.find((t) => t.startsWith('stdout:leftover '))!.split(' ')[1]);
    expect(isAlive(pid)).toBe(false);
    expect(texts).toContain('system:Stopped what the script left running: processes left in its process group');
  });

  it('cancels a running script and its process tree', async () => {
    const { engine, client } = openEngine({ spawner, scheduler: false });
    const job = await client.call('jobs.create', { name: 'slow', script: fixture('ignore-term.sh'), schedule: { kind: 'manual' } });
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const line = await until(async () => {
      const { lines } = await client.call('runs.logs', { id: queued.id });
      return lines.find((l) => l.text.startsWith('pids '));
    });
    const pids = line.text.split(' ').slice(1).map(Number);
    const cancelling = await client.call('runs.cancel', { id: queued.id });
    expect(cancelling.cancelRequested).toBe(true);
    const run = await engine.waitForRun(queued.id);
    expect(run).toMatchObject({ status: 'CANCELLED', error: 'cancelled by tester' });
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    const again = await client.call('runs.cancel', { id: queued.id }).catch((e) => e);
    expect(again.code).toBe('INVALID_STATE');
  });

  it('follows the progress, result and audit protocol', async () => {
    const { run, client, dataDir, job } = await runScript(fixture('progress.sh'), { user: 'svc-report' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.progress).toEqual({ percent: 100, message: 'done' });
    expect(run.resultFile).toBe('report.csv');
    const files = await client.call('runs.files', { id: run.id });
    const csv = readFileSync(join(outputDir(dataDir, job.id, run.id), 'report.csv'));
    expect(files).toEqual([
      { name: 'report.csv', size: csv.length, sha256: createHash('sha256').update(csv).digest('hex'), primary: true },
      { name: 'notes.txt', size: 6, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), primary: false },
    ]);
    const audit = await client.call('audit.list', { jobId: job.id });
    expect(audit.items.find((a) => a.action === 'script.audit')).toMatchObject({
      actor: 'svc-report',
      details: { message: 'changed 2 records', runId: run.id },
    });
  });

  it('handles invalid UTF-8, CRLF, very long lines and a last line without newline', async () => {
    const { run, logs } = await runScript(fixture('messy-output.sh'));
    expect(run.status).toBe('SUCCEEDED');
    const out = logs.lines.filter((l) => l.stream === 'stdout').map((l) => l.text);
    expect(out[0]).toBe('bad \uFFFD\uFFFD bytes');
    expect(out[1]).toBe('crlf line');
    const long = out.slice(2, -1);
    expect(long.map((l) => l.length)).toEqual([65536, 65536, 65536, 200000 - 3 * 65536]);
    expect(long.every((l) => /^a+$/.test(l))).toBe(true);
    expect(out[out.length - 1]).toBe('no newline at the end');
  });

  it('keeps 1,000,000 lines of output complete and in order', async () => {
    const { engine, client } = openEngine({ spawner, scheduler: false });
    const job = await client.call('jobs.create', { name: 'flood', script: fixture('flood.sh'), schedule: { kind: 'manual' } });
    const received: number[] = [];
    const queued = await client.call('runs.trigger', { jobId: job.id });
    const unsubscribe = client.subscribe({ runId: queued.id, afterSeq: 0 }, {
      onEvent: (e) => {
        if (e.type === 'log') for (const l of e.lines) received.push(l.seq);
      },
    });
    const run = await engine.waitForRun(queued.id);
    unsubscribe();
    expect(run.status).toBe('SUCCEEDED');
    const row = engine.store.db
      .prepare(
        `SELECT COUNT(*) AS n, SUM(CAST(text AS INTEGER) = seq - 1) AS ordered FROM log_lines WHERE run_id = ? AND stream = 1`,
      )
      .get(run.id) as { n: number; ordered: number };
    expect(row).toEqual({ n: 1_000_000, ordered: 1_000_000 });
    // A live subscriber saw every line once, in order.
    expect(received.length).toBe(run.lastSeq);
    expect(received.every((seq, i) => seq === i + 1)).toBe(true);
  });
});

describe('timeouts', () => {
  it("count from the process's start, not from the run's hand-over to a launcher", async () => {
    // The engine's clock jumps right after the run is handed to the launcher (the line below is written just
    // before) and before the launcher can answer: a timeout counted from the hand-over would expire then.
    const clock = new ManualClock(Date.now());
    let moved = false;
    const { engine, client } = openEngine({
      spawner: 'launcher',
      scheduler: false,
      clock,
      onLines: (_run, stream, lines) => {
        if (moved || stream !== 'system' || !lines.some((l) => l.startsWith('Starting attempt'))) return;
        moved = true;
        queueMicrotask(() => clock.advance(5000));
      },
    });
    const job = await client.call('jobs.create', { name: 'job', script: 'echo done', schedule: { kind: 'manual' }, timeoutSeconds: 1 });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(moved).toBe(true);
    expect(run).toMatchObject({ status: 'SUCCEEDED', failure: null });
  });
});

describe.skipIf(process.platform !== 'linux')('an engine that adopts orphans and never reaps them (a container PID 1)', () => {
  it('ends a run once what it left behind has exited, without waiting for it to be reaped', () => {
    // python3 makes itself a child subreaper (kept across exec) and becomes the engine's process.
    const adopt = `import ctypes, os, sys
assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0
os.execv(sys.argv[1], sys.argv[1:])`;
    const r = spawnSync('python3', ['-c', adopt, process.execPath, '--import', 'tsx', join(FIXTURES, '..', 'subreaper-run.mts'), tempDir()], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { status: string; ms: number; zombies: number; system: string[] };
    // The orphaned background process is this process's, unreaped: the situation is the one described.
    expect(out.zombies).toBeGreaterThan(0);
    expect(out.status).toBe('SUCCEEDED');
    expect(out.system).toContain('Stopped what the script left running: processes left in its process group');
    // Held open until its group's deadline it would take more than 10 s (the fixture's grace).
    expect(out.ms).toBeLessThan(5000);
  });
});
