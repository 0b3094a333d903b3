/**
 * The heavy-tail adaptations of the multi-window and record tests:
 *  - the tail's heaviness (detect/tail.ts): a second quantile of |z| a decade less extreme than
 *    the tail, and from the two the ratio of a Gaussian's tail index to the series' (1 for
 *    Gaussian noise, ~3 for Student-t(3));
 *  - the drift's hold (detect/drift.ts): in a heavy-tailed series a drift must have stood past
 *    half its bar for up to one half-life of its average;
 *  - the record margin (detect/records.ts): RECORD_MARGIN raised to the heaviness.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Baseline, emptyBaseline, learn } from '../../../src/core/baseline/index.js';
import { judge } from '../../../src/core/detect/deviation.js';
import { DRIFT_HALF_LIFE, driftHeldOf, driftTest, nextDriftHeld } from '../../../src/core/detect/drift.js';
import { recordMarginOf } from '../../../src/core/detect/records.js';
import { GAUSSIAN_TAIL, TAIL_START, tailBodyOf, tailHeavinessOf } from '../../../src/core/detect/tail.js';
import { NO_FLOORS, P, WINDOW_MS, baselineOf, deviationOf, gaussian, studentT, zOf } from './helpers.js';

const p = { ...P, seasonality: 'off' as const };

/** judge + learn over xs; the baseline after each window and every verdict's test. */
function track(xs: readonly number[]): { bs: Baseline[]; tests: (string | undefined)[] } {
  let b = emptyBaseline();
  const bs: Baseline[] = [];
  const tests: (string | undefined)[] = [];
  xs.forEach((x, i) => {
    const v = judge(b, x, i * WINDOW_MS, NO_FLOORS, p);
    tests.push(v.status === 'anomalous' ? v.test : undefined);
    b = learn(b, x, i * WINDOW_MS, deviationOf(v), zOf(v), p, v.surprise);
    bs.push(b);
  });
  return { bs, tests };
}
const series = (draw: () => number, n: number): number[] => Array.from({ length: n }, () => 100 + 5 * draw());
const last = (bs: Baseline[]): Baseline => bs[bs.length - 1] as Baseline;

describe('the tail’s heaviness', () => {
  test.each([1, 2, 3])('is 1 on Gaussian noise (seed %d)', (seed) => {
    expect(tailHeavinessOf(last(track(series(gaussian(seed), 20_000)).bs))).toBe(1);
  });

  test.each([1, 2, 3])(
    'stands above 1 on Student-t(3) noise (seed %d; the 0.999 quantile is still rising after 20,000 windows)',
    (seed) => {
      const b = last(track(series(studentT(seed, 3), 20_000)).bs);
      expect(b.tail).toBeGreaterThan(GAUSSIAN_TAIL);
      expect(tailHeavinessOf(b)).toBeGreaterThan(1.3);
      expect(tailHeavinessOf(b)).toBeLessThan(5);
    },
  );

  it('reads a record written before the body existed as Gaussian-shaped', () => {
    const b = baselineOf(100, 5, 30, { tail: 6 });
    expect(tailBodyOf(b)).toBeCloseTo((6 * TAIL_START) / GAUSSIAN_TAIL, 12);
    expect(tailHeavinessOf(b)).toBeCloseTo(1, 9);
  });

  it('is monotone: a heavier tail over the same body is at least as heavy, and at most 1 below a Gaussian tail', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        fc.double({ min: 1.3, max: 10, noNaN: true }),
        (t1, t2, body) => {
          const [lo, hi] = t1 <= t2 ? [t1, t2] : [t2, t1];
          const h = (tail: number): number => tailHeavinessOf(baselineOf(100, 5, 30, { tail, tailBody: body }));
          expect(h(hi)).toBeGreaterThanOrEqual(h(lo));
          expect(h(Math.min(lo, GAUSSIAN_TAIL))).toBe(1);
        },
      ),
    );
  });

  it('is invariant to affine transforms of the series (it is learned from z)', () => {
    const base = series(studentT(9, 3), 3000);
    fc.assert(
      fc.property(fc.constantFrom(1e-3, 0.5, 7, 1e4), fc.double({ min: -1e6, max: 1e6, noNaN: true }), (a, c) => {
        const x = track(base).bs;
        const y = track(base.map((v) => a * v + c)).bs;
        for (const i of [1000, 2000, 2999]) {
          expect(tailHeavinessOf(y[i] as Baseline)).toBeCloseTo(tailHeavinessOf(x[i] as Baseline), 6);
          expect((y[i] as Baseline).driftHeld).toBe((x[i] as Baseline).driftHeld);
        }
      }),
      { numRuns: 8 },
    );
  });
});

describe('the drift’s hold', () => {
  it('asks nothing of a Gaussian-tailed series and one half-life of a tail twice a Gaussian’s', () => {
    expect(driftHeldOf(baselineOf(100, 5, 30, { tail: TAIL_START }))).toBe(0);
    expect(driftHeldOf(baselineOf(100, 5, 30, { tail: GAUSSIAN_TAIL }))).toBe(0);
    expect(driftHeldOf(baselineOf(100, 5, 30, { tail: 2 * GAUSSIAN_TAIL }))).toBe(DRIFT_HALF_LIFE);
    expect(driftHeldOf(baselineOf(100, 5, 30, { tail: 5 * GAUSSIAN_TAIL }))).toBe(DRIFT_HALF_LIFE);
    for (let t = 2; t < 10; t += 0.25) {
      expect(driftHeldOf(baselineOf(100, 5, 30, { tail: t + 0.25 }))).toBeGreaterThanOrEqual(
        driftHeldOf(baselineOf(100, 5, 30, { tail: t })),
      );
    }
  });

  test.each([
    { held: 0, drift: 1, want: 1 },
    { held: 3, drift: 1, want: 4 },
    { held: 3, drift: -1, want: -1 },
    { held: -2, drift: -1, want: -3 },
    { held: 5, drift: 0.1, want: 0 },
  ])('counts windows past half the bar on one side: held $held, drift average $drift → $want', ({ held, drift, want }) => {
    // driftVar 0.04: the average's long-run σ is 0.2, so half the bar (3 at surpriseThreshold 4) is 0.6.
    expect(nextDriftHeld(baselineOf(100, 5, 30, { driftHeld: held, driftVar: 0.04 }), drift, p)).toBe(want);
  });

  it('a drift past its bar waits for the hold in a heavy-tailed series, and fires at once in a Gaussian one', () => {
    const at = { driftVar: 0.04, drift: 1.4 };
    const gaussianTailed = baselineOf(100, 5, 30, { ...at, tail: GAUSSIAN_TAIL, driftHeld: 1 });
    expect(driftTest(gaussianTailed, 2, p)).toBeDefined();
    const heavy = baselineOf(100, 5, 30, { ...at, tail: 2 * GAUSSIAN_TAIL, driftHeld: 1 });
    expect(driftTest(heavy, 2, p)).toBeUndefined();
    expect(driftTest({ ...heavy, driftHeld: DRIFT_HALF_LIFE - 1 }, 2, p)).toBeDefined();
  });

  it('a lasting 3σ shift in a Student-t(3) series is still found', () => {
    const xs = series(studentT(4, 3), 12_000);
    const sd = 5 * Math.sqrt(3);
    for (let i = 11_000; i < 11_100; i++) xs[i] = (xs[i] as number) + 3 * sd;
    const { tests } = track(xs);
    expect(tests.slice(11_000, 11_100).some((t) => t !== undefined)).toBe(true);
  });
});

describe('the record margin', () => {
  it('is RECORD_MARGIN for a Gaussian-tailed series and grows as a power of the heaviness', () => {
    expect(recordMarginOf(baselineOf(100, 5, 30, { tail: GAUSSIAN_TAIL }))).toBeCloseTo(1.5, 12);
    const heavy = baselineOf(100, 5, 30, { tail: 7, tailBody: 3.3 });
    expect(recordMarginOf(heavy)).toBeCloseTo(Math.pow(1.5, tailHeavinessOf(heavy)), 12);
    expect(recordMarginOf(heavy)).toBeGreaterThan(2.5);
  });
});
