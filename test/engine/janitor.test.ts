/**
 * The retention sweep in batches: each batch is one transaction (all of its
 * runs and their log lines go, or none do, and no folder is removed before
 * its rows are gone), each holds at most BATCH_RUNS runs and BATCH_LINES log
 * lines, and the event loop turns between batches.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BATCH_LINES, BATCH_RUNS, type Janitor } from '../../electron/engine/janitor';
import { runDir } from '../../electron/engine/paths';
import type { Engine } from '../../electron/engine/engine';
import { openEngine, takeEngineErrors, until } from '../helpers/engine';

const KEEP = 10;

/** A job keeping KEEP runs, with `runs` finished runs (each with `lines` log lines and a folder) seeded through SQL. */
async function seeded(runs: number, lines: (i: number) => number) {
  const { engine, client, dataDir } = openEngine({ scheduler: false, retentionRecheckMs: 0 });
  const job = await client.call('jobs.create', { name: 'busy', script: 'echo hi', schedule: { kind: 'manual' }, retention: KEEP });
  const db = engine.store.db;
  const insertRun = db.prepare(`INSERT INTO runs (job_id, status, trigger, triggered_by, queued_at, started_at, finished_at, exit_code, owner, last_seq)
    VALUES (?, 'SUCCEEDED', 'schedule', 'scheduler', ?, ?, ?, 0, 'gone', ?)`);
  const insertLine = db.prepare('INSERT INTO log_lines (run_id, seq, ts, stream, text, task) VALUES (?, ?, ?, 1, ?, NULL)');
  const ids: number[] = [];
  db.transaction(() => {
    for (let i = 0; i < runs; i++) {
      const n = lines(i);
      const id = Number(insertRun.run(job.id, 1000 + i, 1001 + i, 1002 + i, n).lastInsertRowid);
      for (let seq = 1; seq <= n; seq++) insertLine.run(id, seq, 1000 + i, `line ${seq}`);
      ids.push(id);
    }
  })();
  for (const id of ids) mkdirSync(runDir(dataDir, job.id, id), { recursive: true });
  const janitor = (engine as unknown as { parts: { janitor: Janitor } }).parts.janitor;
  const count = (sql: string) => db.prepare(sql).pluck().get(job.id) as number;
  return {
    engine,
    janitor,
    ids,
    jobId: job.id,
    runsLeft: () => count('SELECT count(*) FROM runs WHERE job_id = ?'),
    linesLeft: () => count('SELECT count(*) FROM log_lines WHERE run_id IN (SELECT id FROM runs WHERE job_id = ?)'),
    orphanLines: () => db.prepare('SELECT count(*) FROM log_lines WHERE run_id NOT IN (SELECT id FROM runs)').pluck().get() as number,
    folders: () => ids.filter((id) => existsSync(runDir(dataDir, job.id, id))).length,
  };
}

/** Records each batch the janitor deletes (runs asked for, and the job's runs and lines left after it). */
function spyBatches(engine: Engine, after: () => { runs: number; lines: number }) {
  const batches: { asked: number; runs: number; lines: number }[] = [];
  const runs = engine.store.runs;
  const original = runs.deleteFinishedRuns.bind(runs);
  runs.deleteFinishedRuns = (ids, maxLines) => {
    const result = original(ids, maxLines);
    batches.push({ asked: ids.length, ...after() });
    return result;
  };
  return batches;
}

describe('retention sweep', () => {
  it('deletes a batch whole or not at all: a delete that fails inside it leaves every run of the batch with its log and folder', async () => {
    const s = await seeded(1200, () => 3);
    const total = s.ids.length;
    // The newest runs beyond retention go first: make one in the middle of the first batch fail to delete.
    const victim = s.ids[total - KEEP - Math.floor(BATCH_RUNS / 2)]!;
    s.engine.store.db.exec(`CREATE TEMP TRIGGER refuse BEFORE DELETE ON runs WHEN old.id = ${victim} BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    s.janitor.check(s.jobId);
    await until(() => s.janitor['working'] === null);
    expect(takeEngineErrors().map(String)).toEqual([expect.stringContaining('disk says no')]);
    expect(s.runsLeft()).toBe(total);
    expect(s.linesLeft()).toBe(total * 3);
    expect(s.folders()).toBe(total);
    // Once deletes work again, the sweep ends where it should: KEEP runs, their logs and folders, nothing else.
    s.engine.store.db.exec('DROP TRIGGER refuse');
    s.janitor.check(s.jobId);
    await until(() => s.janitor.idle);
    expect(s.runsLeft()).toBe(KEEP);
    expect(s.linesLeft()).toBe(KEEP * 3);
    expect(s.orphanLines()).toBe(0);
    expect(s.folders()).toBe(KEEP);
    expect(s.ids.slice(-KEEP).every((id) => s.engine.store.runs.get(id) !== undefined)).toBe(true);
  });

  it('deletes in bounded batches (runs and log lines), turning the event loop between them', async () => {
    // 1,300 runs beyond retention; one of them has a log longer than a batch may delete at once.
    const big = 2.5 * BATCH_LINES;
    const s = await seeded(1300 + KEEP, (i) => (i === 700 ? big : 2));
    const batches = spyBatches(s.engine, () => ({ runs: s.runsLeft(), lines: s.linesLeft() }));
    // Event-loop turns taken by others while the sweep goes on.
    let turns = 0;
    const tick = () => {
      turns += 1;
      if (!s.janitor.idle) setImmediate(tick);
    };
    s.janitor.check(s.jobId);
    setImmediate(tick);
    await until(() => s.janitor.idle);
    expect(s.runsLeft()).toBe(KEEP);
    expect(s.orphanLines()).toBe(0);
    expect(s.folders()).toBe(KEEP);
    // Each batch is bounded, and the long log took batches of its own.
    expect(batches.every((b) => b.asked <= BATCH_RUNS)).toBe(true);
    let before = { runs: 1300 + KEEP, lines: 2 * (1300 + KEEP - 1) + big };
    for (const b of batches) {
      expect(before.lines - b.lines).toBeLessThanOrEqual(BATCH_LINES + 2 * BATCH_RUNS);
      expect(before.runs - b.runs).toBeLessThanOrEqual(BATCH_RUNS);
      before = b;
    }
    expect(batches.length).toBeGreaterThanOrEqual(Math.ceil(1300 / BATCH_RUNS) + 2);
    // The engine's event loop turned while the sweep went on (at least once per batch).
    expect(turns).toBeGreaterThanOrEqual(batches.length);
  });
});
