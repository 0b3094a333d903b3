/**
 * Deviation detector: is this window's value outside the band its baseline expects?
 *
 * Claim: a value x is anomalous when its direction is one the metric's policy cares about
 * and |x − expected| ≥ bar · σ_eff, where expected = level + the seasonal offset of the hour
 * (once established), σ_eff = max(σ, relFloor·|expected|, absFloor), and
 * bar = max(threshold, threshold · tail / 3.29): a series whose normal windows show heavy
 * tails (the learned upper quantile of |z| above a Gaussian's) raises its own bar.
 * The floors keep near-constant series from alerting on tiny wiggles (a flat series has
 * σ = 0) and on the metric's resolution. Not judged (a value, counted): fewer than
 * `warmupWindows` windows learned (`insufficient-data`).
 *
 * score ∈ [0, 1): |z| / (|z| + bar) — 0.5 at the bar, → 1 as the deviation grows.
 */
import {
  type Baseline,
  type BaselineParams,
  GAUSSIAN_TAIL,
  expectedAt,
  nextSurprise,
  sigmaOf,
  surpriseScore,
} from '../baseline/baseline.js';
import { type DetectionParams, type MetricPolicy } from '../params.js';

export interface Band {
  value: number;
  lower: number;
  upper: number;
}

export type Verdict =
  | { status: 'insufficient-data'; surprise: number }
  | { status: 'normal' | 'flat'; z: number; band: Band; surprise: number }
  | { status: 'anomalous'; direction: 'up' | 'down'; z: number; score: number; band: Band; surprise: number };

export type VerdictStatus = Verdict['status'] | 'stale';

export const scoreOf = (z: number, threshold: number): number => Math.abs(z) / (Math.abs(z) + threshold);

export type JudgeParams = Pick<DetectionParams, 'threshold' | 'warmupWindows' | 'surpriseThreshold'> & BaselineParams;

/** The bar |z| must reach: the threshold, raised for series with heavy-tailed normal windows. */
export const barOf = (b: Baseline, threshold: number): number => Math.max(threshold, (threshold * b.tail) / GAUSSIAN_TAIL);

export function bandOf(b: Baseline, ts: number, policy: MetricPolicy, p: JudgeParams): { band: Band; sigmaEff: number; bar: number } {
  const value = expectedAt(b, ts, p);
  const sigmaEff = Math.max(sigmaOf(b), policy.relFloor * Math.abs(value), policy.absFloor, Number.EPSILON);
  const bar = barOf(b, p.threshold);
  const half = bar * sigmaEff;
  return { band: { value, lower: value - half, upper: value + half }, sigmaEff, bar };
}

export function judge(b: Baseline, x: number, ts: number, policy: MetricPolicy, p: JudgeParams): Verdict {
  const { band, sigmaEff, bar } = bandOf(b, ts, policy, p);
  const z = b.n === 0 ? 0 : (x - band.value) / sigmaEff;
  const direction = z > 0 ? 'up' : 'down';
  const counts = policy.direction === 'both' || policy.direction === direction;
  const surprise = nextSurprise(b, counts ? Math.abs(z) : 0);
  if (b.n < p.warmupWindows) return { status: 'insufficient-data', surprise };
  // Anomalous: past the bar, and unusually surprising for this series.
  // An anomaly already under way (same direction) stays anomalous while past the bar: the
  // gate decides how an episode starts, not how long it lasts.
  const continuing = b.run !== 0 && Math.sign(b.run) === Math.sign(z);
  if (counts && Math.abs(z) >= bar && (p.surpriseThreshold === 0 || continuing || surpriseScore(b, surprise) >= p.surpriseThreshold)) {
    return { status: 'anomalous', direction, z, score: scoreOf(z, bar), band, surprise };
  }
  return { status: sigmaOf(b) === 0 && x === band.value ? 'flat' : 'normal', z, band, surprise };
}
