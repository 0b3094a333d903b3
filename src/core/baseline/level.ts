/**
 * The level: an exponentially weighted mean (half-life `halfLifeWindows`) of the deseasonalised
 * value with the residuals' EW variance (the fast time scale), and the same level with a long
 * half-life (`slowHalfLifeWindows`, the slow time scale) against which a runaway climb is judged.
 * Robust to the anomaly: an anomalous window teaches the level and spread nothing; a deviation
 * that persists for `levelShiftWindows` re-seats the level to the mean of that run (a level
 * shift). Owns LevelSlice; also steps the hour accumulator, the tail and the surprise statistics,
 * which learn from the same windows.
 */
import { learnSurprise } from '../detect/surprise.js';
import { nextTail, nextTailBody } from '../detect/tail.js';
import { accumulate } from './hour.js';
import { noiseAt } from './noise.js';
import { type Baseline, type BaselineParams, type Deviation, alphaOf } from './record.js';

/** `d0` is the value with the seasonal offset in force removed; `x` the raw value. */
export function learnLevel(
  b: Baseline,
  d0: number,
  x: number,
  windowStart: number,
  deviation: Exclude<Deviation, 'insufficient'>,
  z: number,
  p: BaselineParams,
  surprise: number,
  extra: Partial<Baseline>,
): Baseline {
  if (b.n === 0) {
    return { ...b, ...accumulate(b, x, windowStart, 0), ...extra, n: 1, lastWindowStart: windowStart, level: x, slow: x, variance: 0 };
  }

  if (deviation === 'recurring') {
    // Expected at this hour, yet far from the level: it neither moves the level and spread nor
    // counts as an anomaly under way.
    const season = accumulate(b, x, windowStart, d0 - b.level);
    return { ...b, ...season, ...extra, n: b.n + 1, lastWindowStart: windowStart, run: 0, runSum: 0, runStart: -1 };
  }
  const sameRun = deviation !== 0 && Math.sign(b.run) === deviation;
  const run = deviation === 0 ? 0 : sameRun ? b.run + deviation : deviation;
  const runSum = deviation === 0 ? 0 : sameRun ? b.runSum + d0 : d0;
  const runStart = deviation === 0 ? -1 : sameRun ? b.runStart : windowStart;
  const season = accumulate(b, x, windowStart, deviation === 0 ? 0 : d0 - b.level);

  if (deviation !== 0) {
    if (Math.abs(run) >= p.levelShiftWindows) {
      // A level shift: the run's mean is the new level. The slow level is left to follow
      // (the seasonal reference must not jump), and `shiftAt` tells the leak check why the
      // fast level now stands above it.
      const level = runSum / Math.abs(run);
      return {
        ...b,
        ...season,
        ...extra,
        dayStep: (season.dayStep ?? b.dayStep ?? 0) + (level - b.level),
        n: b.n + 1,
        lastWindowStart: windowStart,
        level,
        run: 0,
        runSum: 0,
        runStart: -1,
        surprise: 0,
        shiftAt: windowStart,
        leakRef: (b.leakRef ?? b.slow) + (level - b.level),
      };
    }
    // Robust to the anomaly: an anomalous window teaches the level and spread nothing. The
    // first window of a run does count in how surprising this series usually is, so recurring
    // spikes become usual, while a long incident counts once.
    const surpriseStats = Math.abs(run) === 1 ? learnSurprise(b, surprise, p) : { surprise };
    return { ...b, ...season, ...extra, ...surpriseStats, n: b.n + 1, lastWindowStart: windowStart, run, runSum, runStart };
  }

  const a = alphaOf(p.halfLifeWindows);
  // Warm start: average equally until the half-life's worth of windows has been seen.
  const w = Math.max(a, 1 / (b.n + 1));
  const r = d0 - b.level;
  const level = b.level + w * r;
  // The spread is kept relative to the noise profile: r² / noiseAt is the hour's noise in the
  // day's average terms.
  const variance = (1 - w) * (b.variance + (w * r * r) / noiseAt(b, windowStart));
  const ws = Math.max(alphaOf(p.slowHalfLifeWindows), 1 / (b.n + 1));
  const slow = b.slow + ws * (d0 - b.slow);
  const leakRef = (b.leakRef ?? b.slow) + ws * (d0 - (b.leakRef ?? b.slow));
  if (z === 0) {
    // Not judged (warm-up): the judged-window statistics (tail, surprise) start afterwards.
    return { ...b, ...season, ...extra, n: b.n + 1, lastWindowStart: windowStart, level, variance, slow, leakRef, run, runSum, runStart };
  }
  // Tail quantile of |z| over judged normal windows (Robbins–Monro; equilibrium P(|z| > tail) = 1 − q).
  const tail = nextTail(b, z, p);
  const tailBody = nextTailBody(b, z, p);
  return {
    ...b,
    ...season,
    ...extra,
    n: b.n + 1,
    lastWindowStart: windowStart,
    level,
    variance,
    slow,
    leakRef,
    tail,
    tailBody,
    run,
    runSum,
    runStart,
    ...learnSurprise(b, surprise, p),
  };
}
