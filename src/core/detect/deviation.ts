/**
 * Deviation detector: is this window's value outside the band its baseline expects?
 *
 * Claim: on the metric's scale (its values, or ln(x + absFloor) for latency: see scale.ts),
 * with expected = level + the seasonal offset of the hour (once established),
 * σ_eff = max(σ, relFloor·|expected|, absFloor) (on the log scale: max(σ, ln(1 + relFloor),
 * one resolution step)), z = (x − expected) / σ_eff and a direction the metric's policy cares
 * about, a window is anomalous when either
 *  - point: |z| ≥ bar, with bar = max(threshold, threshold · tail / 3.29) (a series whose normal
 *    windows show heavy tails raises its own bar), and the short average of |z| (the surprise)
 *    stands at least `surpriseThreshold` of its long-run standard deviations above its long-run
 *    mean (so a series that is always spiky needs a bigger or longer deviation), or an anomaly
 *    in the same direction is already under way; or
 *  - burst: this window and the two before it are each ≥ 1σ out on one side and their sum of
 *    z (each capped at 4) stands ≥ 1.15 × bar of its long-run standard deviations from 0
 *    (4.6 at the default bar of 4; never fewer than iid noise gives: √3), once
 *    slowHalfLifeWindows / 4 windows were judged: a short spike (three windows of ~2.7σ and up
 *    at the default) that no single window shows past the bar. The spread is learned from
 *    normal windows and the first three of any anomaly, so a series whose habit is to burst
 *    raises its own burst bar; a sum teaches it two windows late (a guard band: a burst never
 *    widens its own bar); it restarts from the prior when the daily profile switches on (the
 *    residuals change character) and is relearned as fast as a new series'; or
 *  - drift: |z| ≥ 1 on the side of the drift average (an EW average of the signed z, half-life
 *    8 windows), which stands at least 1.5 × `surpriseThreshold` of its long-run standard
 *    deviations from 0: a small shift (2–3σ) that lasts; in a heavy-tailed series it must also
 *    have stood past half that bar for up to 8 windows (detect/drift.ts driftHeldOf); or
 *  - sustained: |z| ≥ bar / 2 and the surprise stands at least 2 × `surpriseThreshold` above its
 *    mean: several windows in a row well outside the usual spread, none past the bar;
 * unless it is recurring: past the bar, yet no bigger than 1.5 × what the same hour of day
 * (± 1 h) brought on each of the last two days (a nightly job), which is expected and not
 * learned. `surpriseThreshold` 0 turns the gate and both multi-window tests off.
 * The floors keep near-constant series from alerting on tiny wiggles (a flat series has σ = 0)
 * and on the metric's resolution. Not judged (a value, counted): fewer than `warmupWindows`
 * windows learned (`insufficient-data`); a window whose sample (its requests, periods or
 * latency observations) is too small to reach the bar whatever its value (`insufficient-sample`,
 * detect/sampling.ts).
 *
 * Domain: the band, and the expectation z is measured from, stay inside the metric's domain
 * (a ratio in [0, 1], a rate, size or latency ≥ 0): a seasonal offset cannot make the expected
 * value of a rate negative and so make a value of 0 a spike. A window with a sample size is
 * also judged as the count it is (detect/sampling.ts): its z is the smaller of the band's and
 * the count's, so a handful of requests cannot page on one error.
 *
 * σ is the learned noise at this hour (baseline/noise.ts sigmaAt: the noise profile scales it once the
 * daily profile is on), so a quiet trough is judged by its own small noise.
 *
 * score ∈ [0, 1]: s / (s + bar of the test that fired): 0.5 at its bar, → 1 as the deviation
 * grows, with s = |z| (point), the burst's standing (burst; the larger of the two when a
 * window past the bar also ends a burst), the drift's (drift) or the surprise's (sustained).
 */
import { type Baseline, type BaselineParams, type Deviation, sigmaOf } from '../baseline/record.js';
import { sigmaAt } from '../baseline/noise.js';
import { RECUR_MARGIN, recurringPeak } from '../baseline/peaks.js';
import { expectedAt } from '../baseline/season.js';
import { type DetectionParams, type MetricPolicy } from '../params.js';
import { burstTest } from './burst.js';
import { driftTest } from './drift.js';
import { pointTest } from './point.js';
import { type SampleSize } from '../window/metrics.js';
import { type WindowCounts, jointZ, sampleEvidence } from './sampling.js';
import { ANY_DOMAIN, type Domain, clampToDomain, floorOf } from './scale.js';
import { scoreOf } from './score.js';
import { nextSurprise } from './surprise.js';
import { sustainedTest } from './sustained.js';
import { barOf } from './tail.js';

export { barOf, scoreOf };

export interface Band {
  value: number;
  lower: number;
  upper: number;
}

/** A verdict on a window with a sample size carries its counts (detect/sampling.ts), which learn() pools. */
export type Verdict = (
  | { status: 'insufficient-data' | 'insufficient-sample'; surprise: number }
  | { status: 'normal' | 'flat'; z: number; band: Band; surprise: number; recurring?: true }
  | { status: 'anomalous'; direction: 'up' | 'down'; z: number; score: number; band: Band; surprise: number; test: AnomalyTest }
) & { counts?: WindowCounts };

/** Which test found the window anomalous. */
export type AnomalyTest = 'point' | 'burst' | 'drift' | 'sustained';

export type VerdictStatus = Verdict['status'] | 'stale';

export type JudgeParams = Pick<DetectionParams, 'threshold' | 'warmupWindows' | 'surpriseThreshold'> & BaselineParams;

/**
 * The band around the expectation and the σ it is drawn with. A series that has never varied,
 * of a metric without floors, has no spread: its band is the expectation alone, and any other
 * value is out of it by no finite number of σ: z is computed with σ = Number.EPSILON (a stand-in,
 * capped where the multi-window tests use it), and the alert reports the band's lack of width as
 * a z of null.
 */
export function bandOf(
  b: Baseline,
  ts: number,
  policy: MetricPolicy,
  p: JudgeParams,
  domain: Domain = ANY_DOMAIN,
): { band: Band; sigmaEff: number; bar: number } {
  const value = clampToDomain(policy, domain, expectedAt(b, ts, p));
  const spread = Math.max(sigmaAt(b, ts), floorOf(policy, value));
  const sigmaEff = Math.max(spread, Number.EPSILON);
  const bar = barOf(b, p.threshold);
  const half = spread > 0 ? bar * sigmaEff : 0;
  const band =
    domain === ANY_DOMAIN
      ? { value, lower: value - half, upper: value + half }
      : { value, lower: clampToDomain(policy, domain, value - half), upper: clampToDomain(policy, domain, value + half) };
  return { band, sigmaEff, bar };
}

/** Whether a band has width: one without it (a flat series, no floors) has no finite z. */
export const hasWidth = (band: Band): boolean => band.upper > band.lower;

/** What learn() is told about a verdict. */
export const deviationOf = (v: Verdict): Deviation =>
  v.status === 'anomalous'
    ? v.direction === 'up'
      ? 1
      : -1
    : v.status === 'normal' && v.recurring
      ? 'recurring'
      : v.status === 'insufficient-sample'
        ? 'insufficient'
        : 0;

/**
 * Judges one window's value `x` (on the metric's scale) of a metric whose values live in
 * `domain` (its unit), with the window's `sample` size when it has one.
 */
export function judge(
  b: Baseline,
  x: number,
  ts: number,
  policy: MetricPolicy,
  p: JudgeParams,
  domain: Domain = ANY_DOMAIN,
  sample?: SampleSize,
): Verdict {
  const { band, sigmaEff, bar } = bandOf(b, ts, policy, p, domain);
  let z = b.n === 0 ? 0 : (x - band.value) / sigmaEff;
  const evidence = sample && b.n > 0 ? sampleEvidence(b, sample, band.value, sigmaEff, policy, p) : undefined;
  if (evidence) z = jointZ(z, evidence.z);
  const direction = z > 0 ? 'up' : 'down';
  const counts = policy.direction === 'both' || policy.direction === direction;
  const surprise = nextSurprise(b, counts ? Math.abs(z) : 0);
  if (!evidence) return decide(b, x, ts, policy, p, band, bar, z, surprise);
  const v: Verdict =
    b.n < p.warmupWindows
      ? { status: 'insufficient-data', surprise }
      : // The most any count of this window could show, in the directions that count.
        Math.max(policy.direction === 'down' ? 0 : evidence.up, policy.direction === 'up' ? 0 : evidence.down) < bar
        ? { status: 'insufficient-sample', surprise: b.surprise }
        : decide(b, x, ts, policy, p, band, bar, z, surprise, evidence.pooled);
  v.counts = evidence.counts;
  return v;
}

/** The verdict on a window past warm-up whose z (joint with its count's, when it has one) is `z`. */
function decide(
  b: Baseline,
  x: number,
  ts: number,
  policy: MetricPolicy,
  p: JudgeParams,
  band: Band,
  bar: number,
  z: number,
  surprise: number,
  pooled?: number,
): Verdict {
  const direction = z > 0 ? 'up' : 'down';
  const counts = policy.direction === 'both' || policy.direction === direction;
  if (b.n < p.warmupWindows) return { status: 'insufficient-data', surprise };
  // Anomalous: past the bar, and unusually surprising for this series.
  // An anomaly already under way (same direction) stays anomalous while past the bar: the
  // gate decides how an episode starts, not how long it lasts.
  const continuing = b.run !== 0 && Math.sign(b.run) === Math.sign(z);
  if (counts && Math.abs(z) >= bar && !continuing && Math.abs(x - band.value) <= RECUR_MARGIN * recurringPeak(b, ts, x - band.value)) {
    // As big as what this hour brought on the previous days (a nightly job): expected.
    return { status: 'normal', z, band, surprise: b.surprise, recurring: true };
  }
  // Burst: three windows in a row on one side whose sum stands far out of what three windows
  // of this series usually sum to: a short spike that no single window shows past the bar.
  const burst = counts ? burstTest(b, z, bar, p) : undefined;
  if (counts && pointTest(b, z, bar, surprise, continuing, p)) {
    return {
      status: 'anomalous',
      direction,
      z,
      score: Math.max(scoreOf(z, bar), burst ?? 0),
      band,
      surprise,
      test: burst !== undefined ? 'burst' : 'point',
    };
  }
  if (burst !== undefined) return { status: 'anomalous', direction, z, score: burst, band, surprise, test: 'burst' };
  const drift = counts ? driftTest(b, z, p, pooled) : undefined;
  if (drift !== undefined) return { status: 'anomalous', direction, z, score: drift, band, surprise, test: 'drift' };
  const sustained = counts ? sustainedTest(b, z, bar, surprise, p) : undefined;
  if (sustained !== undefined) return { status: 'anomalous', direction, z, score: sustained, band, surprise, test: 'sustained' };
  return { status: sigmaOf(b) === 0 && x === band.value ? 'flat' : 'normal', z, band, surprise };
}
