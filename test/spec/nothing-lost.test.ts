/**
 * README "The data folder": nothing is lost. Log lines whose batch fails to
 * commit (a full disk, a store that refuses writes for a while) are kept and
 * written once the store takes writes again, in order, none twice.
 */
import { describe, expect, it } from 'vitest';
import { openEngine, takeEngineErrors, until } from '../helpers/engine';
import { fixture } from '../helpers/process';

describe('README › The data folder › nothing lost', () => {
  it('keeps the log lines of a batch that failed to commit and writes them when the store recovers', async () => {
    const { engine, client } = openEngine({ scheduler: false, flushMs: 5 });
    const job = await client.call('jobs.create', { name: 'counter', script: fixture('count-slowly.sh'), schedule: { kind: 'manual' } });
    const queued = await client.call('runs.trigger', { jobId: job.id, args: '150' });
    await until(async () => (await client.call('runs.logs', { id: queued.id })).lines.some((l) => l.text === '20'));
    // The store refuses every write for a while, as a full disk would.
    engine.store.db.pragma('query_only = ON');
    await new Promise((r) => setTimeout(r, 400));
    engine.store.db.pragma('query_only = OFF');
    const run = await engine.waitForRun(queued.id);
    expect(run.status).toBe('SUCCEEDED');
    const { lines } = await client.call('runs.logs', { id: run.id, limit: 10_000 });
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.text)).toEqual(Array.from({ length: 150 }, (_, i) => String(i + 1)));
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i + 1));
    const errors = takeEngineErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(String(errors[0])).toMatch(/readonly|read-only|query_only/i);
  });
});
