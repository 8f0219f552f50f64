import { describe, expect, it } from 'vitest';
import { stepsWorseThanLinear } from '../../bench/curve';

const sizes = [10_000, 100_000, 1_000_000];

describe('stepsWorseThanLinear', () => {
  it('passes a metric that grows with the size, or slower', () => {
    expect(stepsWorseThanLinear(sizes, [2, 20, 200])).toEqual([]);
    expect(stepsWorseThanLinear(sizes, [0.4, 0.4, 0.5])).toEqual([]);
  });

  it('allows the tolerance over linear, and names the step beyond it', () => {
    expect(stepsWorseThanLinear(sizes, [1, 12.9, 167])).toEqual([]);
    expect(stepsWorseThanLinear(sizes, [1, 10, 140])).toEqual([{ from: 100_000, to: 1_000_000, ratio: 14, limit: 13 }]);
    expect(stepsWorseThanLinear(sizes, [1, 10, 140], 1.5)).toEqual([]);
  });

  it('reads values under the floor as the floor', () => {
    expect(stepsWorseThanLinear([1, 2], [0.01, 0.5])).toHaveLength(1);
    expect(stepsWorseThanLinear([1, 2], [0.01, 0.5], 1.3, 1)).toEqual([]);
  });

  it('treats zero staying zero as no growth, and leaving zero as unbounded', () => {
    expect(stepsWorseThanLinear([1, 10], [0, 0])).toEqual([]);
    expect(stepsWorseThanLinear([1, 10], [0, 3])[0]?.ratio).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses sizes that do not rise and values that do not match them', () => {
    expect(() => stepsWorseThanLinear([10, 10], [1, 1])).toThrow(/rise/);
    expect(() => stepsWorseThanLinear(sizes, [1, 2])).toThrow(/values/);
  });
});
