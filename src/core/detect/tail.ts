/**
 * The tail: an estimate of the `tailQuantile` of |z| over judged normal windows (Robbins–Monro;
 * equilibrium P(|z| > tail) = 1 − q), so a heavy-tailed series raises its own bar instead of
 * paging on every big wiggle. Owns TailSlice (baseline/record.ts).
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

/** The bar |z| must reach: the threshold, raised for series with heavy-tailed normal windows. */
export const barOf = (b: Baseline, threshold: number): number => Math.max(threshold, (threshold * b.tail) / GAUSSIAN_TAIL);
