/**
 * README "The data folder" when it is not as it should be: a damaged
 * database, a database emptied beside old run folders, a run folder already
 * there, a folder Jobdeck may not write. Each gets one clear sentence on
 * standard error (no stack) and changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli';
import { openEngine } from '../helpers/engine';
import { FIXTURES } from '../helpers/process';
import { tempDir } from '../helpers/temp';

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .*\(|SqliteError|TypeError/);

async function folderWithRuns(): Promise<string> {
  const { engine, client, dataDir } = openEngine({ scheduler: false });
  for (let i = 0; i < 30; i++) {
    const job = await client.call('jobs.create', { name: `job ${i} ${'x'.repeat(200)}`.slice(0, 90), script: `echo ${i}\n`.repeat(50), schedule: { kind: 'manual' } });
    if (i < 3) await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
  }
  await engine.close(0);
  return dataDir;
}

describe('README › The data folder, damaged or misplaced', () => {
  it('says the database is damaged, and what to do, instead of crashing', async () => {
    const dataDir = await folderWithRuns();
    const db = join(dataDir, 'jobdeck.db');
    for (const f of readdirSync(dataDir)) if (f.startsWith('jobdeck.db-')) execFileSync('rm', ['-f', join(dataDir, f)]);
    const size = statSync(db).size;
    expect(size).toBeGreaterThan(16 * 4096);
    // Random bytes over the pages past the schema (the jobs table's data).
    const fd = openSync(db, 'r+');
    for (let page = 3; page * 4096 < size; page += 2) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, page * 4096);
    closeSync(fd);
    const list = await cli(['jobs', 'list', '--data-dir', dataDir]);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/the database .*jobdeck\.db is damaged \(.*\)\. Stop Jobdeck and keep a copy of the data folder; then restore jobdeck\.db from a backup/);
    noStack(list.stderr);
    const garbage = tempDir();
    writeFileSync(join(garbage, 'jobdeck.db'), Buffer.alloc(8192, 7));
    const serve = await cli(['serve', '--port', '0', '--data-dir', garbage]);
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/is damaged \(file is not a database\)/);
    noStack(serve.stderr);
  });

  it('refuses to start afresh on an emptied database beside run folders, and leaves the file as it was', async () => {
    const dataDir = await folderWithRuns();
    const db = join(dataDir, 'jobdeck.db');
    for (const f of readdirSync(dataDir)) if (f.startsWith('jobdeck.db')) execFileSync('rm', ['-f', join(dataDir, f)]);
    writeFileSync(db, '');
    const r = await cli(['jobs', 'list', '--data-dir', dataDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/jobdeck\.db is empty or missing, but the data folder holds run folders of 3 job\(s\).*Restore jobdeck\.db from a backup, or move .*runs aside/);
    noStack(r.stderr);
    expect(statSync(db).size).toBe(0);
  });

  it('never runs in a run folder that is already there: the run fails, saying so', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'runs', '1', '1'), { recursive: true });
    writeFileSync(join(dataDir, 'runs', '1', '1', 'someone-elses.txt'), 'old');
    // A store created afresh would refuse the folder above: seed the store first, as one restored from an older backup would be.
    const { engine, client } = openEngine({ dataDir: join(dataDir, 'new'), scheduler: false });
    await engine.close(0);
    execFileSync('mv', [join(dataDir, 'new', 'jobdeck.db'), join(dataDir, 'jobdeck.db')]);
    void client;
    const add = await cli(['jobs', 'add', '--name', 'j', '--script', join(FIXTURES, 'ok.sh'), '--manual', '--data-dir', dataDir]);
    expect(add.code).toBe(0);
    const run = await cli(['run', 'j', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/already exists .*never reused/);
    const shown = JSON.parse((await cli(['runs', 'show', '1', '--json', '--data-dir', dataDir])).stdout);
    expect(shown).toMatchObject({ status: 'FAILED', failure: 'PREPARE_FAILED' });
  });

  it('names the folder it cannot write', async () => {
    const dataDir = tempDir();
    try {
      execFileSync('chattr', ['+i', dataDir], { stdio: 'ignore' });
    } catch {
      console.warn('skipped: chattr +i is not allowed here, so no folder can be made read-only for root');
      return;
    }
    try {
      const r = await cli(['jobs', 'list', '--data-dir', dataDir]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot write to the data folder ${dataDir}`);
      noStack(r.stderr);
    } finally {
      execFileSync('chattr', ['-i', dataDir]);
    }
  });
});
