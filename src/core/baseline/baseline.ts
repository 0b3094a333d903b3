/**
 * Baseline of one (service, metric): what the detector judges the next window against.
 * O(1) state and work per window; a plain JSON value (versioned by `v`) so it lives in Redis.
 *
 * Model (additive): x = level + season[hour] + residual.
 *  - level: exponentially weighted mean (half-life `halfLifeWindows`) of the deseasonalised
 *    value, with the residuals' EW variance — the fast time scale;
 *  - slow: the same level with a long half-life (`slowHalfLifeWindows`) — the slow time scale,
 *    against which a runaway (leak-like) climb of the fast level is judged;
 *  - season: hour-of-day and hour-of-week offsets (EW means of value − level per bucket),
 *    used once a bucket has been seen on `seasonMinDays` days (weeks for hour-of-week) and
 *    the profile's amplitude stands out of the noise;
 *  - tail: an EW estimate of a high quantile of |z| of normal windows, so a heavy-tailed
 *    series raises its own bar instead of paging on every big wiggle.
 * Robust to the anomaly itself: an anomalous window is not learned at all. Level shifts: a
 * deviation that persists for `levelShiftWindows` re-seats the level (and the slow level)
 * to the mean of that run. Idempotent: a window at or before `lastWindowStart` is ignored.
 */
import { type DetectionParams } from '../params.js';

export interface Baseline {
  v: 1;
  /** Windows learned. */
  n: number;
  lastWindowStart: number;
  /** Deseasonalised fast level and the EW variance of residuals around level + season. */
  level: number;
  variance: number;
  /** Slow level (deseasonalised). */
  slow: number;
  /** Estimate of the `tailQuantile` of |z| over normal windows (starts at a Gaussian's 0.99 quantile). */
  tail: number;
  /** Hour-of-day offsets (from the slow level) and how many days each bucket was folded in. */
  hod: number[];
  hodDays: number[];
  /** Day-to-day variance of each hour-of-day bucket (is the profile reproducible?). */
  hodVar: number[];
  /** Hour-of-week offsets and how many weeks each bucket was folded in. */
  how: number[];
  howWeeks: number[];
  /** Whether `level` is deseasonalised (the profile applied when this window was learned). */
  seasonOn?: boolean;
  /** The hour being accumulated (epoch hours) and its running sum and count of value − slow. */
  accHour: number;
  accSum: number;
  accN: number;
  /** Signed run of consecutive anomalous windows: +k above the band, −k below. */
  run: number;
  /** Sum of the deseasonalised values in the current run (for level-shift re-seating). */
  runSum: number;
  /** Window start of the current run's first window (the episode start). */
  runStart: number;
  /** Consecutive windows the fast level has stayed above the slow one by the metric's drift bar. */
  leakRun?: number;
  /**
   * Surprise: a short EW average of the windows' directional |z| (`surprise`), and the long-run
   * mean and variance of that average over normal windows. The detector asks how unusual the
   * current surprise is for this series (cf. HTM's anomaly likelihood), so a series that is
   * always spiky needs a far bigger or longer deviation than a calm one.
   */
  surprise: number;
  surpriseMean: number;
  surpriseVar: number;
  /** Windows judged so far (the surprise statistics' own count). */
  judged?: number;
  /** Window start of the last level shift. */
  shiftAt?: number;
  /** The slow level as the leak check sees it: like `slow`, but re-seated with the level on a shift. */
  leakRef?: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/**
 * The tail reference: a standard normal's 0.999 |z| quantile. With the default tailQuantile
 * (0.99, whose Gaussian value 2.576 is where the estimate starts), the bar only rises for a
 * series whose 99th percentile of |z| is heavier than a Gaussian's 99.9th.
 */
export const GAUSSIAN_TAIL = 3.29;
const TAIL_START = 2.576;

export const emptyBaseline = (): Baseline => ({
  v: 1,
  n: 0,
  lastWindowStart: -1,
  level: 0,
  variance: 0,
  slow: 0,
  tail: TAIL_START,
  hod: new Array<number>(24).fill(0),
  hodDays: new Array<number>(24).fill(0),
  hodVar: new Array<number>(24).fill(0),
  how: new Array<number>(168).fill(0),
  howWeeks: new Array<number>(168).fill(0),
  accHour: -1,
  accSum: 0,
  accN: 0,
  // Prior: a Gaussian series' short average of |z| (mean √(2/π), spread ≈ 0.25).
  surprise: 0.8,
  surpriseMean: 0.8,
  surpriseVar: 0.0625,
  run: 0,
  runSum: 0,
  runStart: -1,
});

export const alphaOf = (halfLifeWindows: number): number => 1 - Math.pow(2, -1 / Math.max(1, halfLifeWindows));

export const sigmaOf = (b: Baseline): number => Math.sqrt(Math.max(0, b.variance));

export const hourOfDay = (ts: number): number => Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
/** Hours since Monday 00:00 UTC (epoch day 0 was a Thursday). */
export const hourOfWeek = (ts: number): number => Math.floor(((((ts + 3 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS) / HOUR_MS);

export type BaselineParams = Pick<
  DetectionParams,
  'halfLifeWindows' | 'slowHalfLifeWindows' | 'levelShiftWindows' | 'seasonMinDays' | 'seasonality' | 'tailQuantile'
>;

/**
 * The seasonal offset that applies at `ts`, or 0 while the profile is not established.
 * Offsets are bucket means; between bucket centres they are interpolated linearly, so a
 * smooth cycle gives a smooth expectation (a step at every hour would look like a jump).
 */
export function seasonOf(b: Baseline, ts: number, p: BaselineParams): number {
  if (p.seasonality === 'off' || !seasonalityHolds(b)) return 0;
  const hours = ts / HOUR_MS - 0.5;
  const h0 = Math.floor(hours);
  const f = hours - h0;
  const t0 = h0 * HOUR_MS;
  const t1 = t0 + HOUR_MS;
  const weekly = (t: number): number | undefined => ((b.howWeeks[hourOfWeek(t)] ?? 0) >= 2 ? (b.how[hourOfWeek(t)] ?? 0) : undefined);
  const daily = (t: number): number | undefined =>
    (b.hodDays[hourOfDay(t)] ?? 0) >= p.seasonMinDays ? (b.hod[hourOfDay(t)] ?? 0) : undefined;
  for (const at of [weekly, daily]) {
    const a = at(t0);
    const c = at(t1);
    if (a !== undefined && c !== undefined) return a + f * (c - a);
  }
  return 0;
}

/**
 * The profile is used only when it stands out both of the residual noise and of its own
 * day-to-day variation: a cycle that repeats, not the imprint of random spikes.
 */
export function seasonalityHolds(b: Baseline): boolean {
  const amplitude = seasonalAmplitude(b);
  let v = 0;
  let k = 0;
  for (let h = 0; h < 24; h++) {
    if ((b.hodDays[h] ?? 0) < 2) continue;
    v += b.hodVar[h] ?? 0;
    k++;
  }
  return k >= 12 && amplitude > 2 * sigmaOf(b) && amplitude > 4 * Math.sqrt(v / k);
}

/** Peak-to-peak of the hour-of-day profile over its established buckets. */
export function seasonalAmplitude(b: Baseline): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let h = 0; h < 24; h++) {
    if ((b.hodDays[h] ?? 0) < 2) continue;
    const v = b.hod[h] ?? 0;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi >= lo ? hi - lo : 0;
}

/**
 * What the baseline expects at `ts`. The seasonal offset applies only once the level has
 * been re-based onto deseasonalised values (see `learn`), so switching the profile on or
 * off never shows up as a jump.
 */
export const expectedAt = (b: Baseline, ts: number, p: BaselineParams): number => b.level + (b.seasonOn ? seasonOf(b, ts, p) : 0);

/** Weight of a new day (or week) in a seasonal bucket. */
const SEASON_FOLD = 0.3;

/**
 * Folds the finished hour into the seasonal profiles. Every window of the hour counts,
 * anomalous or not, so a recurring event (a nightly batch) becomes expected after a few
 * days, while a one-off incident moves its bucket by at most SEASON_FOLD of its size.
 */
function foldHour(b: Baseline): Pick<Baseline, 'hod' | 'hodDays' | 'hodVar' | 'how' | 'howWeeks'> {
  if (b.accN === 0 || b.accHour < 0) return { hod: b.hod, hodDays: b.hodDays, hodVar: b.hodVar, how: b.how, howWeeks: b.howWeeks };
  const m = b.accSum / b.accN;
  const ts = b.accHour * HOUR_MS;
  const h = hourOfDay(ts);
  const w = hourOfWeek(ts);
  const hod = b.hod.slice();
  const hodDays = b.hodDays.slice();
  const hodVar = b.hodVar.slice();
  const how = b.how.slice();
  const howWeeks = b.howWeeks.slice();
  if ((hodDays[h] ?? 0) > 0) {
    const d = m - (hod[h] ?? 0);
    hodVar[h] = (1 - SEASON_FOLD) * ((hodVar[h] ?? 0) + SEASON_FOLD * d * d);
  }
  hod[h] = (hodDays[h] ?? 0) === 0 ? m : (hod[h] ?? 0) + SEASON_FOLD * (m - (hod[h] ?? 0));
  hodDays[h] = (hodDays[h] ?? 0) + 1;
  how[w] = (howWeeks[w] ?? 0) === 0 ? m : (how[w] ?? 0) + SEASON_FOLD * (m - (how[w] ?? 0));
  howWeeks[w] = (howWeeks[w] ?? 0) + 1;
  return { hod, hodDays, hodVar, how, howWeeks };
}

/** Accumulates x − slow into the current hour, folding the previous hour when it changes. */
function accumulate(
  b: Baseline,
  x: number,
  windowStart: number,
  slow: number,
): Pick<Baseline, 'hod' | 'hodDays' | 'hodVar' | 'how' | 'howWeeks' | 'accHour' | 'accSum' | 'accN'> {
  const hour = Math.floor(windowStart / HOUR_MS);
  if (hour === b.accHour)
    return {
      hod: b.hod,
      hodDays: b.hodDays,
      hodVar: b.hodVar,
      how: b.how,
      howWeeks: b.howWeeks,
      accHour: hour,
      accSum: b.accSum + (x - slow),
      accN: b.accN + 1,
    };
  return { ...foldHour(b), accHour: hour, accSum: x - slow, accN: 1 };
}

/**
 * Learns one window's value. `deviation` is the detector's verdict for this value
 * (0 inside the band, ±1 above/below it); `z` its standardised residual (0 when not judged).
 */
export function learn(
  b: Baseline,
  x: number,
  windowStart: number,
  deviation: -1 | 0 | 1,
  z: number,
  p: BaselineParams,
  surprise = b.surprise,
): Baseline {
  if (windowStart <= b.lastWindowStart) return b;
  const used = b.seasonOn ? seasonOf(b, windowStart, p) : 0;
  return keepContinuous(used, learnLevel(b, x - used, x, windowStart, deviation, z, p, surprise), windowStart, p);
}

/**
 * The expected value must not jump because the seasonal profile moved (an hour was folded
 * in) or switched on or off: re-base the deseasonalised level by the change of the offset
 * at this time.
 */
function keepContinuous(used: number, after: Baseline, ts: number, p: BaselineParams): Baseline {
  const next = seasonOf(after, ts, p);
  const seasonOn = next !== 0;
  if (next === used && seasonOn === (after.seasonOn ?? false)) return after;
  return { ...after, seasonOn, level: after.level + used - next };
}

/** `d0` is the value with the seasonal offset in force removed; `x` the raw value. */
function learnLevel(
  b: Baseline,
  d0: number,
  x: number,
  windowStart: number,
  deviation: -1 | 0 | 1,
  z: number,
  p: BaselineParams,
  surprise: number,
): Baseline {
  if (b.n === 0) {
    return { ...b, ...accumulate(b, x, windowStart, x), n: 1, lastWindowStart: windowStart, level: x, slow: x, variance: 0 };
  }

  const sameRun = deviation !== 0 && Math.sign(b.run) === deviation;
  const run = deviation === 0 ? 0 : sameRun ? b.run + deviation : deviation;
  const runSum = deviation === 0 ? 0 : sameRun ? b.runSum + d0 : d0;
  const runStart = deviation === 0 ? -1 : sameRun ? b.runStart : windowStart;
  const season = accumulate(b, x, windowStart, b.slow);

  if (deviation !== 0) {
    if (Math.abs(run) >= p.levelShiftWindows) {
      // A level shift: the run's mean is the new level. The slow level is left to follow
      // (the seasonal reference must not jump), and `shiftAt` tells the leak check why the
      // fast level now stands above it.
      const level = runSum / Math.abs(run);
      return {
        ...b,
        ...season,
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
    return { ...b, ...season, ...surpriseStats, n: b.n + 1, lastWindowStart: windowStart, run, runSum, runStart };
  }

  const a = alphaOf(p.halfLifeWindows);
  // Warm start: average equally until the half-life's worth of windows has been seen.
  const w = Math.max(a, 1 / (b.n + 1));
  const r = d0 - b.level;
  const level = b.level + w * r;
  const variance = (1 - w) * (b.variance + w * r * r);
  const ws = Math.max(alphaOf(p.slowHalfLifeWindows), 1 / (b.n + 1));
  const slow = b.slow + ws * (d0 - b.slow);
  const leakRef = (b.leakRef ?? b.slow) + ws * (d0 - (b.leakRef ?? b.slow));
  if (z === 0) {
    // Not judged (warm-up): the judged-window statistics (tail, surprise) start afterwards.
    return { ...b, ...season, n: b.n + 1, lastWindowStart: windowStart, level, variance, slow, leakRef, run, runSum, runStart };
  }
  // Tail quantile of |z| over judged normal windows (Robbins–Monro; equilibrium P(|z| > tail) = 1 − q).
  const tail = Math.max(TAIL_START / 2, b.tail + TAIL_STEP * ((Math.abs(z) > b.tail ? 1 : 0) - (1 - p.tailQuantile)));
  return {
    ...b,
    ...season,
    n: b.n + 1,
    lastWindowStart: windowStart,
    level,
    variance,
    slow,
    leakRef,
    tail,
    run,
    runSum,
    runStart,
    ...learnSurprise(b, surprise, p),
  };
}

/** The long-run distribution of the surprise average over judged windows: fast at first, then slow. */
function learnSurprise(
  b: Baseline,
  surprise: number,
  p: BaselineParams,
): Pick<Baseline, 'surprise' | 'surpriseMean' | 'surpriseVar' | 'judged'> {
  const judged = (b.judged ?? 0) + 1;
  const sw = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / (judged + SURPRISE_PRIOR_WINDOWS));
  const sd = surprise - b.surpriseMean;
  return { surprise, surpriseMean: b.surpriseMean + sw * sd, surpriseVar: (1 - sw) * (b.surpriseVar + sw * sd * sd), judged };
}

/** Weight of the surprise prior (a Gaussian series' mean and spread), in windows. */
const SURPRISE_PRIOR_WINDOWS = 20;

/** Half-life of the short surprise average, in windows. */
const SURPRISE_HALF_LIFE = 2;
/** Surprise contributions are capped (in |z|) so one absurd window cannot dominate the moments. */
export const SURPRISE_CAP = 8;

/** The short surprise average after a window whose directional |z| is `zDir`. */
export const nextSurprise = (b: Baseline, zDir: number): number =>
  b.surprise + alphaOf(SURPRISE_HALF_LIFE) * (Math.min(zDir, SURPRISE_CAP) - b.surprise);

/** How many long-run standard deviations the surprise average stands above its mean. */
export const surpriseScore = (b: Baseline, surprise: number): number =>
  (surprise - b.surpriseMean) / Math.max(Math.sqrt(Math.max(0, b.surpriseVar)), 0.05);

const TAIL_STEP = 0.05;
