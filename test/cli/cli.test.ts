/** The `jobdeck` command as a user runs it. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { cliTarget, TARGETS } from '../helpers/cliTarget';
import { FIXTURES } from '../helpers/process';
import { tempDir } from '../helpers/temp';

const script = (name: string) => join(FIXTURES, name);

describe('jobdeck run', () => {
  it('runs a script file in the foreground, streaming output and listing result files', async () => {
    const out = tempDir();
    const r = await cli(['run', script('progress.sh'), '--output-dir', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('::progress 50 half way');
    expect(r.stdout).toContain(`${join(out, 'report.csv')}  (26 bytes)  [primary]`);
    expect(r.stderr).toMatch(/Run 1 SUCCEEDED in .* \(exit code 0\)/);
    expect(readFileSync(join(out, 'report.csv'), 'utf8')).toBe('name,count\nalpha,1\nbeta,2\n');
  });

  it('passes args and params, and exits with the script exit code', async () => {
    const ok = await cli(['run', script('ok.sh'), 'one', 'two', '--param', 'mode=fast', '--', '-v']);
    expect(ok.stdout).toContain('hello one two -v');
    expect(ok.stdout).toContain('params={"mode":"fast"}');
    const failed = await cli(['run', script('exit3.sh')]);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('about to fail');
    expect(failed.stderr).toMatch(/Run 1 FAILED .*exit code 3/);
  });

  it('says a timed-out run was stopped for its timeout, with the signal or exit code that ended it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'slow.sh'), 'sleep 5\n');
    writeFileSync(join(dir, 'trapped.sh'), 'trap "exit 5" TERM\nsleep 5 & wait\n');
    const slow = await cli(['run', join(dir, 'slow.sh'), '--timeout', '1']);
    expect(slow.code).toBe(1);
    expect(slow.stderr).toMatch(/\nRun 1 FAILED in [\d.]+ s \(timeout after 1 s, SIGTERM\)\n$/);
    const trapped = await cli(['run', join(dir, 'trapped.sh'), '--timeout', '1']);
    expect(trapped.stderr).toMatch(/\nRun 1 FAILED in [\d.]+ s \(timeout after 1 s, exit code 5\)\n$/);
  });

  it('says what is wrong with a missing interpreter or an unknown target', async () => {
    const missing = await cli(['run', script('ok.sh'), '--runtime', 'nonexistent-shell {script}']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nonexistent-shell was not found');
    const unknown = await cli(['run', 'no-such-thing'], { dataDir: tempDir() });
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/"no-such-thing" is neither a script file nor a job/);
  });

  it('still answers as bin/jobdeck.mjs, the path earlier versions installed (service units name it), with the same exit codes', async () => {
    const old = join(import.meta.dirname, '..', '..', 'bin', 'jobdeck.mjs');
    const run = spawnSync(process.execPath, [old, 'run', script('exit3.sh')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/Run 1 FAILED .*exit code 3/);
    const version = spawnSync(process.execPath, [old, '--version'], { encoding: 'utf8' });
    expect(version).toMatchObject({ status: 0, stderr: '', stdout: `${JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version}\n` });
  });
});

// The same tests against a data folder and against a server (--server): identical outputs and exit codes.
describe.each(TARGETS)('jobdeck jobs, runs, export and import (%s)', (kind) => {
  it('runs a stored job and records the run with the cli trigger', async () => {
    const t = await cliTarget(kind);
    const add = await t.cli(['jobs', 'add', '--name', 'greeter', '--script', script('ok.sh'), '--manual', '--user', 'svc']);
    expect(add.code).toBe(0);
    const run = await t.cli(['run', 'greeter', 'world']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hello world');
    expect(run.stdout).toContain('user=svc');
    const list = await t.cli(['runs', 'list', '--json']);
    const page = JSON.parse(list.stdout);
    expect(page.items[0]).toMatchObject({ jobName: 'greeter', trigger: 'cli', status: 'SUCCEEDED', args: 'world' });
    const logs = await t.cli(['runs', 'logs', String(page.items[0].id)]);
    expect(logs.stdout).toContain('hello world');
    expect(logs.stderr).toContain('[jobdeck] Finished SUCCEEDED');
  });

  it('adds, lists, shows, edits and archives jobs, with clear errors', async () => {
    const t = await cliTarget(kind);
    const add = await t.cli(
      ['jobs', 'add', '--name', 'Disk check', '--script', script('ok.sh'), '--cron', '0 */5 * * * *', '--tz', 'Europe/Oslo', '--group', 'ops',
        '--param-def', 'threshold:number:90', '--param-def', 'mode:choice(fast|full)!', '--param', 'mode=full', '--json'],
    );
    expect(add.code, add.stderr).toBe(0);
    const job = JSON.parse(add.stdout);
    expect(job).toMatchObject({
      name: 'Disk check',
      group: 'ops',
      schedule: { kind: 'cron', expression: '0 */5 * * * *', timezone: 'Europe/Oslo' },
      params: [
        { name: 'threshold', type: 'number', default: 90 },
        { name: 'mode', type: 'choice', choices: ['fast', 'full'], required: true },
      ],
      paramValues: { mode: 'full' },
    });
    const tooFast = await t.cli(['jobs', 'edit', 'disk check', '--interval', '301']);
    expect(tooFast.code).toBe(2);
    expect(tooFast.stderr).toBe('jobdeck: --interval: interval must be at most 300 seconds\n');
    const badCron = await t.cli(['jobs', 'edit', 'disk check', '--cron', '0 30 25 * * *']);
    expect([badCron.code, badCron.stderr]).toEqual([2, 'jobdeck: --cron: invalid cron expression: field 3 (hour): 25 is out of range 0–23\n']);
    const taken = await t.cli(['jobs', 'add', '--name', 'DISK CHECK', '--script', script('ok.sh')]);
    expect(taken.stderr).toContain('a job named "DISK CHECK" already exists');
    const noScript = await t.cli(['jobs', 'add', '--name', 'x', '--script', '/nope/missing.sh']);
    expect([noScript.code, noScript.stderr]).toEqual([2, 'jobdeck: --script: cannot read /nope/missing.sh: ENOENT\n']);
    const edit = await t.cli(['jobs', 'edit', String(job.id), '--interval', '30', '--retries', '2']);
    expect(edit.stdout).toContain('revision 2');
    const list = await t.cli(['jobs', 'list']);
    expect(list.stdout).toMatch(/Disk check\s+ops\s+every 30 s/);
    expect(list.stdout).toContain(job.scriptMd5.slice(0, 8));
    const show = await t.cli(['jobs', 'show', 'Disk check']);
    expect(show.stdout).toContain(`script md5    ${job.scriptMd5}`);
    expect(show.stdout).toContain('retries       2 (delay 60 s)');
    const archive = await t.cli(['jobs', 'archive', 'Disk check']);
    expect(archive.stdout).toContain('Archived job');
    const archived = JSON.parse((await t.cli(['jobs', 'list', '--archived', 'only', '--json'])).stdout);
    expect(archived.map((j: { name: string }) => j.name)).toEqual(['Disk check']);
  });

  it('deletes a job only with --yes, saying what goes with it, and removes its run folders', async () => {
    const t = await cliTarget(kind);
    await t.cli(['jobs', 'add', '--name', 'old report', '--script', script('ok.sh'), '--manual']);
    expect((await t.cli(['run', 'old report', 'x'])).code).toBe(0);
    const job = JSON.parse((await t.cli(['jobs', 'show', 'old report', '--json'])).stdout);
    expect(existsSync(join(t.dataDir, 'runs', String(job.id)))).toBe(true);
    const asked = await t.cli(['jobs', 'delete', 'old report']);
    expect([asked.code, asked.stdout, asked.stderr]).toEqual([
      2,
      '',
      `jobdeck: this would delete job ${job.id} "old report" with its 1 run, their logs and result files; add --yes to delete it\n`,
    ]);
    const gone = await t.cli(['jobs', 'delete', 'old report', '--yes']);
    expect([gone.code, gone.stderr]).toEqual([0, '']);
    expect(gone.stdout).toMatch(new RegExp(`^Deleted job ${job.id} "old report" with 1 run, \\d+ log lines and 0 result files\n$`));
    const again = await t.cli(['jobs', 'delete', 'old report', '--yes']);
    expect(again.code).toBe(3);
    await expect.poll(() => existsSync(join(t.dataDir, 'runs', String(job.id)))).toBe(false);
  });

  it('turns warm starts off and on with --warm, shown, exported, and on for documents that predate it', async () => {
    const t = await cliTarget(kind);
    expect((await t.cli(['jobs', 'add', '--name', 'cold node', '--runtime', 'node', '--script', script('ok.sh'), '--manual', '--warm', 'off'])).code).toBe(0);
    const show = async () => JSON.parse((await t.cli(['jobs', 'show', 'cold node', '--json'])).stdout).warm;
    expect(await show()).toBe(false);
    expect((await t.cli(['jobs', 'show', 'cold node'])).stdout).toMatch(/warm start\s+off/);
    const doc = JSON.parse((await t.cli(['export'])).stdout);
    expect(doc.jobs[0].warm).toBe(false);
    expect((await t.cli(['jobs', 'edit', 'cold node', '--warm', 'on'])).code).toBe(0);
    expect(await show()).toBe(true);
    const bad = await t.cli(['jobs', 'edit', 'cold node', '--warm', 'maybe']);
    expect(bad.code).toBe(2);
    const old = join(tempDir(), 'old.json');
    delete doc.jobs[0].warm;
    doc.jobs[0].name = 'from an old export';
    writeFileSync(old, JSON.stringify(doc));
    expect((await t.cli(['import', old])).code).toBe(0);
    expect(JSON.parse((await t.cli(['jobs', 'show', 'from an old export', '--json'])).stdout).warm).toBe(true);
  });

  it('exports and imports a data folder exactly; a malformed file changes nothing', async () => {
    const a = await cliTarget(kind);
    await a.cli(['jobs', 'add', '--name', 'one', '--script', script('ok.sh'), '--interval', '45', '--user', 'svc']);
    await a.cli(['jobs', 'add', '--name', 'two', '--script', script('exit3.sh'), '--manual', '--lock', 'db', '--timeout', '60']);
    const file = join(tempDir(), 'jobs.json');
    expect((await a.cli(['export', file])).stderr).toContain('Exported 2 jobs');
    const b = await cliTarget(kind);
    const broken = join(tempDir(), 'broken.json');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.jobs[1].timeoutSeconds = 'soon';
    writeFileSync(broken, JSON.stringify(doc));
    const bad = await b.cli(['import', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('jobdeck: document.jobs.1.timeoutSeconds: must be a number\n');
    expect(JSON.parse((await b.cli(['jobs', 'list', '--json'])).stdout)).toEqual([]);
    const notJson = await b.cli(['import', script('ok.sh')]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/not valid JSON/);
    const dry = await b.cli(['import', file, '--dry-run']);
    expect(dry.stdout).toContain('Would create 2');
    expect((await b.cli(['import', file])).stdout).toContain('Created 2, updated 0, unchanged 0.');
    const again = JSON.parse((await b.cli(['export'])).stdout);
    expect({ ...again, exportedAt: null }).toEqual({ ...JSON.parse(readFileSync(file, 'utf8')), exportedAt: null });
  });

  it('lists, shows and filters runs; cancel of a finished run is refused', async () => {
    const t = await cliTarget(kind);
    await t.cli(['jobs', 'add', '--name', 'bad', '--script', script('exit3.sh'), '--manual']);
    await t.cli(['jobs', 'add', '--name', 'good', '--script', script('ok.sh'), '--manual']);
    await t.cli(['run', 'bad']);
    await t.cli(['run', 'good']);
    const failed = JSON.parse((await t.cli(['runs', 'list', '--status', 'failed', '--json'])).stdout);
    expect(failed.items.map((r: { jobName: string }) => r.jobName)).toEqual(['bad']);
    const table = await t.cli(['runs', 'list', '--job', 'good']);
    expect(table.stdout).toMatch(/good\s+SUCCEEDED\s+cli/);
    const badStatus = await t.cli(['runs', 'list', '--status', 'DONE']);
    expect([badStatus.code, badStatus.stderr]).toEqual([2, 'jobdeck: --status: "DONE" is not one of QUEUED, IN_PROGRESS, SUCCEEDED, FAILED, CANCELLED\n']);
    const badDate = await t.cli(['runs', 'list', '--from', 'yesterday']);
    expect(badDate.stderr).toMatch(/^jobdeck: from: expected 20220221/);
    const show = await t.cli(['runs', 'show', String(failed.items[0].id)]);
    expect(show.stdout).toMatch(/exit\s+3/);
    const cancel = await t.cli(['runs', 'cancel', String(failed.items[0].id)]);
    expect([cancel.code, cancel.stderr]).toEqual([5, `jobdeck: run ${failed.items[0].id} has already finished (FAILED)\n`]);
  });
});
