/**
 * Run folders made ahead of time by launchers (spareFolders.ts): made only in
 * idle moments, as many as runs started lately; a run's folder is a spare
 * moved into place, never over an existing folder; a dead launcher's spares
 * are removed by the next one; none are left after shutdown. Real folders,
 * real launcher processes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareRun } from '../../electron/engine/runner/runFolders';
import { SpareFolders } from '../../electron/engine/runner/spareFolders';
import { openEngine, until } from '../helpers/engine';
import { tempDir } from '../helpers/temp';

const manual = { kind: 'manual' } as const;

/** A regular run's folder request, as the runner makes it. */
function request(base: string, runId: number) {
  const dir = join(base, 'runs', '1', String(runId));
  return { parents: [join(base, 'runs'), join(base, 'runs', '1')], dirs: [dir, join(dir, 'output')], files: [], spares: join(base, 'runs', '.spares') };
}

/** The spare folders under a data folder: launcher folder -> spares in it. */
function sparesIn(base: string): Map<string, string[]> {
  const root = join(base, 'runs', '.spares');
  if (!existsSync(root)) return new Map();
  return new Map(readdirSync(root).map((name) => [name, readdirSync(join(root, name))]));
}

describe('spare run folders', () => {
  it('are made once nothing started for a moment, as many as runs started lately, and become run folders (with output/) by a rename', async () => {
    const base = tempDir();
    const spares = new SpareFolders(8);
    // Runs keep coming: their folders are made as they go, and no spare is made meanwhile.
    for (let run = 1; run <= 5; run++) {
      prepareRun(request(base, run), spares);
      expect(readdirSync(join(base, 'runs', '1', String(run)))).toEqual(['output']);
    }
    expect(spares.count).toBe(0);
    // Idle: five runs started lately, so five spares.
    await until(() => spares.count === 5, 2000, 'five spares');
    await new Promise((r) => setTimeout(r, 60));
    expect(spares.count).toBe(5);
    const [own, made] = [...sparesIn(base)][0]!;
    expect(own).toMatch(new RegExp(`^${process.pid}-`));
    expect(made).toHaveLength(5);
    // The next run's folder is one of them, moved into place with its output/ folder.
    prepareRun(request(base, 6), spares);
    expect(readdirSync(join(base, 'runs', '1', '6'))).toEqual(['output']);
    expect(sparesIn(base).get(own)).toHaveLength(4);
    spares.close();
    expect(sparesIn(base).size).toBe(0);
  });

  it('never replaces an existing run folder, even an empty one (a rename would)', async () => {
    const base = tempDir();
    const spares = new SpareFolders(8);
    prepareRun(request(base, 1), spares);
    await until(() => spares.count === 1, 2000, 'a spare');
    mkdirSync(join(base, 'runs', '1', '2'));
    expect(() => prepareRun(request(base, 2), spares)).toThrow(/the run folder .*2 already exists/);
    expect(spares.count).toBe(1);
    spares.close();
  });

  it("of a launcher that is gone are removed by the next to start in the data folder; a live one's are left", () => {
    const base = tempDir();
    const gone = spawnSync('true').pid!;
    const deadOnes = join(base, 'runs', '.spares', `${gone}-x`);
    const liveOnes = join(base, 'runs', '.spares', `${process.ppid}-y`);
    mkdirSync(join(deadOnes, '1', 'output'), { recursive: true });
    mkdirSync(join(liveOnes, '1', 'output'), { recursive: true });
    const spares = new SpareFolders(8);
    prepareRun(request(base, 1), spares);
    expect(existsSync(deadOnes)).toBe(false);
    expect(existsSync(liveOnes)).toBe(true);
    spares.close();
  });

  it('are used by an engine\'s launchers for runs after a burst, and none are left once it closes', async () => {
    const { engine, client, dataDir } = openEngine({ scheduler: false, launchers: 1, concurrency: 4 });
    const script = 'echo made > "$JOBDECK_OUTPUT_DIR/out.txt"; pwd';
    const jobs = await Promise.all(Array.from({ length: 4 }, (_, i) => client.call('jobs.create', { name: `files ${i}`, script, schedule: manual })));
    const job = jobs[0]!;
    const runs = await Promise.all(jobs.map((j) => client.call('runs.trigger', { jobId: j.id })));
    for (const r of runs) await engine.waitForRun(r.id);
    await until(() => [...sparesIn(dataDir).values()].some((list) => list.length === 4), 5000, 'four spares');
    const before = [...sparesIn(dataDir).values()].flat();
    const next = await client.call('runs.trigger', { jobId: job.id });
    const done = await engine.waitForRun(next.id);
    expect(done.status).toBe('SUCCEEDED');
    // One of the four became the run's folder (the pool is then made up again: five runs started lately).
    const after = [...sparesIn(dataDir).values()].flat();
    expect(before.filter((name) => !after.includes(name))).toHaveLength(1);
    // The run's folder is its working folder, and its output/ was there for its file.
    const lines = (await client.call('runs.logs', { id: next.id, limit: 50 })).lines.map((l) => l.text);
    expect(lines).toContain(join(dataDir, 'runs', String(job.id), String(next.id)));
    expect((await client.call('runs.files', { id: next.id })).map((f) => f.name)).toEqual(['out.txt']);
    await engine.close(0);
    expect(sparesIn(dataDir).size).toBe(0);
  });
});
