/**
 * learn(): the baseline a window is judged against. Idempotent per window; a warm start that
 * averages equally, then a half-life (fast level) and a long half-life (slow level); anomalous
 * windows are not learned at all (level, spread, slow level, tail and surprise moments stay);
 * a deviation that persists for levelShiftWindows re-seats the level (the slow level follows).
 * Detection laws over judge() + learn(): a constant series never alerts; verdicts do not
 * depend on the unit or offset of the series (affine invariance, floors 0).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Baseline, alphaOf, emptyBaseline, learn, sigmaOf } from '../../../src/core/baseline/index.js';
import { driftIsOwn } from '../../../src/core/detect/drift.js';
import { isRecord } from '../../../src/core/detect/records.js';
import { type Direction, type MetricPolicy } from '../../../src/core/params.js';
import { DAY_MS, HOUR_MS, NO_FLOORS, P, WINDOW_MS, detect, learnAll, quiet } from './helpers.js';

// Bug: learn()'s first-window branch spreads accumulate(), which spreads foldHour(b), which
// returns the whole baseline `b` when nothing is accumulated yet: n, lastWindowStart, level and
// slow revert to the empty baseline's. The first window is dropped, warm-up counts one short,
// and the first window can be learned twice. (src/core/baseline/level.ts, learnLevel, n === 0.)
describe('the first window', () => {
  it('seeds the level and the slow level, and starts accumulating its hour', () => {
    // toEqual: a learned record names every field, those it lacks as undefined (cloneBaseline).
    expect(learn(emptyBaseline(), 42, 0, 0, 0, P)).toEqual({
      ...emptyBaseline(),
      n: 1,
      lastWindowStart: 0,
      level: 42,
      slow: 42,
      variance: 0,
      accHour: 0,
      accX: 42,
      accN: 1,
      accIn: 42,
      accInN: 1,
      accInXX: 42 * 42,
      accPrev: 42,
      accD2: 0,
      accDN: 0,
      dayIdx: 0,
      hourVar: -1,
      noiseProf: new Array<number>(24).fill(1),
      noiseDays: 0,
      dayNoise: new Array<number>(24).fill(0),
    });
  });

  it('is learned once: replaying it changes nothing', () => {
    const b = learn(emptyBaseline(), 42, 0, 0, 0, P);
    expect(learn(b, 1e9, 0, 0, 0, P)).toBe(b);
  });

  it('counts in the warm start: the running mean and population variance while 1/(n+1) > alpha (fast and slow alike)', () => {
    const b = learnAll([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(b.n).toBe(10);
    expect(b.level).toBeCloseTo(5.5, 12);
    expect(b.slow).toBeCloseTo(5.5, 12);
    expect(b.variance).toBeCloseTo(8.25, 12);
  });

  it('counts towards warm-up: window i is judged against i learned windows, so window warmupWindows is the first judged', () => {
    const { statuses } = detect(quiet(P.warmupWindows + 5), NO_FLOORS);
    expect(statuses.indexOf('insufficient-data', P.warmupWindows)).toBe(-1);
    expect(statuses.slice(0, P.warmupWindows)).toEqual(new Array(P.warmupWindows).fill('insufficient-data'));
  });
});

describe('learn', () => {
  it('warm start: the running mean and population variance of the windows after the first', () => {
    // independent of whether the first window is learned (see above): from the second on
    const seeded = learn(learn(emptyBaseline(), 1, 0, 0, 0, P), 1, WINDOW_MS, 0, 0, P);
    expect(seeded.level).toBe(1);
    const b = [2, 3, 4, 5, 6, 7, 8, 9, 10].reduce((acc, x, i) => learn(acc, x, (2 + i) * WINDOW_MS, 0, 0, P), seeded);
    const xs = [...new Array<number>(seeded.n).fill(1), 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(b.n).toBe(xs.length);
    expect(b.level).toBeCloseTo(mean, 12);
    expect(b.slow).toBeCloseTo(mean, 12);
    expect(b.variance).toBeCloseTo(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length, 12);
  });

  it('then forgets with the half-life: a step is half learned after halfLifeWindows windows', () => {
    const settled = learnAll(new Array<number>(1000).fill(0));
    const b = learnAll(new Array<number>(60).fill(1), P, settled, 1000 * WINDOW_MS);
    expect(alphaOf(60)).toBeCloseTo(1 - Math.pow(2, -1 / 60), 15);
    expect(b.level).toBeCloseTo(0.5, 12);
  });

  it('the slow level forgets with slowHalfLifeWindows once past its own warm start', () => {
    const p = { ...P, slowHalfLifeWindows: 200 };
    const settled = learnAll(new Array<number>(2000).fill(0), p);
    const b = learnAll(new Array<number>(200).fill(1), p, settled, 2000 * WINDOW_MS);
    expect(b.slow).toBeCloseTo(0.5, 12);
    // the fast level (half-life 60) has long caught up
    expect(b.level).toBeGreaterThan(0.9);
  });

  describe('idempotent', () => {
    it('ignores a window at or before lastWindowStart (same object back)', () => {
      const b = learnAll(quiet(30));
      for (const ws of [b.lastWindowStart, b.lastWindowStart - WINDOW_MS, 0, -5]) {
        expect(learn(b, 1e9, ws, 1, 1e9, P, 50)).toBe(b);
      }
    });

    it('replaying any already-learned window changes nothing (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
          fc.nat(),
          fc.double({ noNaN: true }),
          fc.constantFrom(-1 as const, 0 as const, 1 as const),
          fc.double({ min: -100, max: 100, noNaN: true }),
          (xs, k, x, deviation, z) => {
            const b = learnAll(xs);
            const replayed = (k % xs.length) * WINDOW_MS;
            expect(learn(b, x, replayed, deviation, z, P)).toBe(b);
          },
        ),
      );
    });
  });

  describe('robust to the anomaly', () => {
    const b = learnAll(quiet(40));
    const w = 1 / (b.n + 1); // still in the warm start

    test.each([
      { case: 'a normal window is learned as is', x: 105, deviation: 0 as const },
      { case: 'an anomalous spike is not learned', x: 500, deviation: 1 as const },
      { case: 'an anomalous drop is not learned', x: -500, deviation: -1 as const },
    ])('$case', ({ x, deviation }) => {
      const next = learn(b, x, b.lastWindowStart + WINDOW_MS, deviation, (x - b.level) / sigmaOf(b), P, 3);
      expect(next.n).toBe(b.n + 1);
      if (deviation === 0) {
        expect(next.level).toBeCloseTo(b.level + w * (x - b.level), 12);
        expect(next.variance).not.toBe(b.variance);
      } else {
        // not clipped, not down-weighted: not learned at all
        expect({ level: next.level, variance: next.variance, slow: next.slow, tail: next.tail }).toStrictEqual({
          level: b.level,
          variance: b.variance,
          slow: b.slow,
          tail: b.tail,
        });
        // the first window of a run counts once in the series' usual surprise; later ones do not
        expect(next.surpriseMean).toBeGreaterThan(b.surpriseMean);
        const again = learn(next, x, next.lastWindowStart + WINDOW_MS, deviation, (x - b.level) / sigmaOf(b), P, 4);
        expect({ mean: again.surpriseMean, var: again.surpriseVar }).toStrictEqual({ mean: next.surpriseMean, var: next.surpriseVar });
        // …and the short surprise average carries on
        expect(next.surprise).toBe(3);
        expect(again.surprise).toBe(4);
      }
    });

    it('anomalous windows change neither level, variance, slow level nor tail, whatever they are (property)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 2, maxLength: 40 }),
          fc.array(
            fc.record({
              x: fc.double({ min: -1e9, max: 1e9, noNaN: true }),
              up: fc.boolean(),
              z: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
            }),
            { minLength: 1, maxLength: P.levelShiftWindows - 1 },
          ),
          (history, anomalies) => {
            const b0 = learnAll(history);
            const t0 = history.length * WINDOW_MS;
            const after = anomalies.reduce((b, a, i) => learn(b, a.x, t0 + i * WINDOW_MS, a.up ? 1 : -1, a.z, P), b0);
            expect(after.level).toBe(b0.level);
            expect(after.variance).toBe(b0.variance);
            expect(after.slow).toBe(b0.slow);
            expect(after.tail).toBe(b0.tail);
            expect(after.n).toBe(b0.n + anomalies.length);
          },
        ),
      );
    });

    it('a short incident (10 windows at +100σ) leaves the level exactly where it was', () => {
      const warm = detect(quiet(300), NO_FLOORS);
      const step = 100 * sigmaOf(warm.b);
      const { b: after, statuses } = detect(new Array<number>(10).fill(warm.b.level + step), NO_FLOORS, P, warm.b, 300 * WINDOW_MS);
      expect(statuses).toEqual(new Array(10).fill('anomalous'));
      expect(after.level).toBe(warm.b.level);
      expect(after.variance).toBe(warm.b.variance);
    });

    // Regression: an anomalous window once still updated the variance, so a long incident widened
    // its own band until it looked normal, long before levelShiftWindows.
    // Bug (surprise gate): just past warm-up the case fails again, now from the start of the
    // incident: the surprise moments were learned from the warm-up windows, judged against a
    // baseline of one or two windows (σ ≈ 0, |z| capped at 50), so surpriseMean ≈ 2.9 and its
    // σ ≈ 3.4; no single window, however far out, reaches a surprise score of 4 (see
    // deviation.test.ts, 'surprise gate just past warm-up').
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
      expect(sigmaOf(after)).toBe(sigmaOf(warm.b));
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
        const b = deviations.reduce((acc, d, i) => learn(acc, 100 + 50 * d, t0 + i * WINDOW_MS, d, 0, P), seeded);
        expect({ run: b.run, runStart: b.runStart === -1 ? -1 : (b.runStart - t0) / WINDOW_MS }).toEqual({ run, runStart });
        expect(b.runSum).toBe(
          deviations.slice(deviations.length - Math.abs(run)).reduce<number>((s, d) => s + (d === 0 ? 0 : 100 + 50 * d), 0),
        );
      },
    );

    it('re-seats the level (not the slow level) to the mean of the run after levelShiftWindows anomalous windows', () => {
      const p = { ...P, levelShiftWindows: 5 };
      const seeded = learnAll(quiet(30), p);
      const xs = [200, 204, 196, 202, 198];
      const steps: Baseline[] = [];
      xs.reduce((b, x, i) => {
        const next = learn(b, x, (100 + i) * WINDOW_MS, 1, 0, p, 20);
        steps.push(next);
        return next;
      }, seeded);
      expect(steps[3]!.level).toBe(seeded.level);
      expect(steps[3]!.slow).toBe(seeded.slow);
      expect(steps[3]!.run).toBe(4);
      expect(steps[4]).toMatchObject({
        level: 200,
        slow: seeded.slow,
        run: 0,
        runSum: 0,
        runStart: -1,
        n: seeded.n + 5,
        surprise: 0,
        shiftAt: 104 * WINDOW_MS,
      });
      // the spread is not re-seated: the new normal is as noisy as the old one until learned otherwise
      expect(steps[4]!.variance).toBe(seeded.variance);
    });

    it('a run that changes direction starts over: no level shift from alternating deviations', () => {
      const p = { ...P, levelShiftWindows: 3 };
      const seeded = learnAll(quiet(30), p);
      const b = [1, -1, 1, -1, 1, -1].reduce<Baseline>(
        (acc, d, i) => learn(acc, 100 + 50 * d, (100 + i) * WINDOW_MS, d as -1 | 1, 0, p),
        seeded,
      );
      expect(b.level).toBe(seeded.level);
      expect(b.run).toBe(-1);
    });

    it('a deploy that changes the level alerts for levelShiftWindows windows, then is the new normal', () => {
      const p = { ...P, levelShiftWindows: 5 };
      const policy: MetricPolicy = { direction: 'both', absFloor: 0, relFloor: 0.05 };
      const { statuses, b } = detect([...quiet(40), ...quiet(20, 130)], policy, p);
      // (window 20, the warm-up boundary, is the subject of 'the first window' above)
      expect(statuses.slice(0, 20)).toEqual(new Array(20).fill('insufficient-data'));
      expect(statuses.slice(21, 40)).toEqual(new Array(19).fill('normal'));
      // the first step window is one surprise (the gate wants more than one for +6σ), then
      // levelShiftWindows anomalous windows re-seat the level; the slow level follows in its own time
      const firstAnomalous = statuses.indexOf('anomalous');
      expect(firstAnomalous).toBeGreaterThanOrEqual(40);
      expect(firstAnomalous).toBeLessThanOrEqual(41);
      expect(statuses.slice(firstAnomalous, firstAnomalous + 5)).toEqual(new Array(5).fill('anomalous'));
      expect(statuses.slice(firstAnomalous + 5)).toEqual(new Array(60 - firstAnomalous - 5).fill('normal'));
      expect(b.level).toBeCloseTo(130, 0);
      expect(b.slow).toBeLessThan(130);
      expect(b.shiftAt).toBe((firstAnomalous + 4) * WINDOW_MS);
    });
  });
});

describe('the extremes (what a record must beat)', () => {
  // 100 ± 1 (period 11), every 100th window 2.5 above (z ≈ 3.5: normal), for 1,200 windows:
  // more than slowHalfLifeWindows / 8 = 1,080 judged
  const xs = quiet(1200).map((x, i) => (i % 100 === 50 ? 102.5 : x));
  const history = detect(xs, NO_FLOORS).b;
  const dev = (b: Baseline): { up: number; down: number } => ({ up: b.maxUp ?? 0, down: b.maxDown ?? 0 });

  it('are the largest deviations of the normal windows on each side, from a prior of tail · σ', () => {
    const { statuses } = detect(xs, NO_FLOORS);
    expect(statuses.filter((s) => s === 'anomalous')).toEqual([]);
    const { up, down } = dev(history);
    expect(up).toBeGreaterThan(2.4);
    expect(up).toBeLessThan(2.6);
    // nothing below went past the prior (the first judged window's tail · σ, barely faded)
    const first = detect(xs.slice(0, 20), NO_FLOORS).b;
    const prior = first.tail * sigmaOf(first);
    expect(down).toBeLessThan(prior);
    expect(down).toBeGreaterThan(0.9 * prior);
  });

  it('take in a blip once it has ended (a one-window anomaly is part of what the series does)', () => {
    const blip = detect([130], NO_FLOORS, P, history, 1200 * WINDOW_MS);
    expect(blip.statuses).toEqual(['anomalous']);
    expect(dev(blip.b).up).toBe(dev(history).up * (1 - alphaOf(4 * P.slowHalfLifeWindows))); // not yet: it might last
    const after = detect(quiet(1), NO_FLOORS, P, blip.b, 1201 * WINDOW_MS).b;
    expect(dev(after).up).toBeCloseTo(30, 0);
    expect(dev(after).down).toBeCloseTo(dev(history).down, 3);
  });

  it('ignore an anomaly that lasts (an incident is not the habit)', () => {
    const incident = detect([...Array<number>(10).fill(130), ...quiet(5)], NO_FLOORS, P, history, 1200 * WINDOW_MS);
    expect(incident.statuses.slice(0, 10).every((s) => s === 'anomalous')).toBe(true);
    expect(dev(incident.b).up).toBeLessThan(2.6);
  });

  it('fade with four times the slow half-life', () => {
    const later = detect(
      quiet(4 * P.slowHalfLifeWindows, 100, 0.01),
      NO_FLOORS,
      P,
      detect([130, 100], NO_FLOORS, P, history, 1200 * WINDOW_MS).b,
      1202 * WINDOW_MS,
    ).b;
    expect(dev(later).up).toBeGreaterThan(30 * 0.45);
    expect(dev(later).up).toBeLessThan(30 * 0.55);
  });

  it('of a record kept before extremes existed are what its normal windows reach (tail · σ): an upgrade makes no records', () => {
    const old: Baseline = { ...history };
    delete old.maxUp;
    delete old.maxDown;
    const reach = old.tail * sigmaOf(old);
    expect(isRecord(old, 1.4 * reach, P)).toBe(false);
    expect(isRecord(old, -1.6 * reach, P)).toBe(true);
    const next = detect([100], NO_FLOORS, P, old, 1200 * WINDOW_MS).b;
    expect(next.maxUp).toBeCloseTo(reach * (1 - alphaOf(4 * P.slowHalfLifeWindows)), 9);
  });

  test.each([
    { case: 'within 1.5× the largest rise', d: 1.4, history: 1200, record: false },
    { case: 'beyond 1.5× the largest rise', d: 1.6, history: 1200, record: true },
    { case: 'beyond 1.5× the largest fall', d: -1.6, history: 1200, record: true },
    { case: 'far beyond, but with a short history (any young series sets records)', d: 10, history: 1000, record: false },
  ])('a window $d from the expectation, $case: record $record', ({ d, history: n, record }) => {
    const b = detect(quiet(n), NO_FLOORS).b;
    expect(isRecord(b, d * (d > 0 ? b.maxUp! : b.maxDown!), P)).toBe(record);
  });
});

describe('detection laws', () => {
  const directionArb = fc.constantFrom<Direction>('up', 'down', 'both');

  it('a constant series is never anomalous, whatever the constant, the length, the floors and the seasonality', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e12, max: 1e12, noNaN: true }),
        fc.record({
          direction: directionArb,
          absFloor: fc.double({ min: 0, max: 100, noNaN: true }),
          relFloor: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        fc.integer({ min: 1, max: 400 }),
        // windows up to an hour long, so long series cross hours, days and weeks (seasonal folds)
        fc.constantFrom(WINDOW_MS, 60_000, 600_000, HOUR_MS),
        fc.integer({ min: 0, max: 3000 }).map((d) => d * DAY_MS),
        fc.constantFrom('auto' as const, 'off' as const),
        (c, policy, n, windowMs, t0, seasonality) => {
          const p = { ...P, warmupWindows: 3, seasonMinDays: 1, seasonality };
          const { statuses, b } = detect(new Array<number>(n).fill(c), policy, p, emptyBaseline(), t0, windowMs);
          expect(statuses).not.toContain('anomalous');
          // (whether a one-window series is learned at all is the subject of 'the first window')
          if (b.n > 0) {
            expect(b.level - c).toBe(0);
            expect(b.slow - c).toBe(0);
          }
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

describe('calm: judged windows in a row inside the band (whether the drift average is the drift’s own)', () => {
  it('counts judged normal windows and restarts at 0 on an anomalous one', () => {
    const { b } = detect([...quiet(60), 200, ...quiet(5, 100)], NO_FLOORS);
    // 20 warm-up windows are not judged; 40 judged, then the spike, then 5
    expect(b.calm).toBe(5);
    expect(detect(quiet(60), NO_FLOORS).b.calm).toBe(40);
  });

  test.each([
    { calm: undefined, own: false },
    { calm: 15, own: false },
    { calm: 16, own: true },
  ])('calm $calm: the drift average is its own: $own (two drift half-lives of 8)', ({ calm, own }) => {
    const b: Baseline = { ...emptyBaseline(), ...(calm === undefined ? {} : { calm }) };
    expect(driftIsOwn(b)).toBe(own);
  });
});
