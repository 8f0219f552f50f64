/**
 * Bounds on what data can make the engine do: copy names near the length
 * limit, log pages and events bounded in bytes, and a cap on a run's log.
 */
import { describe, expect, it } from 'vitest';
import { copyNames, MAX_COPY_ATTEMPTS } from '../../electron/engine/services/jobSpec';
import { NAME_MAX } from '../../shared/model/job';
import { openEngine, rejection } from '../helpers/engine';

describe('copying a job', () => {
  it('fits "(copy N)" within the name limit by shortening the base, and gives up after a bounded number of names', () => {
    const long = 'x'.repeat(NAME_MAX);
    const names = [...copyNames(long)];
    expect(names).toHaveLength(MAX_COPY_ATTEMPTS);
    expect(new Set(names).size).toBe(MAX_COPY_ATTEMPTS);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(NAME_MAX);
    expect(names[0]).toBe(`${'x'.repeat(NAME_MAX - 7)} (copy)`);
    expect(names[1]).toBe(`${'x'.repeat(NAME_MAX - 9)} (copy 2)`);
    // Never cuts a character in two (an emoji is two UTF-16 units).
    for (const n of copyNames('😀'.repeat(50))) expect(n).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('duplicates a job whose name is at the length limit, repeatedly, with whole "(copy N)" suffixes', async () => {
    const { client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'n'.repeat(NAME_MAX), script: 'true', schedule: { kind: 'manual' } });
    const copies = [];
    for (let i = 0; i < 3; i++) copies.push((await client.call('jobs.duplicate', { id: job.id })).name);
    expect(copies.map((n) => n.slice(-9))).toEqual(['nn (copy)', ' (copy 2)', ' (copy 3)']);
    for (const n of copies) expect(n.length).toBeLessThanOrEqual(NAME_MAX);
  });

  it('answers NAME_TAKEN when every copy name is taken', async () => {
    const { engine, client } = openEngine({ scheduler: false });
    const job = await client.call('jobs.create', { name: 'busy', script: 'true', schedule: { kind: 'manual' } });
    const insert = engine.store.db.prepare("INSERT INTO jobs (name, script, script_md5, runtime, schedule_kind, created_at, created_by, updated_at, updated_by) VALUES (?, 'true', 'x', 'sh', 'manual', 0, 't', 0, 't')");
    engine.store.db.transaction(() => {
      for (const n of copyNames('busy')) insert.run(n);
    }).immediate();
    const err = await rejection(client.call('jobs.duplicate', { id: job.id }));
    expect([err.code, err.field]).toEqual(['NAME_TAKEN', 'name']);
  });
});

describe('log size', () => {
  it('pages of log lines are bounded in bytes, not only in lines', async () => {
    const { engine, client } = openEngine({ scheduler: false, logPageBytes: 256 * 1024 });
    // 40 lines of 64 KiB each (one "line" without a newline is cut every 64 KiB).
    const job = await client.call('jobs.create', { name: 'wide', script: 'head -c 2621440 /dev/zero | tr "\\0" "a"', schedule: { kind: 'manual' } });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    let after = 0;
    let pages = 0;
    let total = 0;
    for (;;) {
      const page = await client.call('runs.logs', { id: run.id, afterSeq: after, limit: 10_000 });
      if (page.lines.length === 0) break;
      const bytes = page.lines.reduce((n, l) => n + l.text.length, 0);
      expect(bytes).toBeLessThanOrEqual(256 * 1024);
      total += page.lines.filter((l) => l.stream === 'stdout').reduce((n, l) => n + l.text.length, 0);
      after = page.lastSeq;
      pages += 1;
      expect(pages).toBeLessThan(100);
    }
    expect(total).toBe(2_621_440);
    expect(pages).toBeGreaterThan(5);
  });

  it('stops keeping a run\'s output past the log limit, says so, and lets the run finish with its result files', async () => {
    const { engine, client } = openEngine({ scheduler: false, logMaxBytes: 64 * 1024 });
    const job = await client.call('jobs.create', {
      name: 'chatty',
      script: 'seq 1 100000; echo "::progress 100 done"; echo kept > "$JOBDECK_OUTPUT_DIR/result.txt"',
      schedule: { kind: 'manual' },
    });
    const run = await engine.waitForRun((await client.call('runs.trigger', { jobId: job.id })).id);
    expect(run).toMatchObject({ status: 'SUCCEEDED', logTruncated: true, progress: { percent: 100, message: 'done' }, resultFile: 'result.txt' });
    const lines = [];
    for (let after = 0; ; ) {
      const page = await client.call('runs.logs', { id: run.id, afterSeq: after, limit: 10_000 });
      if (page.lines.length === 0) break;
      lines.push(...page.lines);
      after = page.lastSeq;
    }
    const stdoutBytes = lines.filter((l) => l.stream === 'stdout').reduce((n, l) => n + l.text.length + 1, 0);
    expect(stdoutBytes).toBeLessThanOrEqual(64 * 1024);
    expect(lines.some((l) => l.stream === 'system' && l.text.startsWith('Log limit reached: this run printed more than'))).toBe(true);
    expect(lines[lines.length - 1]!.text).toMatch(/^Finished SUCCEEDED/);
  });
});
