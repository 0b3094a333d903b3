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
import { cloneBaseline } from './clone.js';

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
    const out = merged(b, accumulate(b, x, windowStart, 0), extra);
    out.n = 1;
    out.lastWindowStart = windowStart;
    out.level = x;
    out.slow = x;
    out.variance = 0;
    return out;
  }

  if (deviation === 'recurring') {
    // Expected at this hour, yet far from the level: it neither moves the level and spread nor
    // counts as an anomaly under way.
    const out = merged(b, accumulate(b, x, windowStart, d0 - b.level), extra);
    out.n = b.n + 1;
    out.lastWindowStart = windowStart;
    out.run = 0;
    out.runSum = 0;
    out.runStart = -1;
    return out;
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
      const out = merged(b, season, extra);
      out.dayStep = (season.dayStep ?? b.dayStep ?? 0) + (level - b.level);
      out.n = b.n + 1;
      out.lastWindowStart = windowStart;
      out.level = level;
      out.run = 0;
      out.runSum = 0;
      out.runStart = -1;
      out.surprise = 0;
      out.shiftAt = windowStart;
      out.leakRef = (b.leakRef ?? b.slow) + (level - b.level);
      return out;
    }
    // Robust to the anomaly: an anomalous window teaches the level and spread nothing. The
    // first window of a run does count in how surprising this series usually is, so recurring
    // spikes become usual, while a long incident counts once.
    const out = merged(b, season, extra);
    if (Math.abs(run) === 1) setSurprise(out, b, surprise, p);
    else out.surprise = surprise;
    out.n = b.n + 1;
    out.lastWindowStart = windowStart;
    out.run = run;
    out.runSum = runSum;
    out.runStart = runStart;
    return out;
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
    const out = merged(b, season, extra);
    setLevel(out, b.n + 1, windowStart, level, variance, slow, leakRef, run, runSum, runStart);
    return out;
  }
  // Tail quantile of |z| over judged normal windows (Robbins–Monro; equilibrium P(|z| > tail) = 1 − q).
  const out = merged(b, season, extra);
  setLevel(out, b.n + 1, windowStart, level, variance, slow, leakRef, run, runSum, runStart);
  out.tail = nextTail(b, z, p);
  out.tailBody = nextTailBody(b, z, p);
  setSurprise(out, b, surprise, p);
  return out;
}

/**
 * The next record: `b` with the parts' fields laid over it in order (as `{ ...b, ...season,
 * ...extra }` would), built as one copy of a fixed shape (cloneBaseline) and plain stores.
 */
function merged(b: Baseline, season: Partial<Baseline>, extra: Partial<Baseline>): Baseline {
  const out = cloneBaseline(b);
  const o = out as unknown as Record<string, unknown>;
  for (const k in season) o[k] = (season as Record<string, unknown>)[k];
  for (const k in extra) o[k] = (extra as Record<string, unknown>)[k];
  return out;
}

function setLevel(
  out: Baseline,
  n: number,
  windowStart: number,
  level: number,
  variance: number,
  slow: number,
  leakRef: number,
  run: number,
  runSum: number,
  runStart: number,
): void {
  out.n = n;
  out.lastWindowStart = windowStart;
  out.level = level;
  out.variance = variance;
  out.slow = slow;
  out.leakRef = leakRef;
  out.run = run;
  out.runSum = runSum;
  out.runStart = runStart;
}

function setSurprise(out: Baseline, b: Baseline, surprise: number, p: BaselineParams): void {
  const s = learnSurprise(b, surprise, p);
  out.surprise = s.surprise;
  out.surpriseMean = s.surpriseMean;
  out.surpriseVar = s.surpriseVar;
  if (s.judged !== undefined) out.judged = s.judged;
}
