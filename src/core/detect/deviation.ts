/**
 * Deviation detector: is this window's value outside the band its baseline expects?
 *
 * Claim: a value x is anomalous when its direction is one the metric's policy cares about
 * and |x − level| ≥ threshold · σ_eff, where σ_eff = max(σ, relFloor·|level|, absFloor).
 * The floors keep near-constant series from alerting on tiny wiggles (a flat series has
 * σ = 0) and on the metric's resolution. Not judged (a value, counted): fewer than
 * `warmupWindows` windows learned (`insufficient-data`).
 *
 * score ∈ [0, 1): |z| / (|z| + threshold) — 0.5 at the threshold, → 1 as the deviation grows.
 */
import { type Baseline, sigmaOf } from '../baseline/baseline.js';
import { type DetectionParams, type MetricPolicy } from '../params.js';

export interface Band {
  value: number;
  lower: number;
  upper: number;
}

export type Verdict =
  | { status: 'insufficient-data' }
  | { status: 'normal' | 'flat'; z: number; band: Band }
  | { status: 'anomalous'; direction: 'up' | 'down'; z: number; score: number; band: Band };

export type VerdictStatus = Verdict['status'] | 'stale';

export const scoreOf = (z: number, threshold: number): number => Math.abs(z) / (Math.abs(z) + threshold);

export function bandOf(b: Baseline, policy: MetricPolicy, threshold: number): { band: Band; sigmaEff: number } {
  const sigmaEff = Math.max(sigmaOf(b), policy.relFloor * Math.abs(b.level), policy.absFloor, Number.EPSILON);
  const half = threshold * sigmaEff;
  return { band: { value: b.level, lower: b.level - half, upper: b.level + half }, sigmaEff };
}

export function judge(b: Baseline, x: number, policy: MetricPolicy, p: Pick<DetectionParams, 'threshold' | 'warmupWindows'>): Verdict {
  if (b.n < p.warmupWindows) return { status: 'insufficient-data' };
  const { band, sigmaEff } = bandOf(b, policy, p.threshold);
  const z = (x - b.level) / sigmaEff;
  const direction = z > 0 ? 'up' : 'down';
  const counts = policy.direction === 'both' || policy.direction === direction;
  if (counts && Math.abs(z) >= p.threshold) {
    return { status: 'anomalous', direction, z, score: scoreOf(z, p.threshold), band };
  }
  return { status: sigmaOf(b) === 0 && x === b.level ? 'flat' : 'normal', z, band };
}
