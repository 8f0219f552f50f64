/**
 * The search for processes a run left outside its group (by the run's key
 * in their environment): a run ending alone is searched for at once (after
 * the turn it ended in, not after a timer); runs ending within 100 ms of a
 * pass share the next one. Real processes, real /proc; the clock is faked
 * only to hold the window still.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canSearchProcesses, findByKeys, KeySearch, newKnownKeys, RUN_KEY_VAR } from '../../electron/engine/runner/processTree';

const children: ChildProcess[] = [];

/** A process carrying a run key, alive until the test ends. */
async function keyed(key: string, extraEnv: Record<string, string> = {}): Promise<number> {
  const child = spawn('sleep', ['30'], { env: { ...process.env, ...extraEnv, [RUN_KEY_VAR]: key }, stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid!;
}

afterEach(() => {
  vi.useRealTimers();
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe.skipIf(!canSearchProcesses)('the search for escaped processes', () => {
  it('answers a run ending alone after the current turn, without waiting for a timer', async () => {
    const pid = await keyed('key-alone');
    // Timers are held still: only the turns of the event loop go on.
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const search = new KeySearch(100);
    let found: number[] | null = null;
    void search.find('key-alone', 0).then((pids) => (found = pids));
    for (let turn = 0; turn < 3 && !found; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(found).toEqual([pid]);
  });

  it('finds a process whose environment is larger than one read (its key after 100 KB of other variables)', async () => {
    // Variables come in the order given, so the key is far past the first 64 KB read.
    const big = await keyed('key-big', { AAA_BULK: 'x'.repeat(100_000) });
    const small = await keyed('key-small');
    const found = findByKeys(new Map([['key-big', 0], ['key-small', 0]]));
    expect(found.get('key-big')).toEqual([big]);
    expect(found.get('key-small')).toEqual([small]);
  });

  it('lets runs ending within the window of a pass share the next one, 100 ms after it', async () => {
    const a = await keyed('key-a');
    const b = await keyed('key-b');
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    const search = new KeySearch(100);
    expect(await search.find('key-a', 0)).toEqual([a]);
    const answers: Record<string, number[]> = {};
    void search.find('key-a', 0).then((pids) => (answers.a = pids));
    await vi.advanceTimersByTimeAsync(30);
    void search.find('key-b', 0).then((pids) => (answers.b = pids));
    await vi.advanceTimersByTimeAsync(60);
    expect(answers).toEqual({});
    await vi.advanceTimersByTimeAsync(10);
    expect(answers).toEqual({ a: [a], b: [b] });
  });

  it('reads a process once while pids have not wrapped around, keeps no answer for a process without a key, and forgets processes gone', async () => {
    const a = await keyed('key-once');
    const plain = spawn('sleep', ['30'], { env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
    children.push(plain);
    await new Promise((resolve) => plain.once('spawn', resolve));
    const known = newKnownKeys();
    expect(findByKeys(new Map([['key-once', 0]]), known).get('key-once')).toEqual([a]);
    expect(known.keys.get(a)).toBe('key-once');
    expect(known.keys.has(plain.pid!)).toBe(false);
    // Told another key for that pid, the next search believes it: the environment was not read again.
    known.keys.set(a, 'key-other');
    expect(findByKeys(new Map([['key-once', 0], ['key-other', 0]]), known)).toEqual(new Map([['key-other', [a]]]));
    // Once pids have wrapped around since (the last pid handed out went down), nothing read before is trusted.
    known.lastPid = Number.MAX_SAFE_INTEGER;
    expect(findByKeys(new Map([['key-once', 0], ['key-other', 0]]), known)).toEqual(new Map([['key-once', [a]]]));
    expect(known.keys.get(a)).toBe('key-once');
    // A process gone is forgotten at the next search.
    const exited = new Promise((resolve) => children[0]!.once('exit', resolve));
    children[0]!.kill('SIGKILL');
    await exited;
    for (let i = 0; i < 50 && existsSync(`/proc/${a}`); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(findByKeys(new Map([['key-once', 0]]), known)).toEqual(new Map());
    expect(known.keys.has(a)).toBe(false);
  });
});
