/** coalesced(): a check asked for many times runs at most once at a time, and every ask is answered by a run that started after it. */
import { describe, expect, it } from 'vitest';
import { coalesced } from '../../electron/engine/coalesce';

describe('coalesced checks', () => {
  it('runs once for asks made while idle, once more for all asks made during a run, and each ask resolves after a run that began after it', async () => {
    const starts: number[] = [];
    const releases: (() => void)[] = [];
    let asks = 0;
    const check = coalesced(() => {
      starts.push(asks);
      return new Promise<void>((r) => releases.push(r));
    });
    const resolved: number[] = [];
    const ask = () => {
      const n = ++asks;
      void check().then(() => resolved.push(n));
    };
    ask();
    expect(starts).toEqual([1]);
    ask();
    ask();
    ask();
    // Three asks during the first run: none starts a run of its own yet.
    expect(starts).toEqual([1]);
    releases[0]!();
    await new Promise((r) => setImmediate(r));
    expect(resolved).toEqual([1]);
    // One further run, begun after all three asks.
    expect(starts).toEqual([1, 4]);
    ask();
    releases[1]!();
    await new Promise((r) => setImmediate(r));
    expect(resolved).toEqual([1, 2, 3, 4]);
    expect(starts).toEqual([1, 4, 5]);
    releases[2]!();
    await new Promise((r) => setImmediate(r));
    expect(resolved).toEqual([1, 2, 3, 4, 5]);
  });

  it('never runs two checks at once, whichever microtask an ask comes in after a run ends', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const check = coalesced(async () => {
      runs++;
      most = Math.max(most, ++active);
      await Promise.resolve();
      await Promise.resolve();
      active--;
    });
    const all: Promise<void>[] = [];
    // An ask at every microtask for a while: some land in the gap between one run's end and the next one's start.
    for (let i = 0; i < 60; i++) {
      all.push(check());
      await Promise.resolve();
    }
    await Promise.all(all);
    expect(most).toBe(1);
    expect(runs).toBeLessThan(60);
  });

  it('goes on after a failed run: the error reaches the asks it answers, and the next ask runs again', async () => {
    let fail = true;
    let runs = 0;
    const check = coalesced(async () => {
      runs++;
      if (fail) throw new Error('no database');
    });
    await expect(check()).rejects.toThrow('no database');
    fail = false;
    await expect(check()).resolves.toBeUndefined();
    expect(runs).toBe(2);
  });
});
