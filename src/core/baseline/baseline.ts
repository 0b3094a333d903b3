/**
 * Baseline of one (service, metric): what the detector judges the next window against.
 * O(1) state and work per window; a plain JSON value (versioned by `v`) so it lives in Redis.
 *
 * Model: exponentially weighted level and variance with a half-life in windows. Robust to
 * the anomaly itself: an anomalous window is not learned at all, so an incident neither
 * drags the level nor widens the spread of the baseline it is judged against.
 * Level shifts: when the same deviation persists for `levelShiftWindows`, the level is
 * re-seated to the mean of that run (a deploy that changes the level alerts once, then
 * becomes the new normal). Idempotent: a window at or before `lastWindowStart` is ignored.
 */
import { type DetectionParams } from '../params.js';

export interface Baseline {
  v: 1;
  /** Windows learned. */
  n: number;
  lastWindowStart: number;
  level: number;
  variance: number;
  /** Signed run of consecutive anomalous windows: +k above the band, −k below. */
  run: number;
  /** Sum of the values in the current run (for level-shift re-seating). */
  runSum: number;
  /** Window start of the current run's first window (the episode start). */
  runStart: number;
}

export const emptyBaseline = (): Baseline => ({ v: 1, n: 0, lastWindowStart: -1, level: 0, variance: 0, run: 0, runSum: 0, runStart: -1 });

export const alphaOf = (halfLifeWindows: number): number => 1 - Math.pow(2, -1 / Math.max(1, halfLifeWindows));

export const sigmaOf = (b: Baseline): number => Math.sqrt(Math.max(0, b.variance));

/**
 * Learns one window's value. `deviation` is the detector's verdict for this value:
 * 0 when inside the band, ±1 when above/below it (band edges `lower`/`upper`).
 */
export function learn(
  b: Baseline,
  x: number,
  windowStart: number,
  deviation: -1 | 0 | 1,
  band: { lower: number; upper: number },
  p: Pick<DetectionParams, 'halfLifeWindows' | 'levelShiftWindows'>,
): Baseline {
  if (windowStart <= b.lastWindowStart) return b;
  if (b.n === 0) return { ...b, n: 1, lastWindowStart: windowStart, level: x, variance: 0, run: 0, runSum: 0, runStart: -1 };

  const sameRun = deviation !== 0 && Math.sign(b.run) === deviation;
  const run = deviation === 0 ? 0 : sameRun ? b.run + deviation : deviation;
  const runSum = deviation === 0 ? 0 : sameRun ? b.runSum + x : x;
  const runStart = deviation === 0 ? -1 : sameRun ? b.runStart : windowStart;

  if (deviation !== 0 && Math.abs(run) >= p.levelShiftWindows) {
    const level = runSum / Math.abs(run);
    return { ...b, n: b.n + 1, lastWindowStart: windowStart, level, run: 0, runSum: 0, runStart: -1 };
  }

  // Robust to the anomaly: an anomalous window teaches nothing (neither level nor spread);
  // if the deviation persists it becomes the new level through the re-seat above.
  if (deviation !== 0) return { ...b, n: b.n + 1, lastWindowStart: windowStart, run, runSum, runStart };
  const learned = Math.min(band.upper, Math.max(band.lower, x));
  const a = alphaOf(p.halfLifeWindows);
  // Warm start: average equally until the half-life's worth of windows has been seen.
  const w = Math.max(a, 1 / (b.n + 1));
  const d = learned - b.level;
  const level = b.level + w * d;
  const variance = (1 - w) * (b.variance + w * d * d);
  return { v: 1, n: b.n + 1, lastWindowStart: windowStart, level, variance, run, runSum, runStart };
}
