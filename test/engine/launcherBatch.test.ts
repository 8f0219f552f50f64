/**
 * The engine sends the launcher the instructions of one event-loop turn as
 * one batch. Spoken to here as the engine would: the built launcher, its
 * protocol over IPC, real processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HostMessage, HostOptions, SpawnRequest } from '../../electron/engine/runner/launcherProtocol';
import { LAUNCHER_DEFAULTS } from '../../electron/engine/runner/launcherStart';
import { defaultLauncherPath, LauncherPort } from '../../electron/engine/runner/processPort';
import { findByKeys } from '../../electron/engine/runner/processTree';
import { defaultWarmNodePath } from '../../electron/engine/runner/warmPool';
import { openEngine, takeEngineErrors, until } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const launchers: ChildProcess[] = [];
afterEach(() => {
  for (const child of launchers.splice(0)) child.kill('SIGKILL');
});

/** What the launcher sent in one IPC message, and when it arrived. */
interface Arrival {
  at: number;
  msgs: HostMessage[];
}

/** A launcher started as the engine starts one, its standard error kept, and every message it sent. */
async function launcher(options: HostOptions = {}): Promise<{ child: ChildProcess; got: HostMessage[]; arrivals: Arrival[]; stderr: () => string }> {
  const child = fork(defaultLauncherPath(), [], {
    execArgv: [],
    serialization: 'json',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, JOBDECK_LAUNCHER_OPTIONS: JSON.stringify({ ...LAUNCHER_DEFAULTS, ...options }) },
  });
  launchers.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const got: HostMessage[] = [];
  const arrivals: Arrival[] = [];
  let ready = false;
  child.on('message', (raw: { t: string; msgs?: HostMessage[] }) => {
    if (raw.t === 'ready') ready = true;
    else {
      got.push(...(raw.msgs ?? []));
      arrivals.push({ at: performance.now(), msgs: raw.msgs ?? [] });
    }
  });
  await until(async () => ready || undefined);
  return { child, got, arrivals, stderr: () => stderr };
}

function request(id: number, dir: string, script: string): SpawnRequest {
  return { id, command: 'sh', args: ['-c', script], cwd: dir, env: {}, unsetEnv: [], runKey: `batch-test-${id}-${process.pid}` };
}

describe('the launcher', () => {
  it('carries out a batch in order: two spawns and a terminate of the second', async () => {
    const dir = tempDir();
    const { child, got } = await launcher();
    child.send({
      t: 'batch',
      msgs: [
        { t: 'spawn', req: request(1, dir, `echo one > ${join(dir, 'one')}; echo done`) },
        { t: 'spawn', req: request(2, dir, 'sleep 30') },
        { t: 'terminate', id: 2, graceMs: 100 },
      ],
    });
    const settled = await until(async () => (got.filter((m) => m.t === 'settled').length === 2 ? got : undefined), 5_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(got)}`); });
    const exits = settled.filter((m) => m.t === 'exit');
    expect(exits.find((m) => m.id === 1)).toMatchObject({ code: 0, signal: null });
    // Terminated at once: never ran its 30 s.
    expect(exits.find((m) => m.id === 2)).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(settled.find((m) => m.t === 'lines' && m.id === 1)).toMatchObject({ stream: 'stdout', lines: ['done'] });
  });

  it('refuses a malformed batch whole, naming the problem, and starts nothing of it', async () => {
    const dir = tempDir();
    const { child, got, stderr } = await launcher();
    // A good spawn beside a bad one, an empty batch, a batch nested in a batch.
    child.send({ t: 'batch', msgs: [{ t: 'spawn', req: request(3, dir, 'true') }, { t: 'spawn', req: { id: 'x' } }] });
    child.send({ t: 'batch', msgs: [] });
    child.send({ t: 'batch', msgs: [{ t: 'batch', msgs: [{ t: 'spawn', req: request(4, dir, 'true') }] }] });
    // Then a good one: the launcher is still there and obeys it.
    child.send({ t: 'spawn', req: request(5, dir, 'true') });
    await until(async () => (got.some((m) => m.t === 'settled' && m.id === 5) ? true : undefined), 15_000);
    expect(got.filter((m) => m.id !== 5)).toEqual([]);
    expect(child.exitCode).toBeNull();
    const refusals = stderr().split('\n').filter((l) => l.startsWith('launcher: ignored a malformed message ('));
    expect(refusals).toHaveLength(3);
  });
});

describe("the launcher's reports", () => {
  it("sends a short run's start and output with its end, and the end at once (not after the report delay)", async () => {
    const dir = tempDir();
    const { child, arrivals } = await launcher({ reportDelayMs: 1500 });
    const sent = performance.now();
    child.send({ t: 'spawn', req: request(1, dir, 'echo hi') });
    await until(async () => (arrivals.some((a) => a.msgs.some((m) => m.t === 'settled')) ? true : undefined), 5_000);
    const withExit = arrivals.find((a) => a.msgs.some((m) => m.t === 'exit'))!;
    // (Its `settled` follows the search for escaped processes, in this batch or the next.)
    expect(withExit.msgs.map((m) => m.t).filter((t) => t !== 'settled')).toEqual(['spawned', 'lines', 'exit']);
    expect(withExit.at - sent).toBeLessThan(1200);
  });

  it('sends the start and output of a run still running within the report delay, in order before its end', async () => {
    const dir = tempDir();
    const { child, arrivals, got } = await launcher({ reportDelayMs: 200 });
    const sent = performance.now();
    child.send({ t: 'spawn', req: request(1, dir, 'echo early; sleep 3; echo late') });
    await until(async () => (got.some((m) => m.t === 'settled') ? true : undefined), 10_000);
    const arrived = (pick: (m: HostMessage) => boolean) => arrivals.find((a) => a.msgs.some(pick))!.at - sent;
    expect(arrived((m) => m.t === 'spawned')).toBeLessThan(2000);
    expect(arrived((m) => m.t === 'lines' && m.lines.includes('early'))).toBeLessThan(2000);
    expect(got.map((m) => (m.t === 'lines' ? m.lines.join() : m.t))).toEqual(['spawned', 'early', 'late', 'exit', 'settled']);
  });
});

describe('the launcher under a flood of output', () => {
  // Peak memory is read from /proc.
  it.skipIf(process.platform !== 'linux')("stops reading a job's output while 8 MiB of it are unsent to an engine that does not read, whatever the count of messages", async () => {
    const dir = tempDir();
    const { child, got } = await launcher();
    const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
    const before = hwm();
    // 48 MB of x in lines of 99 (and a newline); this process reads nothing from the launcher for 3 s meanwhile.
    child.send({ t: 'spawn', req: request(1, dir, `head -c 48000000 /dev/zero | tr '\\0' x | fold -w 99`) });
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
    const grew = hwm() - before;
    await until(async () => (got.some((m) => m.t === 'settled') ? true : undefined), 60_000);
    const lines = got.reduce((n, m) => n + (m.t === 'lines' ? m.lines.length : 0), 0);
    expect(lines).toBe(Math.ceil(48_000_000 / 99));
    // Peak memory, garbage not yet collected included: 35-41 MiB more here with the byte limit; without
    // it, 64 unsent messages of up to 1 MiB each (and their serialized copies) pile up: 99 MiB.
    expect(grew, `peak memory grew ${Math.round(grew / 1048576)} MiB`).toBeLessThan(64 * 1024 * 1024);
  }, 90_000);
});

describe('a warm start', () => {
  it('is reported at once, not held for the report delay (its process cannot be found by the run key)', async () => {
    const dir = tempDir();
    const { child, arrivals, got } = await launcher({ reportDelayMs: 3000, warmMax: 1, warmNodePath: defaultWarmNodePath() ?? undefined });
    const script = join(dir, 'job.js');
    // Runs 2.5 s: its start report would otherwise go after the 3 s delay or with its end.
    writeFileSync(script, 'setTimeout(() => {}, 2500);\n');
    const nodeRun = (id: number): SpawnRequest => ({ ...request(id, dir, ''), command: process.execPath, args: [script], env: { ELECTRON_RUN_AS_NODE: '1' }, warm: 'node' });
    // The first starts cold and asks the pool for an interpreter; the second starts in it.
    child.send({ t: 'spawn', req: nodeRun(1) });
    await until(async () => (got.some((m) => m.t === 'settled' && m.id === 1) ? true : undefined), 10_000);
    let warmStart: number | undefined;
    for (let attempt = 2; attempt < 12 && warmStart === undefined; attempt++) {
      await new Promise((r) => setTimeout(r, 300));
      const sent = performance.now();
      child.send({ t: 'spawn', req: nodeRun(attempt) });
      await until(async () => (got.some((m) => m.t === 'spawned' && m.id === attempt) ? true : undefined), 10_000);
      const spawned = got.find((m) => m.t === 'spawned' && m.id === attempt)!;
      if (spawned.t === 'spawned' && spawned.warm) warmStart = arrivals.find((a) => a.msgs.includes(spawned))!.at - sent;
      await until(async () => (got.some((m) => m.t === 'settled' && m.id === attempt) ? true : undefined), 10_000);
    }
    expect(warmStart).toBeDefined();
    expect(warmStart!).toBeLessThan(1500);
  }, 60_000);
});

describe('a launcher killed before it reported a start', () => {
  it.skipIf(process.platform !== 'linux')("has the run's processes killed by the engine, found by their run key", async () => {
    const dir = tempDir();
    // Start reports held 5 s: the engine knows the run was asked for, not its pid.
    const port = new LauncherPort({ ...LAUNCHER_DEFAULTS, reportDelayMs: 5000 });
    const got: HostMessage[] = [];
    port.onMessages = (msgs) => got.push(...msgs);
    const key = `unreported-${process.pid}-${Date.now()}`;
    port.spawn({ ...request(7, dir, 'sleep 30'), runKey: key });
    const running = () => findByKeys(new Map([[key, 0]])).get(key) ?? [];
    await until(async () => (running().length > 0 ? true : undefined), 10_000);
    expect(got).toEqual([]);
    process.kill(port.pid!, 'SIGKILL');
    await until(async () => (got.some((m) => m.t === 'failed' && m.id === 7 && m.reason === 'LAUNCHER_DIED') ? true : undefined), 10_000);
    await until(async () => (running().length === 0 ? true : undefined), 5_000);
    await port.shutdown(100);
  });
});

describe('a launcher that dies before it is ready', () => {
  it('takes the runs it was never sent with it: they are recorded failed and never start in the launcher after it', async () => {
    const dir = tempDir();
    const marker = join(dir, 'died-once');
    // Dies at its first start, before saying it is ready; the real launcher from then on.
    const flaky = join(dir, 'flaky-launcher.mjs');
    writeFileSync(
      flaky,
      `import { existsSync, writeFileSync } from 'node:fs';
if (!existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, ''); process.exit(3); }
await import(${JSON.stringify(pathToFileURL(defaultLauncherPath()).href)});
`,
    );
    const { engine, client } = openEngine({ scheduler: false, launchers: 1, launcherPath: flaky });
    const ran = join(dir, 'ran');
    const job = await client.call('jobs.create', { name: 'once', script: `echo "$JOBDECK_RUN_ID" >> "${ran}"`, schedule: { kind: 'manual' } });
    const first = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(first).toMatchObject({ status: 'FAILED' });
    expect(first.error).toMatch(/launcher process died/);
    takeEngineErrors();
    const second = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(second.status).toBe('SUCCEEDED');
    // Only the second run's script ran: the first one's spawn was not handed to the new launcher.
    await new Promise((r) => setTimeout(r, 300));
    expect(readFileSync(ran, 'utf8')).toBe(`${second.id}\n`);
  });
});
