/**
 * The CLI under conditions a user creates without meaning to: a killed
 * terminal, output piped into head, a script file of another language, an
 * empty script, a serve that cannot bind, signals while runs are in flight.
 * Standard error is checked too: empty where nothing went wrong.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../helpers/cli';
import { until } from '../helpers/engine';
import { FIXTURES, isAlive } from '../helpers/process';
import { tempDir } from '../helpers/temp';

const exited = (child: ReturnType<typeof spawn>) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));

describe('jobdeck run, hardened', () => {
  it('takes its script down with it when killed with kill -9', async () => {
    const child = spawn(process.execPath, [BIN, 'run', join(FIXTURES, 'ignore-term.sh')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const line = await until(() => /pids (\d+) (\d+)/.exec(out), 20_000, 'the script to start');
    const pids = [Number(line[1]), Number(line[2])];
    child.kill('SIGKILL');
    await exited(child);
    await until(() => pids.every((pid) => !isAlive(pid)), 10_000, 'the script to be stopped');
  });

  it('takes down, when killed with kill -9, a process its script started in a session of its own (found by the run key)', async () => {
    const script = join(tempDir(), 'daemonize.sh');
    writeFileSync(
      script,
      [
        'setsid sleep 120 >/dev/null 2>&1 &',
        'd=$!',
        // Until it surely has its own session (it has left the run's process group).
        'i=0; while [ "$i" -lt 100 ] && [ "$(cut -d" " -f6 /proc/$d/stat)" = "$(cut -d" " -f6 /proc/$$/stat)" ]; do sleep 0.01; i=$((i + 1)); done',
        'echo "daemon $d main $$"',
        'sleep 120',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [BIN, 'run', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const line = await until(() => /daemon (\d+) main (\d+)/.exec(out), 20_000, 'the script to start its daemon');
    const [daemon, main] = [Number(line[1]), Number(line[2])];
    expect(isAlive(daemon)).toBe(true);
    child.kill('SIGKILL');
    await exited(child);
    await until(() => (!isAlive(main) && !isAlive(daemon) ? true : undefined), 10_000, 'the script and its daemon to be stopped');
  });

  it('prints nothing on standard error but its own [jobdeck] lines and the summary when all goes well', async () => {
    const r = await cli(['run', join(FIXTURES, 'ok.sh'), 'a']);
    expect(r.code).toBe(0);
    const unexpected = r.stderr.split('\n').filter((l) => l && !l.startsWith('[jobdeck] ') && !/^Run \d+ SUCCEEDED/.test(l));
    expect(unexpected).toEqual([]);
  });

  it('ends quietly when its output is piped into head', async () => {
    const dataDir = tempDir();
    const err = join(tempDir(), 'stderr.txt');
    // A run printing 200,000 lines, its log then read through `head -n 3`.
    await cli(['jobs', 'add', '--name', 'long', '--script', join(FIXTURES, 'flood.sh'), '--manual'], { dataDir });
    const run = await cli(['run', 'long', '--', '200000'], { dataDir });
    expect(run.code).toBe(0);
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" runs logs 1 2>"${err}" | head -n 3`], {
      env: { ...process.env, JOBDECK_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    expect(piped.stdout).toBe('1\n2\n3\n');
    // Only the log's own Jobdeck lines (they go to standard error): no EPIPE, no stack.
    expect(readFileSync(err, 'utf8').split('\n').filter((l) => l && !l.startsWith('[jobdeck] '))).toEqual([]);
    // Its throwaway folder goes too, though the command ends early (a temporary folder of its own to look in).
    const tmp = tempDir();
    const pipedRun = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" run "${join(FIXTURES, 'flood.sh')}" 2>"${err}" | head -n 2`], {
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
    });
    expect(pipedRun.stdout.startsWith('1\n2\n')).toBe(true);
    expect(readFileSync(err, 'utf8')).not.toMatch(/EPIPE|Error|at .*\(/);
    expect(readdirSync(tmp).filter((name) => name.startsWith('jobdeck-run-'))).toEqual([]);
  });
});

describe('jobdeck jobs add, hardened', () => {
  it('infers the runtime of a script file from its extension or #! line, as run does', async () => {
    const dataDir = tempDir();
    const dir = tempDir();
    writeFileSync(join(dir, 'report.js'), 'console.log("from node", process.version.startsWith("v"))\n');
    writeFileSync(join(dir, 'noext'), '#!/usr/bin/env python3\nprint("from python")\n');
    writeFileSync(join(dir, 'mystery.txt'), 'echo hi\n');
    const js = await cli(['jobs', 'add', '--name', 'js', '--script', join(dir, 'report.js'), '--manual'], { dataDir });
    expect([js.code, js.stderr]).toEqual([0, '']);
    const py = await cli(['jobs', 'add', '--name', 'py', '--script', join(dir, 'noext'), '--manual'], { dataDir });
    expect([py.code, py.stderr]).toEqual([0, '']);
    const shown = JSON.parse((await cli(['jobs', 'list', '--json'], { dataDir })).stdout);
    expect(Object.fromEntries(shown.map((j: { name: string; runtime: string }) => [j.name, j.runtime]))).toEqual({ js: 'node', py: 'python3' });
    const ran = await cli(['run', 'js'], { dataDir });
    expect(ran.stdout).toContain('from node true');
    const unknown = await cli(['jobs', 'add', '--name', 'm', '--script', join(dir, 'mystery.txt'), '--manual'], { dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/cannot tell which runtime runs .*mystery\.txt; pass --runtime/);
  });

  it('refuses an empty script, naming the option', async () => {
    const dataDir = tempDir();
    const empty = join(tempDir(), 'empty.sh');
    writeFileSync(empty, '  \n');
    const r = await cli(['jobs', 'add', '--name', 'nothing', '--script', empty, '--manual'], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('jobdeck: --script: script is empty: give the commands the job runs\n');
    expect((await cli(['jobs', 'list', '--json'], { dataDir })).stdout.trim()).toBe('[]');
  });

  it('refuses --node-lease off a shared database, and one that is not a whole number', async () => {
    const off = await cli(['run', 'some-job', '--node-lease', '5'], { dataDir: tempDir() });
    expect([off.code, off.stderr]).toEqual([2, 'jobdeck: --node-lease applies on a shared database (--database URL or JOBDECK_DATABASE_URL)\n']);
    const bad = await cli(['--database', 'postgres://u@127.0.0.1:1/x', 'run', 'some-job', '--node-lease', 'soon'], { dataDir: tempDir() });
    expect([bad.code, bad.stderr]).toEqual([2, 'jobdeck: --node-lease must be a whole number of at least 1, not "soon"\n']);
  });
});

describe('jobdeck serve, hardened', () => {
  it('fires nothing, not even a catch-up run, when it cannot bind its port', async () => {
    const dataDir = tempDir();
    await cli(['jobs', 'add', '--name', 'tick', '--script', join(FIXTURES, 'ok.sh'), '--interval', '1'], { dataDir });
    // Make its fire long overdue, as after downtime: a run-once catch-up would be due at start.
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    await new Promise((r) => setTimeout(r, 2500));
    const r = await cli(['serve', '--port', String(port)], { dataDir });
    blocker.close();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`));
    const runs = JSON.parse((await cli(['runs', 'list', '--json'], { dataDir })).stdout);
    expect(runs.total).toBe(0);
  });

  it('cancels running runs at once on a second SIGTERM', async () => {
    const dataDir = tempDir();
    await cli(['jobs', 'add', '--name', 'slow', '--script', join(FIXTURES, 'ignore-term.sh'), '--manual'], { dataDir });
    const add = await cli(['users', 'add', 'ops', '--role', 'admin'], { dataDir });
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--log-level', 'silent', '--grace', '60'], {
      env: { ...process.env, JOBDECK_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const url = (await until(() => /console\s+(\S+?)\/\n/.exec(err), 20_000, 'serve to listen'))[1]!;
    const headers = { authorization: `Bearer ${add.stdout.trim()}`, 'content-type': 'application/json' };
    const run: any = await (await fetch(`${url}/api/jobs/1/runs`, { method: 'POST', headers, body: '{}' })).json();
    await until(async () => {
      const page: any = await (await fetch(`${url}/api/runs/${run.id}/logs`, { headers })).json();
      return page.lines.some((l: { text: string }) => l.text.startsWith('pids '));
    });
    child.kill('SIGTERM');
    await until(() => err.includes('waiting up to 60 s for 1 running run'), 5000, 'the first signal to be taken');
    const second = Date.now();
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(Date.now() - second).toBeLessThan(15_000);
    const runs = JSON.parse((await cli(['runs', 'list', '--json'], { dataDir })).stdout);
    expect(runs.items[0]).toMatchObject({ status: 'CANCELLED', error: 'cancelled by engine shutdown' });
  });
});

describe('npm start without an Electron binary', () => {
  it.skipIf(existsSync(join(import.meta.dirname, '..', '..', 'node_modules', 'electron', 'path.txt')))(
    'says in one sentence what to do instead',
    () => {
      const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', '..', 'scripts', 'desktop.mjs'), 'start'], { encoding: 'utf8', timeout: 150_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/Electron binary is not installed.*npx jobdeck serve/);
    },
  );
});

describe('jobdeck tokens, expiring', () => {
  it('creates a token that expires, and lists when', async () => {
    const dataDir = tempDir();
    await cli(['users', 'add', 'ops', '--role', 'viewer'], { dataDir });
    const made = await cli(['tokens', 'create', 'ops', '--expires', '30d'], { dataDir });
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(/^New token \S+ for ops \(until .+\), shown only now:\n$/);
    const list = await cli(['users', 'list'], { dataDir });
    expect(list.stdout).toMatch(/\(until /);
    expect(list.stderr).toBe('');
    const bad = await cli(['tokens', 'create', 'ops', '--expires', 'soon'], { dataDir });
    expect([bad.code, bad.stderr]).toEqual([2, 'jobdeck: --expires: expected a duration such as 30d, 12h or 90m, not "soon"\n']);
  });
});

describe('an error the CLI did not expect', () => {
  it('is one line on standard error; JOBDECK_DEBUG=1 adds its stack, mapped to the TypeScript sources', async () => {
    const dataDir = tempDir();
    const target = join(tempDir(), 'no such folder', 'jobs.json');
    const plain = await cli(['export', target, '--data-dir', dataDir]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(`jobdeck: ENOENT: no such file or directory, open '${target}'\n`);
    const debug = await cli(['export', target, '--data-dir', dataDir], { env: { JOBDECK_DEBUG: '1' } });
    expect(debug.code).toBe(1);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.trimEnd());
    // A frame in our own code, named by its source file (the bundle's source map), not by out/node/cli.mjs.
    expect(debug.stderr).toMatch(/\n\s+at .*electron\/cli\/commands\/transfer\.ts:\d+:\d+/);
  });
});
