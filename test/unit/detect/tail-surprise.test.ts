/**
 * The two per-series adaptations of the bar:
 *  - tail: a Robbins–Monro estimate of the tailQuantile (0.99) of |z| over normal windows. On
 *    Gaussian noise it settles near the Gaussian 0.99 quantile (2.58) and the bar stays at the
 *    threshold; on heavy-tailed noise it rises above GAUSSIAN_TAIL and raises the bar;
 *  - surprise: a short EW average (half-life 2 windows) of the directional |z|, capped at 50,
 *    scored in long-run standard deviations above its long-run mean.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Baseline, emptyBaseline, learn } from '../../../src/core/baseline/index.js';
import { nextSurprise, SURPRISE_CAP, surpriseScore } from '../../../src/core/detect/surprise.js';
import { GAUSSIAN_TAIL } from '../../../src/core/detect/tail.js';
import { barOf, judge } from '../../../src/core/detect/deviation.js';
import { type Direction } from '../../../src/core/params.js';
import { NO_FLOORS, P, WINDOW_MS, baselineOf, deviationOf, gaussian, learnAll, quiet, studentT, zOf } from './helpers.js';

/** Runs judge + learn over n windows of 100 + 5·draw(); returns the tail and bar after each window of the second half. */
function tailTrack(draw: () => number, n = 20_000): { tails: number[]; bars: number[]; b: Baseline } {
  const p = { ...P, seasonality: 'off' as const };
  let b = emptyBaseline();
  const tails: number[] = [];
  const bars: number[] = [];
  for (let i = 0; i < n; i++) {
    const ts = i * WINDOW_MS;
    const x = 100 + 5 * draw();
    const v = judge(b, x, ts, NO_FLOORS, p);
    b = learn(b, x, ts, deviationOf(v), zOf(v), p, v.surprise);
    if (i >= n / 2) {
      tails.push(b.tail);
      bars.push(barOf(b, p.threshold));
    }
  }
  return { tails, bars, b };
}
const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('tail', () => {
  test.each([1, 2, 3])('on Gaussian noise (seed %d) it stays at or below a Gaussian 0.999 quantile and the bar barely moves', (seed) => {
    const { tails, bars } = tailTrack(gaussian(seed));
    // tailQuantile 0.999: the estimate climbs from 2.576 towards 3.29 and stays around it
    expect(mean(tails)).toBeGreaterThan(2.5);
    expect(mean(tails)).toBeLessThan(3.4);
    expect(Math.max(...tails)).toBeLessThan(3.9);
    expect(Math.max(...bars)).toBeLessThan(P.threshold * 1.15);
    expect(mean(bars)).toBeLessThan(P.threshold * 1.05);
  });

  test.each([1, 2, 3])('on Student-t noise with 3 degrees of freedom (seed %d) it rises above GAUSSIAN_TAIL, raising the bar', (seed) => {
    const { tails, bars, b } = tailTrack(studentT(seed, 3));
    expect(mean(tails)).toBeGreaterThan(GAUSSIAN_TAIL);
    expect(bars.filter((bar) => bar > P.threshold).length).toBeGreaterThan(0.9 * bars.length);
    expect(barOf(b, P.threshold)).toBeCloseTo((P.threshold * b.tail) / GAUSSIAN_TAIL, 12);
    // heavier tails, higher bar than the same seed's Gaussian draws
    expect(mean(tails)).toBeGreaterThan(mean(tailTrack(gaussian(seed)).tails) + 0.5);
  });

  describe('update', () => {
    const b = learnAll(quiet(100));
    const next = (z: number, deviation: -1 | 0 | 1 = 0): Baseline => learn(b, 100, b.lastWindowStart + WINDOW_MS, deviation, z, P);

    test.each([
      { case: 'a normal window above the estimate raises it', z: b.tail + 0.5, deviation: 0 as const, move: 'up' },
      { case: 'a normal window below the estimate lowers it, a little', z: -(b.tail - 0.5), deviation: 0 as const, move: 'down' },
      { case: 'an unjudged window (z 0) leaves it', z: 0, deviation: 0 as const, move: 'none' },
      { case: 'an anomalous window leaves it', z: 50, deviation: 1 as const, move: 'none' },
    ])('$case', ({ z, deviation, move }) => {
      const t = next(z, deviation).tail;
      expect(t > b.tail ? 'up' : t < b.tail ? 'down' : 'none').toBe(move);
    });

    it('steps toward the quantile: P(|z| > tail) = 1 − tailQuantile at equilibrium (up steps q / (1 − q) times the down steps)', () => {
      const up = next(b.tail + 1).tail - b.tail;
      const down = b.tail - next(0.1).tail;
      expect(up / down).toBeCloseTo(P.tailQuantile / (1 - P.tailQuantile), 6);
    });
  });
});

describe('surprise', () => {
  it('nextSurprise moves toward the new |z| with a half-life of 2 windows (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 50, noNaN: true }), (s0, z) => {
        const b0 = { ...emptyBaseline(), surprise: s0 };
        // contributions are capped: beyond SURPRISE_CAP a window says no more than the cap
        expect(nextSurprise(b0, z)).toBe(nextSurprise(b0, Math.min(z, SURPRISE_CAP)));
        z = Math.min(z, SURPRISE_CAP);
        const s1 = nextSurprise(b0, z);
        const s2 = nextSurprise({ ...b0, surprise: s1 }, z);
        // one window: part of the way, never past it
        expect(Math.abs(s1 - z)).toBeLessThanOrEqual(Math.abs(s0 - z));
        expect(Math.sign(s1 - z) * Math.sign(s0 - z)).toBeGreaterThanOrEqual(0);
        // two windows: half of the way
        expect(s2 - z).toBeCloseTo((s0 - z) / 2, 9);
      }),
    );
  });

  test.each([
    { zDir: 50, capped: 50 },
    { zDir: 1e9, capped: 50 },
    { zDir: Infinity, capped: 50 },
    { zDir: 49.5, capped: 49.5 },
  ])('contributions are capped at 50: |z| $zDir counts as $capped', ({ zDir, capped }) => {
    const b = { ...emptyBaseline(), surprise: 1 };
    expect(nextSurprise(b, zDir)).toBe(nextSurprise(b, capped));
  });

  it('surpriseScore of the mean surprise is 0, whatever the spread (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 50, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (m, v) => {
        expect(surpriseScore({ ...emptyBaseline(), surpriseMean: m, surpriseVar: v }, m)).toBe(0);
      }),
    );
  });

  test.each([
    { surprise: 3, mean: 1, sd: 0.5, score: 4 },
    { surprise: 0.5, mean: 1, sd: 0.5, score: -1 },
    { surprise: 1.2, mean: 1, sd: 0, score: 4 }, // σ floored at 0.05
    { surprise: 1.2, mean: 1, sd: 0.01, score: 4 },
    { surprise: 11, mean: 1, sd: 2, score: 5 },
  ])('surpriseScore: ($surprise − $mean) / max($sd, 0.05) = $score', ({ surprise, mean: m, sd, score }) => {
    expect(surpriseScore({ ...emptyBaseline(), surpriseMean: m, surpriseVar: sd * sd }, surprise)).toBeCloseTo(score, 9);
  });

  it("a verdict carries the window's surprise: nextSurprise of its directional |z| (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.double({ min: 50, max: 150, noNaN: true }),
        fc.constantFrom<Direction>('up', 'down', 'both'),
        fc.integer({ min: 0, max: 100 }),
        (s0, sigma, x, direction, n) => {
          const b = baselineOf(100, sigma, n, { surprise: s0 });
          const v = judge(b, x, 0, { ...NO_FLOORS, direction }, P);
          const z = n === 0 ? 0 : (x - 100) / Math.max(sigma, Number.EPSILON);
          const counts = direction === 'both' || (z > 0 ? 'up' : 'down') === direction;
          expect(v.surprise).toBeCloseTo(nextSurprise(b, counts ? Math.abs(z) : 0), 9);
        },
      ),
    );
  });

  it('learn() keeps the surprise it is given and folds it into the long-run moments on normal windows', () => {
    const b = learnAll(quiet(100));
    const next = learn(b, 100, b.lastWindowStart + WINDOW_MS, 0, 0.5, P, 2);
    expect(next.surprise).toBe(2);
    expect(next.surpriseMean).toBeGreaterThan(b.surpriseMean);
    expect(next.surpriseMean).toBeLessThan(2);
    // without one, the average stays where it was
    expect(learn(b, 100, b.lastWindowStart + WINDOW_MS, 0, 0.5, P).surprise).toBe(b.surprise);
  });

  it('a long quiet Gaussian series: the long-run mean of the average settles near E|z| (≈ 0.8) and a 6σ window stands out', () => {
    const { b } = tailTrack(gaussian(9), 20_000);
    expect(b.surpriseMean).toBeGreaterThan(0.65);
    expect(b.surpriseMean).toBeLessThan(0.95);
    const v = judge(b, b.level + 6 * Math.sqrt(b.variance), 20_000 * WINDOW_MS, NO_FLOORS, { ...P, seasonality: 'off' });
    expect(v.status).toBe('anomalous');
  });
});
