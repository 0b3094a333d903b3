/**
 * The burst test: three windows in a row on one side, none past the bar, whose sum of z
 * (each capped at ±4) stands 1.15 × bar of its long-run standard deviations (4.6 at the default
 * threshold of 4; never fewer than iid unit noise has, √3) from 0, each window at least 1σ out;
 * only after slowHalfLifeWindows / 4 judged windows; the windows that teach the burst spread are the normal ones and the first
 * three of any anomaly, so a series that bursts habitually widens its own bar; a sum teaches it
 * two windows after it was seen (a guard band), so a burst never widens its own bar.
 */
import { describe, expect, it } from 'vitest';
import { type Baseline } from '../../../src/core/baseline/index.js';
import { burstOf } from '../../../src/core/detect/burst.js';
import { type Verdict } from '../../../src/core/detect/deviation.js';
import { type DetectionParams } from '../../../src/core/params.js';
import { NO_FLOORS, P, detect, gaussian } from './helpers.js';

/** A short slow half-life: bursts count after 200 judged windows. */
const Q: DetectionParams = { ...P, slowHalfLifeWindows: 800 };
const HISTORY = Q.slowHalfLifeWindows / 4;

const noisy = (n: number, seed: number): number[] => {
  const g = gaussian(seed);
  return Array.from({ length: n }, () => 100 + g());
};
const testOf = (v: Verdict | undefined): string => (v?.status === 'anomalous' ? v.test : (v?.status ?? 'none'));

describe('three windows at +3.5σ, each under the bar', () => {
  it.each([11, 12, 13])('after a long history the third is anomalous by the burst test, the first two are normal (seed %i)', (seed) => {
    const xs = [...noisy(HISTORY + 300, seed), 103.5, 103.5, 103.5];
    const { verdicts } = detect(xs, NO_FLOORS, Q);
    expect(verdicts.slice(-3).map(testOf)).toEqual(['normal', 'normal', 'burst']);
  });

  it('in a young series (fewer judged windows than slowHalfLifeWindows / 4) it is not', () => {
    const xs = [...noisy(HISTORY / 2, 11), 103.5, 103.5, 103.5];
    expect(detect(xs, NO_FLOORS, Q).verdicts.slice(-3).map(testOf)).toEqual(['normal', 'normal', 'normal']);
  });

  it('right after the burst spread restarts (the daily profile switched on) a burst is caught: its own windows are behind the guard band', () => {
    const { b } = detect(noisy(HISTORY + 300, 11), NO_FLOORS, Q);
    const t0 = b.lastWindowStart + 10_000;
    const restarted: Baseline = { ...b, burstN: 0 };
    delete restarted.burstVar;
    delete restarted.burstPend1;
    delete restarted.burstPend2;
    const burst = [103.5, 103.5, 103.5];
    const { verdicts, b: after } = detect(burst, NO_FLOORS, Q, restarted, t0);
    expect(verdicts.map(testOf)).toEqual(['normal', 'normal', 'burst']);
    // the first two windows' sums wait their turn; the third, anomalous, sum waits behind them
    expect(after.burstN).toBe(1);
  });

  it('a sum teaches the burst spread two windows after it was seen (the guard band)', () => {
    const { b } = detect(noisy(HISTORY + 300, 11), NO_FLOORS, Q);
    const t0 = b.lastWindowStart + 10_000;
    const spreadAfter = (xs: number[]): number | undefined => detect(xs, NO_FLOORS, Q, b, t0).b.burstVar;
    // two windows at +3.5σ have taught the spread exactly what two ordinary windows have
    expect(spreadAfter([103.5, 103.5])).toBe(spreadAfter([100, 100]));
    // one window later the first of their sums has reached it
    expect(spreadAfter([103.5, 103.5, 100])).toBeGreaterThan(spreadAfter([100, 100, 100])!);
  });

  it.each([
    { threshold: 3, height: 2.4, want: ['burst', 'normal'] },
    { threshold: 4, height: 2.4, want: ['normal', 'normal'] },
    { threshold: 4, height: 3.2, want: ['burst', 'normal'] },
    { threshold: 5, height: 3.2, want: ['normal', 'normal'] },
  ])('the burst bar scales with the threshold: at $threshold, three windows of +$height σ are $want.0', ({ threshold, height, want }) => {
    const params = { ...Q, threshold };
    const xs = [...noisy(HISTORY + 300, 11), 100 + height, 100 + height, 100 + height];
    const { verdicts } = detect(xs, NO_FLOORS, params);
    // the third window ends the burst; the second never does
    expect([testOf(verdicts.at(-1)), testOf(verdicts.at(-2))]).toEqual(want);
  });

  it("below the expectation it counts only when the metric's policy watches that side", () => {
    const xs = [...noisy(HISTORY + 300, 11), 96.5, 96.5, 96.5];
    expect(testOf(detect(xs, NO_FLOORS, Q).verdicts.at(-1))).toBe('burst');
    expect(testOf(detect(xs, { ...NO_FLOORS, direction: 'up' }, Q).verdicts.at(-1))).toBe('normal');
  });
});

describe('what is no burst', () => {
  it('one spike and two ordinary windows: the spike counts for at most 4σ in the sum', () => {
    const xs = [...noisy(HISTORY + 300, 11), 120, 101.5, 101.5];
    expect(detect(xs, NO_FLOORS, Q).verdicts.slice(-3).map(testOf)).toEqual(['point', 'normal', 'normal']);
  });

  it('a window under 1σ breaks the burst, however far out the other two are', () => {
    const xs = [...noisy(HISTORY + 300, 11), 103.8, 100.5, 103.8];
    expect(detect(xs, NO_FLOORS, Q).verdicts.slice(-3).map(testOf)).toEqual(['normal', 'normal', 'normal']);
  });

  it('a series that bursts every 30 windows learns a wide burst spread, and its bursts stop being anomalous', () => {
    const xs = noisy(6000, 11).map((x, i) => (i >= 300 && i % 30 < 3 ? x + 3.5 : x));
    const { verdicts, b } = detect([...xs, 103.5, 103.5, 103.5], NO_FLOORS, Q);
    const early = verdicts.slice(HISTORY + 100, HISTORY + 400).filter((v) => testOf(v) === 'burst').length;
    const late = verdicts.slice(-600).filter((v) => testOf(v) === 'burst').length;
    expect(early).toBeGreaterThan(0);
    expect(late).toBe(0);
    expect(b.burstVar ?? 0).toBeGreaterThan(3);
  });
});

describe('burstOf', () => {
  const at = (z1: number, z2: number, burstVar?: number): Baseline =>
    ({ z1, z2, ...(burstVar === undefined ? {} : { burstVar }) }) as Baseline;
  it.each([
    { case: 'iid prior: the sum over √3', b: at(2, 2), z: 2, score: 6 / Math.sqrt(3), least: 2 },
    { case: 'a learned spread below the prior does not lower the bar', b: at(2, 2, 1), z: 2, score: 6 / Math.sqrt(3), least: 2 },
    { case: 'a learned spread above it does raise it', b: at(2, 2, 12), z: 2, score: 6 / Math.sqrt(12), least: 2 },
    { case: 'the current window is capped at 4', b: at(1, 1), z: 40, score: 6 / Math.sqrt(3), least: 1 },
    { case: 'downward: signed, least on its side', b: at(-3, -1.5), z: -2, score: -6.5 / Math.sqrt(3), least: 1.5 },
    { case: 'mixed signs: least is negative', b: at(3, -1), z: 3, score: 5 / Math.sqrt(3), least: -1 },
  ])('$case', ({ b, z, score, least }) => {
    const out = burstOf(b, z);
    expect(out.score).toBeCloseTo(score, 10);
    expect(out.least).toBeCloseTo(least, 10);
  });
});
