/**
 * The tail: an estimate of the `tailQuantile` of |z| over judged normal windows (Robbins–Monro;
 * equilibrium P(|z| > tail) = 1 − q), so a heavy-tailed series raises its own bar instead of
 * paging on every big wiggle; and a second quantile a decade less extreme, whose distance from
 * the first tells how heavy the tail is (tailHeavinessOf). Owns TailSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams } from '../baseline/record.js';

/**
 * The tail reference: a standard normal's 0.999 |z| quantile. With the default tailQuantile
 * (0.99, whose Gaussian value 2.576 is where the estimate starts), the bar only rises for a
 * series whose 99th percentile of |z| is heavier than a Gaussian's 99.9th.
 */
export const GAUSSIAN_TAIL = 3.29;
export const TAIL_START = 2.576;
const TAIL_STEP = 0.05;

/** The tail after a judged normal window whose z is `z`. */
export const nextTail = (b: Baseline, z: number, p: Pick<BaselineParams, 'tailQuantile'>): number =>
  Math.max(TAIL_START / 2, b.tail + TAIL_STEP * ((Math.abs(z) > b.tail ? 1 : 0) - (1 - p.tailQuantile)));

/**
 * The tail's shape: a second quantile of |z| over the same windows, a decade less extreme
 * (1 − 10 × (1 − tailQuantile): the 0.99 quantile at the default 0.999), learned the same way.
 * How far apart the two stand tells how fast the tail thins (for a Pareto tail of index α,
 * their ratio is 10^(1/α)): a Gaussian's 0.999 and 0.99 quantiles stand 1.28 × apart, a
 * Student-t(3)'s 2.2 ×. A record without it reads as Gaussian-shaped at its tail.
 */
export const tailBodyOf = (b: Baseline): number => b.tailBody ?? (b.tail * TAIL_START) / GAUSSIAN_TAIL;

/** The second quantile after a judged normal window whose z is `z`. */
export function nextTailBody(b: Baseline, z: number, p: Pick<BaselineParams, 'tailQuantile'>): number {
  const q = Math.max(0.5, 1 - 10 * (1 - p.tailQuantile));
  const t = tailBodyOf(b);
  return Math.max(TAIL_START / 2, t + TAIL_STEP * ((Math.abs(z) > t ? 1 : 0) - (1 - q)));
}

/**
 * How much heavier than a Gaussian's the series' tail is, as a ratio of tail indices (≥ 1):
 * ln(tail / body) over a Gaussian's ln(3.29 / 2.576). About 3 for Student-t(3) noise, 1 for
 * Gaussian noise (and for any tail that thins faster). 1 while the tail has not risen past a
 * Gaussian's 0.999 quantile (the series is not heavy-tailed by the bar's measure; and the tail's
 * estimate, started there, falls far more slowly than the body's, so below it their ratio says
 * more about the two speeds than about the series). Invariant to affine transforms of the series
 * (both quantiles are of z).
 */
export const tailHeavinessOf = (b: Baseline): number =>
  b.tail <= GAUSSIAN_TAIL
    ? 1
    : Math.max(1, Math.log(b.tail / Math.max(tailBodyOf(b), Number.EPSILON)) / Math.log(GAUSSIAN_TAIL / TAIL_START));

/** The bar |z| must reach: the threshold, raised for series with heavy-tailed normal windows. */
export const barOf = (b: Baseline, threshold: number): number => Math.max(threshold, (threshold * b.tail) / GAUSSIAN_TAIL);
