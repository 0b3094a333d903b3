/**
 * judge(): x is anomalous when its direction counts and |x − level| ≥ threshold · σ_eff,
 * σ_eff = max(σ, relFloor·|level|, absFloor); not judged before warm-up; score = |z|/(|z|+threshold).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Baseline } from '../../../src/core/baseline/baseline.js';
import { bandOf, judge, scoreOf } from '../../../src/core/detect/deviation.js';
import { type Direction, type MetricPolicy } from '../../../src/core/params.js';

const P = { threshold: 4, warmupWindows: 30 };

const baseline = (level: number, sigma: number, n = 30): Baseline => ({
  v: 1,
  n,
  lastWindowStart: n * 10_000,
  level,
  variance: sigma * sigma,
  run: 0,
  runSum: 0,
  runStart: -1,
});

const policy = (direction: Direction, absFloor = 0, relFloor = 0): MetricPolicy => ({ direction, absFloor, relFloor });

describe('warm-up', () => {
  test.each([
    { n: 0, status: 'insufficient-data' },
    { n: 29, status: 'insufficient-data' },
    { n: 30, status: 'anomalous' },
    { n: 500, status: 'anomalous' },
  ])('n = $n learned windows (warmupWindows 30) → $status', ({ n, status }) => {
    expect(judge(baseline(100, 1, n), 1000, policy('both'), P).status).toBe(status);
  });

  it('says nothing more than insufficient-data before warm-up', () => {
    expect(judge(baseline(100, 1, 3), 1e9, policy('both'), P)).toStrictEqual({ status: 'insufficient-data' });
  });
});

describe('floors', () => {
  test.each([
    // a flat series (σ = 0) without floors: any change at all is "infinitely" anomalous
    { case: 'flat, no floors, same value', level: 100, sigma: 0, pol: policy('both'), x: 100, status: 'flat' },
    { case: 'flat, no floors, tiny change', level: 100, sigma: 0, pol: policy('both'), x: 100.000001, status: 'anomalous' },
    // relFloor 10 % of the level: σ_eff = 10, band 60..140
    { case: 'flat, relFloor 0.1, tiny change', level: 100, sigma: 0, pol: policy('both', 0, 0.1), x: 100.000001, status: 'normal' },
    { case: 'flat, relFloor 0.1, just inside', level: 100, sigma: 0, pol: policy('both', 0, 0.1), x: 139.99, status: 'normal' },
    { case: 'flat, relFloor 0.1, at the edge', level: 100, sigma: 0, pol: policy('both', 0, 0.1), x: 140, status: 'anomalous' },
    // absFloor 2: σ_eff = 2, band 92..108
    { case: 'flat, absFloor 2, just inside', level: 100, sigma: 0, pol: policy('both', 2), x: 107.99, status: 'normal' },
    { case: 'flat, absFloor 2, at the edge', level: 100, sigma: 0, pol: policy('both', 2), x: 108, status: 'anomalous' },
    // a flat zero series: relFloor gives nothing, absFloor is the resolution
    { case: 'zero level, absFloor 0.02', level: 0, sigma: 0, pol: policy('up', 0.02, 0.15), x: 0.05, status: 'normal' },
    { case: 'zero level, absFloor 0.02, big', level: 0, sigma: 0, pol: policy('up', 0.02, 0.15), x: 0.08, status: 'anomalous' },
    // near-flat CPU (σ = 1 mcore) with the cpu_cores policy: σ_eff = 0.15 · 0.5 = 0.075, band up to 0.8
    { case: 'near-flat cpu, +50 mcores', level: 0.5, sigma: 0.001, pol: policy('up', 0.02, 0.15), x: 0.55, status: 'normal' },
    { case: 'near-flat cpu, +0.31 cores', level: 0.5, sigma: 0.001, pol: policy('up', 0.02, 0.15), x: 0.81, status: 'anomalous' },
    // σ above both floors: σ rules
    { case: 'noisy, σ above the floors', level: 100, sigma: 5, pol: policy('both', 1, 0.01), x: 119.9, status: 'normal' },
    { case: 'noisy, σ above the floors, out', level: 100, sigma: 5, pol: policy('both', 1, 0.01), x: 120.1, status: 'anomalous' },
  ])('$case: x = $x → $status', ({ level, sigma, pol, x, status }) => {
    expect(judge(baseline(level, sigma), x, pol, P).status).toBe(status);
  });

  test.each([
    { level: 100, sigma: 0, pol: policy('both', 0, 0.1), sigmaEff: 10 },
    { level: -100, sigma: 0, pol: policy('both', 0, 0.1), sigmaEff: 10 },
    { level: 100, sigma: 0, pol: policy('both', 3, 0.01), sigmaEff: 3 },
    { level: 100, sigma: 5, pol: policy('both', 3, 0.01), sigmaEff: 5 },
    { level: 100, sigma: 0, pol: policy('both'), sigmaEff: Number.EPSILON },
  ])('σ_eff = max(σ, relFloor·|level|, absFloor): level $level σ $sigma → $sigmaEff', ({ level, sigma, pol, sigmaEff }) => {
    const { band, sigmaEff: got } = bandOf(baseline(level, sigma), pol, 4);
    expect(got).toBe(sigmaEff);
    expect(band).toStrictEqual({ value: level, lower: level - 4 * sigmaEff, upper: level + 4 * sigmaEff });
  });
});

describe('direction policy', () => {
  test.each([
    { direction: 'up' as const, x: 150, status: 'anomalous', dir: 'up' },
    { direction: 'up' as const, x: 50, status: 'normal', dir: undefined },
    { direction: 'down' as const, x: 150, status: 'normal', dir: undefined },
    { direction: 'down' as const, x: 50, status: 'anomalous', dir: 'down' },
    { direction: 'both' as const, x: 150, status: 'anomalous', dir: 'up' },
    { direction: 'both' as const, x: 50, status: 'anomalous', dir: 'down' },
  ])('$direction-only policy, level 100 σ 1, x = $x → $status', ({ direction, x, status, dir }) => {
    const v = judge(baseline(100, 1), x, policy(direction), P);
    expect(v.status).toBe(status);
    expect(v.status === 'anomalous' ? v.direction : undefined).toBe(dir);
    // the z it reports is signed whatever the policy
    expect('z' in v && v.z).toBe(x - 100);
  });
});

describe('score', () => {
  it('is 0.5 at the threshold', () => {
    const v = judge(baseline(100, 1), 104, policy('both'), P);
    expect(v).toMatchObject({ status: 'anomalous', z: 4, score: 0.5 });
    expect(scoreOf(-4, 4)).toBe(0.5);
  });

  test.each([
    [0, 0],
    [4, 0.5],
    [12, 0.75],
    [-36, 0.9],
  ])('scoreOf(%d, 4) = %d', (z, s) => {
    expect(scoreOf(z, 4)).toBe(s);
  });

  it('is in [0, 1) and monotonic in |z|', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: -1e9, max: 1e9, noNaN: true }),
        fc.double({ min: 0.5, max: 20, noNaN: true }),
        (z1, z2, threshold) => {
          const [s1, s2] = [scoreOf(z1, threshold), scoreOf(z2, threshold)];
          expect(s1).toBeGreaterThanOrEqual(0);
          expect(s1).toBeLessThan(1);
          if (Math.abs(z1) < Math.abs(z2)) expect(s1).toBeLessThanOrEqual(s2);
          if (Math.abs(z1) === Math.abs(z2)) expect(s1).toBe(s2);
        },
      ),
    );
  });

  it('anomalous verdicts score at least 0.5, and grow with the deviation', () => {
    const scores = [104, 110, 150, 1000].map((x) => {
      const v = judge(baseline(100, 1), x, policy('up'), P);
      return v.status === 'anomalous' ? v.score : NaN;
    });
    expect(scores[0]).toBe(0.5);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeGreaterThan(scores[i - 1]!);
  });
});

describe('flat and normal', () => {
  test.each([
    { case: 'σ = 0 and x = level', sigma: 0, x: 7, status: 'flat' },
    { case: 'σ = 0 and x inside the floors', sigma: 0, x: 7.1, status: 'normal' },
    { case: 'σ > 0 and x = level', sigma: 0.5, x: 7, status: 'normal' },
  ])('$case → $status', ({ sigma, x, status }) => {
    expect(judge(baseline(7, sigma), x, policy('both', 1), P)).toMatchObject({ status, band: { value: 7 } });
  });
});
