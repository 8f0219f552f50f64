/**
 * Cost curves: is a metric, measured at growing sizes, no worse than linear?
 * Pure, so the rule the growth scenario applies is tested on its own
 * (test/bench/curve.test.ts).
 */

export interface Step {
  from: number;
  to: number;
  /** value(to) / value(from) */
  ratio: number;
  /** size(to) / size(from) × tolerance: the most the ratio may be. */
  limit: number;
}

/**
 * The steps between consecutive sizes where the metric grew more than the
 * size did, times `tolerance` (timings on shared machines wobble). Values at
 * or below `floor` count as `floor`, so a metric that is too small to time
 * exactly (0.02 ms against 0.05 ms) is not read as growth. Sizes must rise.
 */
export function stepsWorseThanLinear(sizes: readonly number[], values: readonly number[], tolerance = 1.3, floor = 0): Step[] {
  if (sizes.length !== values.length) throw new Error(`${sizes.length} sizes but ${values.length} values`);
  const worse: Step[] = [];
  for (let i = 1; i < sizes.length; i++) {
    const [s0, s1] = [sizes[i - 1]!, sizes[i]!];
    if (!(s1 > s0 && s0 > 0)) throw new Error(`sizes must rise: ${s0} then ${s1}`);
    const [v0, v1] = [Math.max(floor, values[i - 1]!), Math.max(floor, values[i]!)];
    // A metric that was zero and stays zero did not grow; one that leaves zero grew without bound.
    const ratio = v0 > 0 ? v1 / v0 : v1 > 0 ? Number.POSITIVE_INFINITY : 1;
    const limit = (s1 / s0) * tolerance;
    if (!(ratio <= limit)) worse.push({ from: s0, to: s1, ratio, limit });
  }
  return worse;
}
