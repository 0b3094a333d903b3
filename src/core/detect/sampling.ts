/**
 * Sampling-aware evidence: how far a window's value stands out given the data it stands on.
 * A ratio of 1 error in 4 requests, a p99 over 3 requests, 8 requests where 2 were expected:
 * each is a count, and what a count can show depends on how many trials it had.
 *
 * Claim: for a metric whose window carries a sample size (window/metrics.ts SampleSize), the
 * window is also tested as the count it is, against what sampling alone gives at the band's
 * expectation:
 *  - a proportion (errors of requests, throttled periods of periods): k of n trials against the
 *    series' pooled proportion p̂ = (K + ½) / (N + 1), K and N the errors and trials of its
 *    recent normal windows (EW sums, the level's half-life; the ½ and 1 are Jeffreys' prior, so
 *    a series that has shown no error yet still has a proportion). The uncertainty of p̂ widens
 *    the window's spread as a beta-binomial does: by 1 + (n − 1) / (N + 2);
 *  - a quantile q of n observations (latency): how many of them lie above the expected value,
 *    against Binomial(n, 1 − q) — the order statistics of the window (a p99 of 3 requests is
 *    their maximum; only when all 3 lie above the expected p99 does it say much);
 *  - a count of events in a window (requests): Poisson with mean μ = expected rate × seconds,
 *    with the series' own dispersion: variance μ·(1 + φ) with 1 + φ = σ²/μ, σ the band's spread
 *    in counts (learned: over-dispersed traffic has φ > 0, a fixed-rate client φ < 0). What the
 *    count adds to the band is the skew of small counts: 3 requests where 0.5 were expected
 *    is 2σ, not 3.5σ.
 * Each test's statistic is the signed root of its likelihood-ratio (deviance) statistic, with
 * half a count of continuity correction toward the mean, divided by the root of the dispersion:
 * a z-equivalent that keeps the skew of small counts (one event where 0.01 were expected is not
 * 10σ) and meets the Gaussian z for large ones. O(1) (a quantile: O(sketch buckets)).
 *
 * The window is anomalous only when both tests reject (an intersection–union test): its z is
 * the smaller of the band's and the count's on the band's side. The same holds over the drift
 * test's time scale: the counts of the last windows, pooled (EW, the drift average's half-life),
 * must stand as far out as the drift test asks of its average — a sparse count's windows are
 * mostly 0 and now and then 1, and their z's, averaged, make no Gaussian drift. A window whose most extreme
 * possible count, in every direction the policy counts, could not reach the bar has too little
 * data to decide: `insufficient-sample`, counted, never an alert, learned only into the pooled
 * counts. n = 0 is always such a window.
 * Owns SampleSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams, alphaOf } from '../baseline/record.js';
import { type MetricPolicy } from '../params.js';
import { type SampleSize } from '../window/metrics.js';
import { sketchCountAbove } from '../window/sketch.js';
import { DRIFT_HALF_LIFE } from './drift.js';
import { fromScale, scaleOf } from './scale.js';

/** x · ln(r), 0 at x = 0. */
const xlog = (x: number, r: number): number => (x === 0 ? 0 : x * Math.log(r));

/** Half a count toward the mean (never past it). */
const corrected = (k: number, mean: number): number => (k > mean ? Math.max(mean, k - 0.5) : Math.min(mean, k + 0.5));

/**
 * k successes of n trials against probability p ∈ (0, 1): the signed root of the binomial
 * deviance (continuity-corrected). 0 for n ≤ 0.
 */
export function binomialZ(k: number, n: number, p: number): number {
  if (!(n > 0)) return 0;
  const mean = n * p;
  const kc = corrected(Math.min(n, Math.max(0, k)), mean);
  const d = 2 * (xlog(kc, kc / mean) + xlog(n - kc, (n - kc) / (n - mean)));
  return Math.sign(kc - mean) * Math.sqrt(Math.max(0, d));
}

/** A count c against a Poisson mean μ > 0: the signed root of the Poisson deviance (continuity-corrected). */
export function poissonZ(c: number, mu: number): number {
  const cc = corrected(Math.max(0, c), mu);
  const d = 2 * (xlog(cc, cc / mu) - (cc - mu));
  return Math.sign(cc - mu) * Math.sqrt(Math.max(0, d));
}

/** Windows an EW average of half-life h effectively holds: (2 − α) / α. */
const effectiveWindows = (h: number): number => {
  const a = alphaOf(h);
  return (2 - a) / a;
};

/** The series' pooled proportion: Jeffreys' estimate from its recent errors and trials. */
export const pooledProportion = (b: Baseline): number => ((b.sampleK ?? 0) + 0.5) / ((b.sampleN ?? 0) + 1);

/** What one window adds to the pooled counts: its count `k` against `n` (trials; for a count of events, the expected count). */
export interface WindowCounts {
  k: number;
  n: number;
  /** A proportion's trials, which also teach the series' pooled proportion. */
  proportion: boolean;
}

/**
 * What the count test found: its z-equivalent, the largest |z| any count of this window could
 * reach up and down, the z-equivalent of the counts pooled over the drift's time scale with this
 * window's, and what the window adds to them.
 */
export interface SampleEvidence {
  z: number;
  up: number;
  down: number;
  pooled: number;
  counts: WindowCounts;
}

const POOL_ALPHA = alphaOf(DRIFT_HALF_LIFE);
/**
 * EW sums vary less than plain sums: an EW sum of iid counts of variance v has variance
 * v / (α (2 − α)) against its mean's 1 / α, so (2 − α) × the sums behave as plain counts.
 */
const POOL_EFFECTIVE = 2 - POOL_ALPHA;
const pooledWith = (prev: number | undefined, x: number): number => POOL_EFFECTIVE * ((prev ?? 0) * (1 - POOL_ALPHA) + x);

/**
 * The count test of one window (see the header), with the band's expectation `expected` and
 * spread `sigmaEff` on the metric's scale; undefined when the sample does not apply (a count
 * on the log scale, where the band is not in events).
 */
export function sampleEvidence(
  b: Baseline,
  s: SampleSize,
  expected: number,
  sigmaEff: number,
  policy: MetricPolicy,
  p: Pick<BaselineParams, 'halfLifeWindows'>,
): SampleEvidence | undefined {
  switch (s.kind) {
    case 'proportion': {
      const pHat = pooledProportion(b);
      // The uncertainty of p̂ widens a count of n trials as a beta-binomial's.
      const widen = (n: number): number => Math.sqrt(1 + Math.max(0, n - 1) / ((b.sampleN ?? 0) + 2));
      const root = widen(s.n);
      const pk = pooledWith(b.poolK, s.k);
      const pn = pooledWith(b.poolN, s.n);
      return {
        z: binomialZ(s.k, s.n, pHat) / root,
        up: binomialZ(s.n, s.n, pHat) / root,
        down: -binomialZ(0, s.n, pHat) / root,
        pooled: binomialZ(pk, pn, pHat) / widen(pn),
        counts: { k: s.k, n: s.n, proportion: true },
      };
    }
    case 'quantile': {
      const n = s.sketch.n;
      const tail = 1 - s.q;
      const above = sketchCountAbove(s.sketch, fromScale(policy, expected));
      return {
        z: binomialZ(above, n, tail),
        up: binomialZ(n, n, tail),
        down: -binomialZ(0, n, tail),
        pooled: binomialZ(pooledWith(b.poolK, above), pooledWith(b.poolN, n), tail),
        counts: { k: above, n, proportion: false },
      };
    }
    case 'count': {
      if (scaleOf(policy) !== 'linear') return undefined;
      // Jeffreys: half an event over the level's memory, so a series that has seen none has a mean.
      const mu = Math.max(expected * s.seconds, 0.5 / effectiveWindows(p.halfLifeWindows));
      const spread = sigmaEff * s.seconds;
      const root = Math.sqrt((spread * spread) / mu);
      if (!(root > 0)) return undefined;
      return {
        z: poissonZ(s.n, mu) / root,
        up: Infinity,
        down: -poissonZ(0, mu) / root,
        pooled: poissonZ(pooledWith(b.poolK, s.n), pooledWith(b.poolN, mu)) / root,
        counts: { k: s.n, n: mu, proportion: false },
      };
    }
  }
}

/**
 * The window's z when both the band and the count test must reject: the band's z, reduced to
 * the count's on the same side (0 when the count points the other way).
 */
export const jointZ = (zBand: number, zCount: number): number =>
  zBand >= 0 ? Math.min(zBand, Math.max(0, zCount)) : Math.max(zBand, Math.min(0, zCount));

/**
 * Learns a window's counts: every window with a sample joins the pooled counts (as every judged
 * window moves the drift average); a proportion's normal, recurring, warm-up and insufficient
 * windows also teach its pooled proportion (an anomalous one teaches nothing, as it teaches the
 * level nothing).
 */
export function learnSample(
  out: Partial<Baseline>,
  b: Baseline,
  c: WindowCounts,
  anomalous: boolean,
  p: Pick<BaselineParams, 'halfLifeWindows'>,
): void {
  out.poolK = (b.poolK ?? 0) * (1 - POOL_ALPHA) + c.k;
  out.poolN = (b.poolN ?? 0) * (1 - POOL_ALPHA) + c.n;
  if (!c.proportion || anomalous) return;
  const keep = 1 - alphaOf(p.halfLifeWindows);
  out.sampleK = (b.sampleK ?? 0) * keep + c.k;
  out.sampleN = (b.sampleN ?? 0) * keep + c.n;
}
