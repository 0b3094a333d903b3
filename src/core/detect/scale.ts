/**
 * The scale a metric is judged on. Most metrics are judged on their own values (`linear`).
 * Latency is judged on `log`: its noise is multiplicative (a slow request is slower by a factor,
 * not by a fixed number of ms), so on the linear scale its upper tail is heavy and a quiet
 * latency series crosses a 4σ bar several times as often as a Gaussian one, while a drop of
 * the same size is rarer. On the log scale the noise is near-Gaussian and the band is a ratio
 * band: asymmetric in ms, wider above the expectation than below.
 *
 * On `log` the baseline learns y = ln(x + absFloor): the metric's resolution keeps a 0 finite
 * and makes deviations of less than one resolution step small. The floors become floors of y:
 * relFloor r → ln(1 + r) (a ratio), absFloor a → ln(1 + a / (expected + a)) (one resolution
 * step above the expectation).
 */
import { type MetricPolicy } from '../params.js';

export type Scale = NonNullable<MetricPolicy['scale']>;

export const scaleOf = (policy: MetricPolicy): Scale => policy.scale ?? 'linear';

/** A value in the metric's unit → the scale its baseline learns. */
export const toScale = (policy: MetricPolicy, x: number): number =>
  scaleOf(policy) === 'log' ? Math.log(Math.max(x, 0) + policy.absFloor) : x;

/** A value on the baseline's scale → the metric's unit. */
export const fromScale = (policy: MetricPolicy, y: number): number => (scaleOf(policy) === 'log' ? Math.exp(y) - policy.absFloor : y);

/** The floor of σ on the baseline's scale around `expected` (on that scale). */
export function floorOf(policy: MetricPolicy, expected: number): number {
  if (scaleOf(policy) === 'linear') return Math.max(policy.relFloor * Math.abs(expected), policy.absFloor);
  // exp(expected) = expected value in the unit + absFloor.
  return Math.max(Math.log1p(policy.relFloor), Math.log1p(policy.absFloor / Math.exp(expected)));
}

/** The values a metric can take, in its unit: [0, 1] for a ratio, [0, ∞) for a rate or size. */
export interface Domain {
  min: number;
  max: number;
}

export const ANY_DOMAIN: Domain = Object.freeze({ min: -Infinity, max: Infinity });

/** `y` (on the baseline's scale) inside `domain` (in the metric's unit). */
export function clampToDomain(policy: MetricPolicy, domain: Domain, y: number): number {
  if (domain === ANY_DOMAIN) return y;
  return Math.min(toScale(policy, domain.max), Math.max(toScale(policy, domain.min), y));
}
