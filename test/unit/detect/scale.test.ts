/**
 * The scale a metric is judged on: linear is the identity; log learns ln(x + absFloor), with
 * its floors carried onto that scale (relFloor as a ratio, absFloor as one resolution step).
 */
import { describe, expect, it } from 'vitest';
import { floorOf, fromScale, toScale } from '../../../src/core/detect/scale.js';
import { type MetricPolicy } from '../../../src/core/params.js';

const linear: MetricPolicy = { direction: 'up', absFloor: 1, relFloor: 0.05 };
const log: MetricPolicy = { ...linear, scale: 'log' };

describe('toScale / fromScale', () => {
  it.each([0, 0.4, 1, 17, 250, 12_345.6])('%d round-trips on both scales', (x) => {
    expect(fromScale(linear, toScale(linear, x))).toBe(x);
    expect(fromScale(log, toScale(log, x))).toBeCloseTo(x, 9);
  });

  it.each([
    { x: 0, y: 0 },
    { x: 19, y: Math.log(20) },
    { x: 99, y: Math.log(100) },
    { x: -3, y: 0 }, // below 0 is 0 (a latency cannot be negative)
  ])('log: $x ms → ln(x + 1) = $y', ({ x, y }) => {
    expect(toScale(log, x)).toBeCloseTo(y, 12);
  });

  it('on the log scale equal ratios are equal distances', () => {
    const d1 = toScale(log, 2 * 50 - 1) - toScale(log, 50 - 1);
    const d2 = toScale(log, 2 * 500 - 1) - toScale(log, 500 - 1);
    expect(d1).toBeCloseTo(d2, 12);
  });
});

describe('floorOf', () => {
  it.each([
    // linear: max(relFloor · |expected|, absFloor)
    { case: 'linear, level 100', policy: linear, expected: 100, floor: 5 },
    { case: 'linear, level 10 (the resolution wins)', policy: linear, expected: 10, floor: 1 },
    { case: 'linear, level −100 (|expected|)', policy: linear, expected: -100, floor: 5 },
    // log: max(ln(1 + relFloor), ln(1 + absFloor / (expected ms + absFloor)))
    { case: 'log, 99 ms (the ratio wins)', policy: log, expected: Math.log(100), floor: Math.log(1.05) },
    { case: 'log, 9 ms (one step of 1 ms is 10 %)', policy: log, expected: Math.log(10), floor: Math.log(1.1) },
    { case: 'log, 0 ms (one step doubles it)', policy: log, expected: 0, floor: Math.log(2) },
  ])('$case', ({ policy, expected, floor }) => {
    expect(floorOf(policy, expected)).toBeCloseTo(floor, 12);
  });
});
