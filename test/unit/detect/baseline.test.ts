/**
 * learn(): the baseline a window is judged against. Idempotent per window; a warm start that
 * averages equally, then a half-life; anomalous values clipped to the band before they are
 * learned; a deviation that persists for levelShiftWindows re-seats the level.
 * Detection laws over judge() + learn(): a constant series never alerts; verdicts do not
 * depend on the unit or offset of the series (affine invariance, floors 0).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Baseline, alphaOf, emptyBaseline, learn, sigmaOf } from '../../../src/core/baseline/baseline.js';
import { type Verdict, judge } from '../../../src/core/detect/deviation.js';
import { type DetectionParams, type Direction, type MetricPolicy } from '../../../src/core/params.js';

type Params = Pick<DetectionParams, 'threshold' | 'warmupWindows' | 'halfLifeWindows' | 'levelShiftWindows'>;
const P: Params = { threshold: 4, warmupWindows: 20, halfLifeWindows: 60, levelShiftWindows: 60 };
const WINDOW_MS = 10_000;
const NO_BAND = { lower: -Infinity, upper: Infinity };
const NO_FLOORS: MetricPolicy = { direction: 'both', absFloor: 0, relFloor: 0 };

/** What the pipeline does per window: judge against the baseline, then learn with that verdict. */
function detect(xs: readonly number[], policy: MetricPolicy, p: Params = P, b0: Baseline = emptyBaseline(), t0 = 0) {
  let b = b0;
  const verdicts: Verdict[] = [];
  xs.forEach((x, i) => {
    const v = judge(b, x, policy, p);
    verdicts.push(v);
    const deviation = v.status === 'anomalous' ? (v.direction === 'up' ? 1 : -1) : 0;
    b = learn(b, x, t0 + i * WINDOW_MS, deviation, 'band' in v ? v.band : NO_BAND, p);
  });
  return { b, verdicts, statuses: verdicts.map((v) => v.status) };
}

/** Deterministic noise in [−1, 1]. */
const noise = (i: number): number => (((i * 7919) % 11) - 5) / 5;
const quiet = (n: number, level = 100, amplitude = 1): number[] => Array.from({ length: n }, (_, i) => level + amplitude * noise(i));

/** Learns xs as normal windows (deviation 0). */
const learnAll = (xs: readonly number[], p: Params = P, b0: Baseline = emptyBaseline(), t0 = 0): Baseline =>
  xs.reduce((b, x, i) => learn(b, x, t0 + i * WINDOW_MS, 0, NO_BAND, p), b0);

describe('learn', () => {
  it('seeds the level with the first window', () => {
    expect(learn(emptyBaseline(), 42, 0, 0, NO_BAND, P)).toStrictEqual({
      v: 1,
      n: 1,
      lastWindowStart: 0,
      level: 42,
      variance: 0,
      run: 0,
      runSum: 0,
      runStart: -1,
    });
  });

  it('warm start: the running mean and population variance while 1/(n+1) > alpha', () => {
    const b = learnAll([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.n).toBe(10);
    expect(b.level).toBeCloseTo(5.5, 12);
    expect(b.variance).toBeCloseTo(8.25, 12);
  });

  it('then forgets with the half-life: a step is half learned after halfLifeWindows windows', () => {
    const settled = learnAll(new Array<number>(1000).fill(0));
    const b = learnAll(new Array<number>(60).fill(1), P, settled, 1000 * WINDOW_MS);
    expect(alphaOf(60)).toBeCloseTo(1 - Math.pow(2, -1 / 60), 15);
    expect(b.level).toBeCloseTo(0.5, 12);
  });

  describe('idempotent', () => {
    it('ignores a window at or before lastWindowStart (same object back)', () => {
      const b = learnAll(quiet(30));
      for (const ws of [b.lastWindowStart, b.lastWindowStart - WINDOW_MS, 0, -5]) {
        expect(learn(b, 1e9, ws, 1, { lower: 0, upper: 1 }, P)).toBe(b);
      }
    });

    it('replaying any already-learned window changes nothing (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
          fc.nat(),
          fc.double({ noNaN: true }),
          fc.constantFrom(-1 as const, 0 as const, 1 as const),
          (xs, k, x, deviation) => {
            const b = learnAll(xs);
            const replayed = (k % xs.length) * WINDOW_MS;
            expect(learn(b, x, replayed, deviation, NO_BAND, P)).toBe(b);
          },
        ),
      );
    });
  });

  describe('clipping', () => {
    const b = learnAll(quiet(40)); // n = 40: w = 1/41
    const w = 1 / 41;
    const band = { lower: b.level - 10, upper: b.level + 10 };

    test.each([
      { case: 'a normal window is learned as is', x: 105, deviation: 0 as const, learned: 105 },
      { case: 'an anomalous spike is not learned', x: 500, deviation: 1 as const, learned: b.level },
      { case: 'an anomalous drop is not learned', x: -500, deviation: -1 as const, learned: b.level },
    ])('$case', ({ x, deviation, learned }) => {
      const next = learn(b, x, b.lastWindowStart + WINDOW_MS, deviation, band, P);
      expect(next.level).toBeCloseTo(b.level + w * (learned - b.level), 12);
      if (deviation !== 0) expect(next.variance).toBe(b.variance);
    });

    it('a short incident (10 windows at +100σ) moves the level by under 2 % of its height', () => {
      const warm = detect(quiet(300), NO_FLOORS);
      const step = 100 * sigmaOf(warm.b);
      const { b: after, statuses } = detect(new Array<number>(10).fill(warm.b.level + step), NO_FLOORS, P, warm.b, 300 * WINDOW_MS);
      expect(statuses).toEqual(new Array(10).fill('anomalous'));
      expect(after.level - warm.b.level).toBeLessThan(0.02 * step);
    });

    // Regression: an anomalous window once still updated the variance, so a long incident widened
    // its own band until it looked normal, long before levelShiftWindows.
    test.each([
      { case: 'a mature baseline (300 windows)', warmWindows: 300 },
      { case: 'a baseline just past warm-up (30 windows)', warmWindows: 30 },
    ])('an incident lasting until levelShiftWindows stays anomalous on $case', ({ warmWindows }) => {
      const warm = detect(quiet(warmWindows), NO_FLOORS);
      const incident = warm.b.level + 100 * sigmaOf(warm.b);
      const n = P.levelShiftWindows - 1;
      const { b: after, statuses } = detect(new Array<number>(n).fill(incident), NO_FLOORS, P, warm.b, warmWindows * WINDOW_MS);
      expect(statuses.indexOf('normal')).toBe(-1);
      expect(after.run).toBe(n);
      expect(sigmaOf(after)).toBeLessThan(2 * sigmaOf(warm.b));
    });
  });

  describe('runs and level shifts', () => {
    test.each([
      { deviations: [1], run: 1, runStart: 0 },
      { deviations: [1, 1, 1], run: 3, runStart: 0 },
      { deviations: [0, 1, 1], run: 2, runStart: 1 },
      { deviations: [1, 1, 0], run: 0, runStart: -1 },
      { deviations: [1, 1, -1], run: -1, runStart: 2 },
      { deviations: [-1, -1], run: -2, runStart: 0 },
    ] as { deviations: (-1 | 0 | 1)[]; run: number; runStart: number }[])(
      'deviations $deviations → run $run from window $runStart',
      ({ deviations, run, runStart }) => {
        const seeded = learnAll(quiet(30));
        const t0 = 100 * WINDOW_MS;
        const b = deviations.reduce((acc, d, i) => learn(acc, 100 + 50 * d, t0 + i * WINDOW_MS, d, { lower: 90, upper: 110 }, P), seeded);
        expect({ run: b.run, runStart: b.runStart === -1 ? -1 : (b.runStart - t0) / WINDOW_MS }).toEqual({ run, runStart });
        expect(b.runSum).toBe(
          deviations.slice(deviations.length - Math.abs(run)).reduce<number>((s, d) => s + (d === 0 ? 0 : 100 + 50 * d), 0),
        );
      },
    );

    it('re-seats the level to the mean of the run after levelShiftWindows anomalous windows', () => {
      const p = { ...P, levelShiftWindows: 5 };
      const seeded = learnAll(quiet(30), p);
      const xs = [200, 204, 196, 202, 198];
      const steps: Baseline[] = [];
      xs.reduce((b, x, i) => {
        const next = learn(b, x, (100 + i) * WINDOW_MS, 1, { lower: b.level - 4, upper: b.level + 4 }, p);
        steps.push(next);
        return next;
      }, seeded);
      expect(steps[3]!.level).toBeLessThan(110);
      expect(steps[3]!.run).toBe(4);
      expect(steps[4]).toMatchObject({ level: 200, run: 0, runSum: 0, runStart: -1, n: 35 });
    });

    it('a deploy that changes the level alerts for levelShiftWindows windows, then is the new normal', () => {
      const p = { ...P, levelShiftWindows: 5 };
      const policy: MetricPolicy = { direction: 'both', absFloor: 0, relFloor: 0.05 };
      const { statuses, b } = detect([...quiet(40), ...quiet(20, 130)], policy, p);
      expect(statuses.slice(0, 20)).toEqual(new Array(20).fill('insufficient-data'));
      expect(statuses.slice(20, 40)).toEqual(new Array(20).fill('normal'));
      expect(statuses.slice(40, 45)).toEqual(new Array(5).fill('anomalous'));
      expect(statuses.slice(45)).toEqual(new Array(15).fill('normal'));
      expect(b.level).toBeCloseTo(130, 0);
    });
  });
});

describe('detection laws', () => {
  const directionArb = fc.constantFrom<Direction>('up', 'down', 'both');

  it('a constant series is never anomalous, whatever the floors', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        fc.record({
          direction: directionArb,
          absFloor: fc.double({ min: 0, max: 100, noNaN: true }),
          relFloor: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        fc.integer({ min: 1, max: 120 }),
        (c, policy, n) => {
          const { statuses, b } = detect(new Array<number>(n).fill(c), policy, { ...P, warmupWindows: 3 });
          expect(statuses).not.toContain('anomalous');
          expect(b.level - c).toBe(0);
          expect(b.variance).toBe(0);
        },
      ),
    );
  });

  it('verdicts do not depend on the unit or offset of a series (a·x + b, a > 0, floors 0)', () => {
    // a quiet noisy series on a 0.1 grid, with a few spikes and drops
    const seriesArb = fc.array(
      fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: -10, max: 10 }).map((k) => 100 + k / 10) },
        { weight: 1, arbitrary: fc.integer({ min: -60, max: 60 }).map((k) => 100 + k) },
      ),
      { minLength: 25, maxLength: 80 },
    );
    fc.assert(
      fc.property(
        seriesArb,
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        directionArb,
        (xs, a, b, direction) => {
          const policy = { ...NO_FLOORS, direction };
          const p = { ...P, warmupWindows: 10, levelShiftWindows: 8 };
          const original = detect(xs, policy, p).statuses;
          const transformed = detect(
            xs.map((x) => a * x + b),
            policy,
            p,
          ).statuses;
          expect(transformed).toEqual(original);
        },
      ),
    );
  });
});
