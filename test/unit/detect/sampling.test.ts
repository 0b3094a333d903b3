/**
 * Sampling-aware judgement (detect/sampling.ts) and the domain of bands (detect/deviation.ts):
 * a count is judged with its trials, a window with too little data is `insufficient-sample`
 * and never anomalous, the evidence is monotone in the counts, and a band never leaves the
 * metric's domain.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { domainOf } from '../../../src/core/alert/units.js';
import { type Baseline } from '../../../src/core/baseline/index.js';
import { bandOf, judge } from '../../../src/core/detect/deviation.js';
import { binomialZ, poissonZ } from '../../../src/core/detect/sampling.js';
import { fromScale, toScale } from '../../../src/core/detect/scale.js';
import { type MetricPolicy } from '../../../src/core/params.js';
import { type SampleSize } from '../../../src/core/window/metrics.js';
import { emptySketch, sketchAdd } from '../../../src/core/window/sketch.js';
import { MONDAY, P, baselineOf } from './helpers.js';

const TS = MONDAY + 13 * 3_600_000;

const ERROR_RATIO: MetricPolicy = { direction: 'up', absFloor: 0.02, relFloor: 0 };
const LATENCY: MetricPolicy = { direction: 'up', absFloor: 1, relFloor: 0.05, scale: 'log' };
const REQUESTS: MetricPolicy = { direction: 'both', absFloor: 0.1, relFloor: 0.02 };

/** An error-ratio baseline: level 0.2 %, σ 0.013, pooled 4 errors of 2,000 requests. */
const errorBaseline = (extra: Partial<Baseline> = {}): Baseline => baselineOf(0.002, 0.013, 500, { sampleK: 4, sampleN: 2000, ...extra });
const errors = (k: number, n: number): SampleSize => ({ kind: 'proportion', k, n });
const judgeErrors = (k: number, n: number, b = errorBaseline()) =>
  judge(b, n > 0 ? k / n : 0, TS, ERROR_RATIO, P, domainOf('error_ratio'), errors(k, n));

describe('binomial and Poisson evidence', () => {
  it('no trials, or the expected count: no evidence', () => {
    expect(binomialZ(3, 0, 0.01)).toBe(0);
    expect(binomialZ(5, 10, 0.5)).toBe(0);
    expect(poissonZ(4, 4)).toBe(0);
  });

  it('is close to the exact binomial tail, conservatively (one error in 4 at 0.2 % is ~2.4σ, not 12σ)', () => {
    // P(K ≥ 1 | 4, 0.002) = 0.008 (2.41σ); P(K ≥ 3 | 10, 0.002) ≈ 9.6e-7 (4.76σ).
    expect(binomialZ(1, 4, 0.002)).toBeGreaterThan(1.5);
    expect(binomialZ(1, 4, 0.002)).toBeLessThan(2.6);
    expect(binomialZ(3, 10, 0.002)).toBeGreaterThan(4.2);
    expect(binomialZ(3, 10, 0.002)).toBeLessThan(4.9);
  });

  it('property: more successes at the same n never lower the evidence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 1e-4, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, f) => {
          const k = Math.floor(f * n);
          expect(binomialZ(Math.min(n, k + 1), n, p)).toBeGreaterThanOrEqual(binomialZ(k, n, p) - 1e-9);
        },
      ),
    );
  });

  it('property: more trials at the same ratio (above p) never lower the evidence', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, f) => {
          const ratio = p + f * (1 - p);
          expect(binomialZ(2 * n * ratio, 2 * n, p)).toBeGreaterThanOrEqual(binomialZ(n * ratio, n, p) - 1e-9);
        },
      ),
    );
  });

  it('property: a Poisson count is monotone in the count and in the exposure at the same rate', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.double({ min: 0.01, max: 500, noNaN: true }), (c, mu) => {
        expect(poissonZ(c + 1, mu)).toBeGreaterThanOrEqual(poissonZ(c, mu) - 1e-9);
        if (c > mu) expect(poissonZ(2 * c, 2 * mu)).toBeGreaterThanOrEqual(poissonZ(c, mu) - 1e-9);
      }),
    );
  });
});

describe('error ratio with its requests', () => {
  it('a window with no requests (n = 0) is never judged, so never anomalous', () => {
    expect(judgeErrors(0, 0).status).toBe('insufficient-sample');
  });

  it('one request cannot reach the bar at a 0.2 % baseline: insufficient, whatever it is', () => {
    for (const k of [0, 1]) expect(judgeErrors(k, 1).status).toBe('insufficient-sample');
  });

  test.each([4, 8, 12, 20])('a single 503 among %d requests is normal (the band alone put it at ~12σ)', (n) => {
    const v = judgeErrors(1, n);
    expect(v.status).toBe('normal');
    expect('z' in v ? v.z : NaN).toBeLessThan(P.threshold);
  });

  it('40 % errors over 50 requests is anomalous past the strong bar', () => {
    const v = judgeErrors(20, 50);
    expect(v.status).toBe('anomalous');
    expect('z' in v ? v.z : 0).toBeGreaterThanOrEqual(P.strongThreshold);
  });

  it('property: more errors at the same n never lower z; more n at the same ratio never lowers it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 400 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.floor(f * n);
        const z = (v: ReturnType<typeof judgeErrors>): number => ('z' in v ? v.z : 0);
        expect(z(judgeErrors(Math.min(n, k + 1), n))).toBeGreaterThanOrEqual(z(judgeErrors(k, n)) - 1e-9);
        if (k > 0) expect(z(judgeErrors(2 * k, 2 * n))).toBeGreaterThanOrEqual(z(judgeErrors(k, n)) - 1e-9);
      }),
    );
  });
});

describe('latency quantiles with their observations', () => {
  const sketchOf = (values: number[]) => {
    const s = emptySketch();
    for (const v of values) sketchAdd(s, v);
    return s;
  };
  /** p99 around 50 ms, σ 10 % on the log scale. */
  const b = baselineOf(toScale(LATENCY, 50), 0.1, 500);
  const judgeP99 = (values: number[]) => {
    const sketch = sketchOf(values);
    return judge(b, toScale(LATENCY, Math.max(...values)), TS, LATENCY, P, domainOf('latency_p99_ms'), {
      kind: 'quantile',
      q: 0.99,
      sketch,
    });
  };

  test.each([1, 2])('a p99 over %d request(s) cannot say more than its maximum: insufficient', (n) => {
    expect(judgeP99(new Array<number>(n).fill(5000)).status).toBe('insufficient-sample');
  });

  it('three requests all far above the expected p99 are evidence enough', () => {
    expect(judgeP99([900, 1000, 1100]).status).toBe('anomalous');
  });

  it('one slow request among 20 is not (the band alone put it past the bar)', () => {
    const v = judgeP99([...new Array<number>(19).fill(30), 1000]);
    expect(v.status).toBe('normal');
  });
});

describe('request counts', () => {
  it('3 requests where 0.5 were expected are not a spike, on a series whose spread is counting noise', () => {
    const b = baselineOf(0.05, 0.07, 500);
    const v = judge(b, 0.3, TS, REQUESTS, P, domainOf('requests_per_s'), { kind: 'count', n: 3, seconds: 10 });
    expect(v.status).toBe('normal');
  });
});

describe('bands stay inside the metric domain', () => {
  const policies: [string, MetricPolicy][] = [
    ['error_ratio', ERROR_RATIO],
    ['cpu_throttled_ratio', { direction: 'up', absFloor: 0.05, relFloor: 0 }],
    ['requests_per_s', REQUESTS],
    ['latency_p99_ms', LATENCY],
    ['bytes_in_per_s', { direction: 'both', absFloor: 1024, relFloor: 0.05 }],
  ];

  test.each(policies)('property: %s', (metric, policy) => {
    const domain = domainOf(metric);
    fc.assert(
      fc.property(fc.double({ min: -2, max: 3, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true }), (level, sigma) => {
        const b = baselineOf(policy.scale === 'log' ? toScale(policy, Math.max(0, level)) - sigma : level, sigma);
        const { band } = bandOf(b, TS, policy, P, domain);
        for (const y of [band.lower, band.value, band.upper]) {
          const x = fromScale(policy, y);
          expect(x).toBeGreaterThanOrEqual(domain.min - 1e-12);
          expect(x).toBeLessThanOrEqual(domain.max + 1e-12);
        }
      }),
    );
  });

  it('a negative expectation of a rate is 0: a window of 0 is not a spike', () => {
    const b = baselineOf(-0.5, 0.05, 500);
    const v = judge(b, 0, TS, REQUESTS, P, domainOf('requests_per_s'));
    expect(v.status).not.toBe('anomalous');
  });
});
