import { describe, expect, test } from 'vitest';
import { aggregate, referenceZ, robustStats, rollingZ } from '../../bench/quality/nezha-bound-scores.js';

describe('nezha-bound robust scores', () => {
  test.each([
    { xs: [1, 2, 3, 4, 100], median: 3, mad: 1 },
    { xs: [1, 2, 3, 4], median: 2.5, mad: 1 },
    { xs: [0, 0, 0, 5, 10], median: 0, mad: 0 },
  ])('median and MAD of $xs', ({ xs, median, mad }) => {
    const s = robustStats(xs);
    expect(s.median).toBe(median);
    const meanAbs = xs.reduce((a, x) => a + Math.abs(x - median), 0) / xs.length;
    expect(s.scale).toBeCloseTo(Math.max(1.4826 * mad, 1.2533 * meanAbs), 9);
  });

  test('the floor bounds the scale from below', () => {
    expect(robustStats([5, 5, 5, 5], 0.5).scale).toBe(0.5);
  });

  test('rolling z is causal: a sample is judged on the ones before it only', () => {
    const xs = Float64Array.from([1, 2, 1, 2, 1, 2, 50, 1]);
    const z = rollingZ(xs, 6, 5);
    expect([...z.slice(0, 5)]).toEqual([0, 0, 0, 0, 0]); // under 5 samples of history
    expect(z[6]).toBeGreaterThan(10);
    // the spike sits in the reference of the last sample, and changes nothing before it
    const again = rollingZ(Float64Array.from([1, 2, 1, 2, 1, 2, 50, 99]), 6, 5);
    expect([...again.slice(0, 7)]).toEqual([...z.slice(0, 7)]);
  });

  test('a constant series scores 0 and a missing sample scores 0', () => {
    const xs = Float64Array.from([3, 3, 3, NaN, 3, 3, 3, 3]);
    expect([...rollingZ(xs, 4, 2)].every((v) => v === 0)).toBe(true);
    expect([...referenceZ(xs, new Uint8Array(8).fill(1))].every((v) => v === 0)).toBe(true);
  });

  test('aggregates: max, top-2 mean, count over a bar', () => {
    const zs = [Float64Array.from([1, 6]), Float64Array.from([3, 2]), Float64Array.from([5, 0])];
    expect([...aggregate(zs, { kind: 'max' })]).toEqual([5, 6]);
    expect([...aggregate(zs, { kind: 'top2' })]).toEqual([4, 4]);
    expect([...aggregate(zs, { kind: 'count', over: 3 })]).toEqual([2, 1]);
  });
});
