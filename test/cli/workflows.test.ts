/**
 * Workflows from the real `jobdeck` command: add and edit from a JSON file
 * (refusals name the field, nothing saved), run in the foreground with each
 * task's start and end, one task by path, re-run in place, show and logs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliTarget, TARGETS } from '../helpers/cliTarget';
import { tempDir } from '../helpers/temp';

function setUp() {
  const dir = tempDir();
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const marker = join(dir, 'fixed');
  const wf = file('wf.json', {
    tasks: [
      { name: 'extract', script: `echo extracting; echo '::return {"rows": 3}'`, onComplete: 'extracted {{ result.rows }} rows' },
      { name: 'load', script: 'echo loading', subtasks: [{ name: 'eu', script: `echo eu; test -f ${marker}` }, { name: 'us', script: 'echo us' }] },
      { name: 'report', script: 'echo report' },
    ],
  });
  return { dir, file, wf, fix: () => writeFileSync(marker, '') };
}

describe.each(TARGETS)('jobdeck workflows (%s)', (kind) => {
  it('adds a workflow from a file, runs it in the foreground, shows and re-runs it in place', async () => {
    const { wf, fix } = setUp();
    const t = await cliTarget(kind);
    const added = await t.cli(['jobs', 'add', '--name', 'etl', '--workflow', wf, '--manual']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toMatch(/^Created job 1 "etl"/);

    const run = await t.cli(['run', 'etl']);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual(expect.arrayContaining(['[#.extract] extracting', '[#.load] loading', '[#.load.eu] eu', '[#.load.us] us']));
    expect(run.stdout).not.toContain('report');
    expect(run.stderr).toContain('[jobdeck] Starting #.extract (attempt 1 of 1)');
    expect(run.stderr).toContain('[jobdeck] Task #.extract SUCCEEDED in ');
    expect(run.stderr).toContain('[jobdeck] #.extract: extracted 3 rows');
    expect(run.stderr).toContain('Run 1 FAILED');
    expect(run.stderr).toMatch(/#\.report {2}SKIPPED {2}not run: #\.load failed/);

    const shown = await t.cli(['runs', 'show', '1', '--json']);
    expect(shown).toMatchObject({ code: 0, stderr: '' });
    const doc = JSON.parse(shown.stdout) as { status: string; taskRuns: { path: string; status: string }[] };
    expect(doc.status).toBe('FAILED');
    expect(doc.taskRuns.map((t) => `${t.path}=${t.status}`)).toEqual(['#.extract=SUCCEEDED', '#.load=FAILED', '#.load.eu=FAILED', '#.load.us=SUCCEEDED', '#.report=SKIPPED']);

    const table = await t.cli(['runs', 'show', '1']);
    expect(table.stdout).toMatch(/ {2}#\.load\.eu +FAILED +1 /);

    const own = await t.cli(['runs', 'logs', '1', '--task', '#.load.eu']);
    expect(own.stdout).toBe('[#.load.eu] eu\n');
    expect(own.stderr).toContain('Task #.load.eu FAILED');
    expect(own.stderr).not.toContain('#.extract');

    fix();
    const rerun = await t.cli(['runs', 'rerun', '1', '--failed']);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout.split('\n')).toEqual(expect.arrayContaining(['[#.load.eu] eu', '[#.report] report']));
    expect(rerun.stdout).not.toContain('extracting');
    expect(rerun.stderr).toContain('Run 1 SUCCEEDED');
    expect(rerun.stderr).toMatch(/#\.extract {2}SUCCEEDED .*\(reused\)/);

    const again = await t.cli(['runs', 'rerun', '1', '--failed']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/nothing failed to re-run/);
  });

  it('runs one task by path with --task', async () => {
    const { wf, fix } = setUp();
    const t = await cliTarget(kind);
    fix();
    await t.cli(['jobs', 'add', '--name', 'etl', '--workflow', wf, '--manual']);
    const one = await t.cli(['run', 'etl', '--task', '#.load.us']);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe('[#.load.us] us\n');
    const bad = await t.cli(['run', 'etl', '--task', 'load.us']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a task path/);
    const missing = await t.cli(['run', 'etl', '--task', '#.nope']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/has no task #\.nope/);
  });

  it('refuses a malformed workflow file naming the field, and saves nothing', async () => {
    const { file } = setUp();
    const t = await cliTarget(kind);
    const dup = file('dup.json', { tasks: [{ name: 'a', script: 'true' }, { name: 'a', script: 'true' }] });
    const refused = await t.cli(['jobs', 'add', '--name', 'bad', '--workflow', dup, '--manual']);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/workflow\.tasks\.1\.name/);
    const notJson = file('bad.json', '{ "tasks": [');
    const broken = await t.cli(['jobs', 'add', '--name', 'bad', '--workflow', notJson, '--manual']);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/--workflow: .*bad\.json is not valid JSON/);
    const both = await t.cli(['jobs', 'add', '--name', 'bad', '--workflow', dup, '--script', dup]);
    expect(both.stderr).toMatch(/--workflow replaces --script/);
    const list = await t.cli(['jobs', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it('edits a workflow from a file', async () => {
    const { wf, file } = setUp();
    const t = await cliTarget(kind);
    await t.cli(['jobs', 'add', '--name', 'etl', '--workflow', wf, '--manual']);
    const next = file('next.json', { tasks: [{ name: 'only', script: 'echo only' }] });
    const edited = await t.cli(['jobs', 'edit', 'etl', '--workflow', next]);
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    const run = await t.cli(['run', 'etl']);
    expect(run).toMatchObject({ code: 0, stdout: '[#.only] only\n' });
  });

  it('sets what a job waits for with --after and --gate, and shows it', async () => {
    const { file } = setUp();
    const t = await cliTarget(kind);
    const sh = file('a.sh', 'echo a\n');
    for (const name of ['A', 'B']) expect((await t.cli(['jobs', 'add', '--name', name, '--script', sh, '--manual'])).code).toBe(0);
    const added = await t.cli(['jobs', 'add', '--name', 'C', '--script', sh, '--interval', '60', '--after', 'A,B:FAILED', '--gate', '30']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const shown = await t.cli(['jobs', 'show', 'C']);
    expect(shown.stdout).toMatch(/waits for +A, B \(FAILED\)/);
    expect(shown.stdout).toMatch(/gate +runs at its time only if those succeeded in the last 30 min/);
    const refused = await t.cli(['jobs', 'edit', 'A', '--after', 'nobody']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/after\.0\.job.*no job is named "nobody"/);
    const cleared = await t.cli(['jobs', 'edit', 'C', '--gate', 'none', '--after', 'none']);
    expect(cleared.code).toBe(0);
    expect(JSON.parse((await t.cli(['jobs', 'show', 'C', '--json'])).stdout)).toMatchObject({ after: [], gate: null });
  });
});
