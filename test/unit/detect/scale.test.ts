/**
 * The scale a metric is judged on: linear is the identity; log learns ln(x + absFloor), with
 * its floors carried onto that scale (relFloor as a ratio, absFloor as one resolution step).
 * Judged on the log scale, a series' verdicts do not depend on its unit, and a deviation is a
 * ratio: a halving is as far out as a doubling.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floorOf, fromScale, toScale } from '../../../src/core/detect/scale.js';
import { type MetricPolicy } from '../../../src/core/params.js';
import { P, detect } from './helpers.js';

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

describe('judged on the log scale', () => {
  // a quiet latency series with multiplicative noise (±10 % on a 1 % grid) and a few slow or
  // fast windows (×0.4 … ×2.5)
  const seriesArb = fc.array(
    fc.oneof(
      { weight: 12, arbitrary: fc.integer({ min: -10, max: 10 }).map((k) => 100 * (1 + k / 100)) },
      { weight: 1, arbitrary: fc.integer({ min: -4, max: 4 }).map((k) => 100 * 1.25 ** k * (k > 0 ? 2 : 1)) },
    ),
    { minLength: 25, maxLength: 80 },
  );
  // a negligible offset: the resolution of a metric measured in much finer steps than its values
  const ratio: MetricPolicy = { direction: 'both', absFloor: 1e-9, relFloor: 0, scale: 'log' };
  const judged = (xs: readonly number[]) =>
    detect(
      xs.map((x) => toScale(ratio, x)),
      ratio,
      { ...P, warmupWindows: 10, levelShiftWindows: 8 },
    ).statuses;

  it('verdicts do not depend on the unit of a series (k·x, k > 0): a ratio is a ratio', () => {
    fc.assert(
      fc.property(seriesArb, fc.double({ min: 0.001, max: 1000, noNaN: true }), (xs, k) => {
        expect(judged(xs.map((x) => k * x))).toEqual(judged(xs));
      }),
    );
  });

  it('a halving is as far below as a doubling is above, at any level', () => {
    const quiet = Array.from({ length: 60 }, (_, i) => 1 + 0.02 * ((((i * 7919) % 11) - 5) / 5));
    const zOfLast = (base: number, x: number): number => {
      const v = detect(
        [...quiet.map((q) => base * q), x].map((y) => toScale(ratio, y)),
        ratio,
        { ...P, warmupWindows: 10 },
      ).verdicts.at(-1);
      return v && 'z' in v ? v.z : NaN;
    };
    for (const base of [20, 2000]) {
      const up = zOfLast(base, 2 * base);
      expect(up).toBeGreaterThan(P.threshold);
      // (not exactly: the learned level sits a hair off ln(base))
      expect(Math.abs(zOfLast(base, base / 2) + up)).toBeLessThan(0.01 * up);
    }
    expect(zOfLast(2000, 4000)).toBeCloseTo(zOfLast(20, 40), 6);
  });
});
