/**
 * Warm starts: node and python3 runs handed to a pre-started interpreter in
 * the launcher behave as a fresh process would (output, environment,
 * folder, argv, exit codes, signals, uncaught errors, timeout and cancel of
 * the whole process group, empty stdin). The first run of a job starts
 * cold and asks the pool for one; the next starts warm, its log saying so.
 * The job setting off keeps it cold; the pool is empty after a quiet window
 * and after the engine closes.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobdeckClient } from '../../shared/client/client';
import type { Engine } from '../../electron/engine/engine';
import { openEngine, until } from '../helpers/engine';
import { isAlive } from '../helpers/process';
import { tempDir } from '../helpers/temp';
import { startEnvMatches } from '../../electron/engine/runner/warmPool';

const manual = { kind: 'manual' } as const;
const WARM_LINE = /^Started in a pre-started (node|python3) process \(warm start, pid \d+\)$/;

/** The launcher's children that are idle warm interpreters (pid and command line). */
function idleWarm(launcherPid: number): { pid: number; args: string }[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(launcherPid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when no process matches
  }
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), args: m[2]! }))
    .filter((p) => p.args.includes('warmNode') || p.args.includes('_jobdeck_become'));
}

async function logs(client: JobdeckClient, id: number) {
  const { lines } = await client.call('runs.logs', { id });
  return {
    stdout: lines.filter((l) => l.stream === 'stdout').map((l) => l.text),
    stderr: lines.filter((l) => l.stream === 'stderr').map((l) => l.text),
    system: lines.filter((l) => l.stream === 'system').map((l) => l.text),
  };
}

interface Setup {
  engine: Engine;
  client: JobdeckClient;
}

const setup = (options: Parameters<typeof openEngine>[0] = {}): Setup => openEngine({ scheduler: false, launchers: 1, ...options });

/** Runs a job and waits for its end: the run, its log, and whether it started warm. */
async function run(s: Setup, jobId: number, input: { args?: string; params?: Record<string, string> } = {}) {
  const { id } = await s.client.call('runs.trigger', { jobId, ...input });
  const end = await s.engine.waitForRun(id);
  const log = await logs(s.client, id);
  return { run: end, log, warm: log.system.some((l) => WARM_LINE.test(l)) };
}

/** Triggers a job and waits until an idle warm interpreter of it is ready in the launcher. */
async function prime(s: Setup, jobId: number, launcherPid: number): Promise<void> {
  await until(() => idleWarm(launcherPid).length > 0, 10_000, 'an idle warm interpreter');
  // Ready means its bootstrap has said so: give it the moment between start and ready.
  await until(async () => {
    const probe = await run(s, jobId, { args: 'probe' });
    return probe.warm || null;
  }, 15_000, 'a warm start');
  await until(() => idleWarm(launcherPid).length > 0, 10_000, 'an idle warm interpreter again');
  await new Promise((r) => setTimeout(r, 400));
}

const NODE_REPORT = `
const fs = require('node:fs');
const stdin = fs.readFileSync(0, 'utf8');
if (process.argv[2] === 'probe') process.exit(0);
const env = Object.fromEntries(Object.entries(process.env).sort());
const leader = require('node:child_process').execFileSync('ps', ['-o', 'pgid=', '-p', String(process.pid)], { encoding: 'utf8' }).trim() === String(process.pid);
console.log(JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env, main: require.main === module, modules: Object.keys(require.cache), stdin, execArgv: process.execArgv, ppid: process.ppid, leader }));
console.error('to stderr');
process.exitCode = Number(process.env.JOBDECK_PARAM_CODE || 0);
`;

const PYTHON_REPORT = `
import json, os, sys
stdin = sys.stdin.read()
if sys.argv[1:2] == ['probe']:
    sys.exit(0)
print(json.dumps({'argv': sys.argv, 'cwd': os.getcwd(), 'env': dict(sorted(os.environ.items())), 'main': __name__, 'stdin': stdin, 'path0': sys.path[0], 'ppid': os.getppid(), 'leader': os.getpgrp() == os.getpid()}))
print('to stderr', file=sys.stderr)
sys.exit(int(os.environ.get('JOBDECK_PARAM_CODE') or 0))
`;

/** A report with what differs between two runs of one job (its run id, folders and key) made comparable. */
function normalise(line: string, runId: number): unknown {
  const r = JSON.parse(line) as { env: Record<string, string>; cwd: string };
  const id = (text: string) => text.replace(new RegExp(`([./])${runId}(/output)?$`), '$1RUN$2');
  // The run's folder, wherever it shows (PWD, and a pyenv shim's PYENV_DIR).
  for (const [k, v] of Object.entries(r.env)) if (v === r.cwd) r.env[k] = 'CWD';
  r.env.JOBDECK_RUN_ID = 'RUN';
  r.env.JOBDECK_RUN_KEY = id(r.env.JOBDECK_RUN_KEY!);
  r.env.JOBDECK_OUTPUT_DIR = id(r.env.JOBDECK_OUTPUT_DIR!);
  r.cwd = id(r.cwd);
  return r;
}

describe.each([
  { runtime: 'node', report: NODE_REPORT },
  { runtime: 'python3', report: PYTHON_REPORT },
])('warm $runtime runs', ({ runtime, report }) => {
  it('behave as a cold start: same stdout, stderr, environment, folder, argv, exit code; stdin empty; the second run starts warm', async () => {
    // A close grace far longer than any run here: a warm run must end when its process does, not when the grace runs out.
    const s = setup({ closeGraceMs: 30_000 });
    const job = await s.client.call('jobs.create', { name: `report ${runtime}`, script: report, runtime, schedule: manual, params: [{ name: 'code', type: 'string' }] });
    const cold = await run(s, job.id, { args: 'one two', params: { code: '3' } });
    expect(cold.warm).toBe(false);
    const launcher = (JSON.parse(cold.log.stdout[0]!) as { ppid: number }).ppid;
    await prime(s, job.id, launcher);
    const warm = await run(s, job.id, { args: 'one two', params: { code: '3' } });
    expect(warm.warm).toBe(true);
    for (const r of [cold, warm]) expect(r.run).toMatchObject({ status: 'FAILED', failure: 'EXIT', exitCode: 3 });
    expect(normalise(warm.log.stdout[0]!, warm.run.id)).toEqual(normalise(cold.log.stdout[0]!, cold.run.id));
    const seen = JSON.parse(warm.log.stdout[0]!) as { argv: string[]; stdin: string; main: unknown; env: Record<string, string> };
    expect(seen.argv.slice(-2)).toEqual(['one', 'two']);
    expect(seen.stdin).toBe('');
    expect(seen.main).toBe(runtime === 'node' ? true : '__main__');
    expect(seen.env.JOBDECK_RUN_ID).toBe(String(warm.run.id));
    // Its own process group, as a cold start's: signals to the group reach only the run.
    expect((seen as unknown as { leader: boolean }).leader).toBe(true);
    expect(warm.log.stderr).toEqual(cold.log.stderr);
    const took = Date.parse(warm.run.finishedAt!) - Date.parse(warm.run.startedAt!);
    expect(took, 'a warm run ends as its process exits').toBeLessThan(10_000);
  });
});

const NODE_MODES = `
const mode = process.argv[2];
if (mode === 'ppid') console.log(process.ppid);
if (mode === 'throw') throw new Error('boom');
if (mode === 'reject') Promise.reject(new Error('nope'));
if (mode === 'signal') process.kill(process.pid, 'SIGKILL');
if (mode === 'hang') {
  const c = require('node:child_process').spawn('sleep', ['30'], { stdio: 'ignore' });
  console.log('grandchild ' + c.pid);
  setInterval(() => {}, 1000);
}
`;

const PYTHON_MODES = `
import os, signal, subprocess, sys, time
mode = sys.argv[1] if len(sys.argv) > 1 else ''
if mode == 'ppid':
    print(os.getppid())
if mode == 'throw':
    def inner():
        raise ValueError('boom')
    inner()
if mode == 'signal':
    os.kill(os.getpid(), signal.SIGKILL)
if mode == 'hang':
    c = subprocess.Popen(['sleep', '30'])
    print('grandchild %d' % c.pid, flush=True)
    time.sleep(60)
`;

/**
 * Runs `args` until one starts warm (a warm process that is still starting
 * is passed over for a cold start), at most 6 tries: the warm run.
 */
async function warmRun(s: Setup, jobId: number, launcher: number, args: string) {
  for (let attempt = 0; attempt < 6; attempt++) {
    await until(() => idleWarm(launcher).length > 0, 10_000, 'an idle warm interpreter');
    const r = await run(s, jobId, { args });
    if (r.warm) return r;
  }
  throw new Error('no run started warm in 6 tries');
}

/** The lines of a Node uncaught-error report that do not name Node's internals (the frames below the script's differ). */
const errorHead = (lines: string[]) => [...lines.slice(0, lines.findIndex((l) => l.startsWith('    at ')) + 1), lines.at(-1)];

describe.each([
  { runtime: 'node', script: NODE_MODES },
  { runtime: 'python3', script: PYTHON_MODES },
])('warm $runtime runs, failing and stopped', ({ runtime, script }) => {
  async function start(options: Parameters<typeof openEngine>[0] = {}, job: { timeoutSeconds?: number; warm?: boolean } = {}) {
    const s = setup(options);
    const created = await s.client.call('jobs.create', { name: `modes ${runtime}`, script, runtime, schedule: manual, ...job });
    const first = await run(s, created.id, { args: 'ppid' });
    expect(first.warm).toBe(false);
    return { s, jobId: created.id, launcher: Number(first.log.stdout[0]) };
  }

  it('an uncaught exception exits 1 with the same report; a signal ends it as a cold one', async () => {
    const { s, jobId, launcher } = await start();
    const cold = await run(s, jobId, { args: 'throw' });
    const warm = await warmRun(s, jobId, launcher, 'throw');
    for (const r of [cold, warm]) expect(r.run).toMatchObject({ status: 'FAILED', failure: 'EXIT', exitCode: 1 });
    if (runtime === 'node') {
      expect(errorHead(warm.log.stderr)).toEqual(errorHead(cold.log.stderr));
      expect(warm.log.stderr.join('\n')).toContain('Error: boom');
      const coldReject = await run(s, jobId, { args: 'reject' });
      const warmReject = await warmRun(s, jobId, launcher, 'reject');
      for (const r of [coldReject, warmReject]) expect(r.run).toMatchObject({ status: 'FAILED', exitCode: 1 });
      expect(errorHead(warmReject.log.stderr)).toEqual(errorHead(coldReject.log.stderr));
    } else {
      // The traceback starts at the script's own frame, as a cold start prints it.
      expect(warm.log.stderr).toEqual(cold.log.stderr);
      expect(warm.log.stderr[0]).toBe('Traceback (most recent call last):');
    }
    const coldSignal = await run(s, jobId, { args: 'signal' });
    const warmSignal = await warmRun(s, jobId, launcher, 'signal');
    for (const r of [coldSignal, warmSignal]) expect(r.run).toMatchObject({ status: 'FAILED', failure: 'SIGNAL', signal: 'SIGKILL', exitCode: null });
  });

  it('a timeout stops the whole process group, a grandchild too', async () => {
    const { s, jobId, launcher } = await start({}, { timeoutSeconds: 1 });
    const warm = await warmRun(s, jobId, launcher, 'hang');
    expect(warm.run).toMatchObject({ status: 'FAILED', failure: 'TIMEOUT' });
    const grandchild = Number(/^grandchild (\d+)$/.exec(warm.log.stdout[0] ?? '')?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    await until(() => !isAlive(grandchild), 5000, 'the grandchild to be gone');
  });

  it('a cancel stops the whole process group', async () => {
    const { s, jobId, launcher } = await start();
    for (let attempt = 0; attempt < 6; attempt++) {
      await until(() => idleWarm(launcher).length > 0, 10_000, 'an idle warm interpreter');
      const { id } = await s.client.call('runs.trigger', { jobId, args: 'hang' });
      const line = await until(async () => (await logs(s.client, id)).stdout[0], 10_000, 'the grandchild line');
      await s.client.call('runs.cancel', { id });
      expect((await s.engine.waitForRun(id)).status).toBe('CANCELLED');
      await until(() => !isAlive(Number(/\d+/.exec(line)![0])), 5000, 'the grandchild to be gone');
      if ((await logs(s.client, id)).system.some((l) => WARM_LINE.test(l))) return;
    }
    throw new Error('no cancelled run had started warm');
  });

  it('turned off for a job, its runs start cold and no interpreter waits for it', async () => {
    const { s, jobId, launcher } = await start({}, { warm: false });
    for (let i = 0; i < 3; i++) expect((await run(s, jobId, { args: 'ppid' })).warm).toBe(false);
    expect(idleWarm(launcher)).toEqual([]);
    // Turned on again: the pool follows.
    await s.client.call('jobs.update', { id: jobId, changes: { warm: true } });
    expect((await s.client.call('jobs.get', { id: jobId })).warm).toBe(true);
    expect((await run(s, jobId, { args: 'ppid' })).warm).toBe(false);
    await warmRun(s, jobId, launcher, 'ppid');
  });

  it('the pool is empty after a quiet window, and after the engine closes no warm process is left', async () => {
    const { s, jobId, launcher } = await start({ warmWindowMs: 1000 });
    await until(() => idleWarm(launcher).length > 0, 10_000, 'an idle warm interpreter');
    await until(() => idleWarm(launcher).length === 0, 10_000, 'the idle interpreter to be retired');
    await run(s, jobId, { args: 'ppid' });
    const idle = await until(() => (idleWarm(launcher).length > 0 ? idleWarm(launcher) : null), 10_000, 'an idle warm interpreter');
    await s.engine.close(500);
    for (const p of idle) expect(isAlive(p.pid)).toBe(false);
    expect(isAlive(launcher)).toBe(false);
  });
});

describe('warm environment check', () => {
  it('takes a warm process only when every variable but JOBDECK_* is what it started with', () => {
    const started = { PATH: '/bin', HOME: '/h' };
    expect(startEnvMatches(started, { PATH: '/bin', HOME: '/h', JOBDECK_RUN_ID: '7' })).toBe(true);
    expect(startEnvMatches(started, { PATH: '/bin', HOME: '/h', NODE_OPTIONS: '--max-old-space-size=64' })).toBe(false);
    expect(startEnvMatches(started, { PATH: '/bin', HOME: '/h', PYTHONPATH: '/x' })).toBe(false);
    expect(startEnvMatches(started, { PATH: '/bin' })).toBe(false);
    expect(startEnvMatches(started, { PATH: '/usr/bin', HOME: '/h' })).toBe(false);
  });
});

describe('warm python3 interpreters', () => {
  it("import nothing from the folder they start in (the temporary folder, anyone's to write)", async () => {
    const planted = tempDir();
    for (const name of ['json', 'runpy', 'pkgutil']) writeFileSync(join(planted, `${name}.py`), `open(${JSON.stringify(join(planted, `imported-${name}`))}, 'w').close()\n`);
    const saved = process.env.TMPDIR;
    // The launcher, forked from here, starts its warm interpreters in its temporary folder.
    process.env.TMPDIR = planted;
    try {
      const s = setup();
      const job = await s.client.call('jobs.create', { name: 'py', script: 'import os\nprint(os.getppid())\n', runtime: 'python3', schedule: manual });
      const cold = await run(s, job.id);
      expect(cold.warm).toBe(false);
      const warm = await warmRun(s, job.id, Number(cold.log.stdout[0]), '');
      expect(warm.run.status).toBe('SUCCEEDED');
      expect(readdirSync(planted).filter((f) => f.startsWith('imported-'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});
