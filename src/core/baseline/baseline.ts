/**
 * Baseline of one (service, metric): what the detector judges the next window against.
 * O(1) state and work per window; a plain JSON value (versioned by `v`) so it lives in Redis.
 *
 * Model (additive): x = level + season[hour] + residual.
 *  - level: exponentially weighted mean (half-life `halfLifeWindows`) of the deseasonalised
 *    value, with the residuals' EW variance — the fast time scale;
 *  - slow: the same level with a long half-life (`slowHalfLifeWindows`) — the slow time scale,
 *    against which a runaway (leak-like) climb of the fast level is judged;
 *  - season: hour-of-day offsets (each finished day's hour means minus that day's mean, EW
 *    over days) and hour-of-week offsets (hour mean − slow level), used once a bucket has been
 *    seen on `seasonMinDays` days (2 weeks for hour-of-week) and the profile's amplitude
 *    stands out of the noise;
 *  - noise profile: per hour of day, the noise variance relative to the day's mean (from
 *    successive differences within the hour, which a smooth daily curve barely touches), so
 *    σ follows a load cycle (counting noise grows with the rate) once the season is on;
 *  - recurring peaks: per hour of day, how far outside the band the last two days went;
 *  - tail: an EW estimate of a high quantile of |z| of normal windows, so a heavy-tailed
 *    series raises its own bar instead of paging on every big wiggle;
 *  - surprise, drift, bursts and blips: the short averages of |z| and of z, the last three
 *    windows' sum of z, their long-run spread, and a count of recent one-window anomalies
 *    (see detect/deviation.ts for their use).
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
  /** The scale the record learns on (absent: the metric's values; see detect/scale.ts). */
  scale?: 'log';
  /** The hour being accumulated (epoch hours) and its running sum and count of values. */
  accHour: number;
  accX?: number;
  accN: number;
  /**
   * The same over the hour's windows inside the band, with their sum of squares and, with t
   * the window's start as a fraction of the hour, the sums of t, t² and t·x (the hour's trend).
   */
  accIn?: number;
  accInN?: number;
  accInXX?: number;
  accInT?: number;
  accInTT?: number;
  accInTX?: number;
  /**
   * EW average (half-life a day of hours) of the variance within an hour around the hour's own
   * linear trend (−1 until an hour is folded): the noise without the daily cycle, whose slope
   * across an hour can be as large as the noise, where the spread restarts from when the
   * seasonal profile switches on (until then it also held the cycle the level lagged behind).
   */
  hourVar?: number;
  /**
   * The last hour folded from its windows inside the band: its mean and its epoch hour. When the
   * seasonal profile switches on, the level restarts from it (see levelAtSwitchOn).
   */
  hourMean?: number;
  hourAt?: number;
  /**
   * The noise's daily profile: per hour of day, the variance of the residual noise relative to
   * the day's mean (1 = average; EW over days), and how many days were folded in. Request rates
   * are noisier at the peak than in the trough (counting noise grows with the rate): σ at an
   * hour is σ × √noiseProf[hour] once the profile is established.
   */
  noiseProf?: number[];
  noiseDays?: number;
  /** The day being collected: each hour's noise variance (0 = not seen). */
  dayNoise?: number[];
  /** The current hour: the last in-band value and the sum and count of squared successive differences. */
  accPrev?: number | undefined;
  accD2?: number;
  accDN?: number;
  /**
   * The day being collected (epoch days), its hours' means and which hours were seen (bit h):
   * the day is folded into the hour-of-day profile when it ends.
   */
  dayIdx?: number;
  dayHours?: number[];
  dayMask?: number;
  /**
   * Net change of the level by level shifts during that day. A day that ends on another level
   * than it began (a deploy) is no daily pattern and is not folded; a shift there and back (a
   * nightly batch) is.
   */
  dayStep?: number;
  /**
   * Recurring peaks, per hour of day, above (`…Up`) and below (`…Down`) the expectation, in the
   * metric's unit. `last…` is the largest distance outside the band within an hour of that hour
   * on the last day; `peak…` the size that recurred (the smaller of the last two days', fading
   * by RECUR_FADE a day once it stops). A nightly job's spike, seen at about the same hour on two
   * days running, becomes expected; a one-off leaves nothing.
   */
  peakUp?: number[];
  peakDown?: number[];
  lastUp?: number[];
  lastDown?: number[];
  /** The day being collected: each hour's largest distance outside the band. */
  dayUp?: number[];
  dayDown?: number[];
  accUp?: number;
  accDown?: number;
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
  /**
   * Drift: a short EW average (half-life DRIFT_HALF_LIFE windows) of the signed z, and the
   * long-run mean square of that average over normal windows. A small shift that lasts (1–2σ
   * for tens of windows) moves the average far more than noise does, while no single window
   * stands out.
   */
  drift?: number;
  driftVar?: number;
  /**
   * One-window anomalies (blips) lately: a count that halves every slowHalfLifeWindows / 2
   * windows. A series that blips now and then must hold a deviation for persistWindows before
   * it fires, however big one window is.
   */
  blips?: number;
  /**
   * The largest deviation above (`maxUp`) and below (`maxDown`) the expectation that the
   * series' normal windows and blips showed lately, in the metric's unit, fading with half-life
   * 4 × slowHalfLifeWindows (seeded with tail · σ): how far this series' own extremes go. One
   * anomalous window beyond them by RECORD_MARGIN is a record (see isRecord).
   */
  maxUp?: number;
  maxDown?: number;
  /**
   * Burst: the z of the two windows judged before this one (capped at ±BURST_CAP), and the
   * long-run mean square of the three-window sum of z over normal windows and the first three
   * windows of any anomaly (see burstOf).
   */
  z1?: number;
  z2?: number;
  burstVar?: number;
  /**
   * Guard band: the last two three-window sums, newest first, waiting to teach the burst
   * spread. A sum teaches it two windows after it was seen, so the spread that judges a burst's
   * third window has learned none of the sums its first two windows made (radar detectors keep
   * guard cells between the cell under test and the cells that estimate its noise for the same
   * reason). Right after the spread restarts its prior weighs only 20 windows, and without the
   * guard a spike's own first windows widened it enough to hide the spike. The noise spread
   * (`variance`) has no guard: real series' noise comes in bouts, and a spread two windows late
   * pages on each bout's first windows.
   */
  burstPend1?: number | undefined;
  burstPend2?: number | undefined;
  /**
   * Windows that taught the burst spread since it (re)started: it restarts from the prior when
   * the seasonal profile switches on and is then learned as fast as a new series' (see
   * keepContinuous).
   */
  burstN?: number;
  /** Judged windows in a row inside the band (see driftIsOwn). */
  calm?: number;
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

/**
 * The peak arrays of a series without peaks (most of them): one frozen array shared by all,
 * replaced by a copy only when a peak is written, so quiet series allocate nothing per day.
 */
const NO_PEAKS = Object.freeze(new Array<number>(24).fill(0)) as number[];
const orNone = (xs: number[]): number[] => (xs.some((x) => x !== 0) ? xs : NO_PEAKS);

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
  accX: 0,
  accN: 0,
  accIn: 0,
  accInN: 0,
  accInXX: 0,
  accInT: 0,
  accInTT: 0,
  accInTX: 0,
  dayIdx: -1,
  dayHours: new Array<number>(24).fill(0),
  dayMask: 0,
  dayStep: 0,
  peakUp: NO_PEAKS,
  peakDown: NO_PEAKS,
  lastUp: NO_PEAKS,
  lastDown: NO_PEAKS,
  dayUp: NO_PEAKS,
  dayDown: NO_PEAKS,
  accUp: 0,
  accDown: 0,
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
 * smooth cycle gives a smooth expectation (a step at every hour would look like a jump),
 * except across a step (see STEP_JUMP), which stays a step.
 */
export function seasonOf(b: Baseline, ts: number, p: BaselineParams): number {
  if (p.seasonality === 'off') return 0;
  const amplitude = seasonalAmplitude(b);
  if (!seasonalityHolds(b, amplitude)) return 0;
  const hours = ts / HOUR_MS - 0.5;
  const h0 = Math.floor(hours);
  const f = hours - h0;
  const t0 = h0 * HOUR_MS;
  const t1 = t0 + HOUR_MS;
  const w0 = hourOfWeek(t0);
  const w1 = hourOfWeek(t1);
  if ((b.howWeeks[w0] ?? 0) >= 2 && (b.howWeeks[w1] ?? 0) >= 2) return between(b.how[w0] ?? 0, b.how[w1] ?? 0, f, amplitude);
  const d0 = hourOfDay(t0);
  const d1 = hourOfDay(t1);
  if ((b.hodDays[d0] ?? 0) >= p.seasonMinDays && (b.hodDays[d1] ?? 0) >= p.seasonMinDays) {
    return between(b.hod[d0] ?? 0, b.hod[d1] ?? 0, f, amplitude);
  }
  return 0;
}

/**
 * The offset a fraction f of the way from one hour's centre (offset a) to the next's (c). A jump
 * of more than half the profile's range from one hour to the next is a step (a batch that
 * starts on the hour), not a curve: each hour keeps its own offset.
 */
const between = (a: number, c: number, f: number, amplitude: number): number =>
  Math.abs(c - a) > STEP_JUMP * amplitude ? (f < 0.5 ? a : c) : a + f * (c - a);

/** Share of the profile's range above which the change between two hours is a step. */
const STEP_JUMP = 0.5;

/**
 * The profile is used only when it stands out both of the residual noise and of its own
 * day-to-day variation: a cycle that repeats, not the imprint of random spikes. Once in use it
 * stays in use down to SEASON_HOLD of both bars (hysteresis).
 */
export function seasonalityHolds(b: Baseline, amplitude = seasonalAmplitude(b)): boolean {
  let v = 0;
  let n = 0;
  for (let h = 0; h < 24; h++) {
    if ((b.hodDays[h] ?? 0) < 2) continue;
    v += b.hodVar[h] ?? 0;
    n++;
  }
  const hold = b.seasonOn ? SEASON_HOLD : 1;
  return n >= 12 && amplitude > 2 * hold * sigmaOf(b) && amplitude > 4 * hold * Math.sqrt(v / n);
}

/**
 * A profile in use is dropped only below this share of the bars that put it in use. σ is learned
 * over about an hour and wobbles by ~10 % from window to window; a weak daily cycle (a latency
 * that barely follows load) whose amplitude sat right at 2σ switched on and off up to 148 times
 * in a week, and every switch-on restarts the level, the spread and the burst spread.
 */
const SEASON_HOLD = 0.75;

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
 * been re-based onto deseasonalised values (see `learn`), so a profile that moves or switches
 * off never shows up as a jump; when it switches on, the expectation moves onto the profile
 * (see levelAtSwitchOn).
 */
export const expectedAt = (b: Baseline, ts: number, p: BaselineParams): number => b.level + (b.seasonOn ? seasonOf(b, ts, p) : 0);

/** Weight of a new day (or week) in a seasonal bucket, once a few have been averaged. */
const SEASON_FOLD = 0.3;
/** A day whose level shifts net to more than this many σ is not folded (see `dayStep`). */
const DAY_STEP_SIGMAS = 4;
/** A day is folded into the hour-of-day profile only when this many of its hours were seen. */
const DAY_MIN_HOURS = 20;

type SeasonFields =
  | 'hod'
  | 'hodDays'
  | 'hodVar'
  | 'how'
  | 'howWeeks'
  | 'dayIdx'
  | 'dayHours'
  | 'dayMask'
  | 'dayStep'
  | 'peakUp'
  | 'peakDown'
  | 'lastUp'
  | 'lastDown'
  | 'dayUp'
  | 'dayDown'
  | 'hourVar'
  | 'noiseProf'
  | 'noiseDays'
  | 'dayNoise';
type AccFields =
  | SeasonFields
  | 'hourMean'
  | 'hourAt'
  | 'accHour'
  | 'accX'
  | 'accN'
  | 'accIn'
  | 'accInN'
  | 'accInXX'
  | 'accInT'
  | 'accInTT'
  | 'accInTX'
  | 'accUp'
  | 'accDown'
  | 'accPrev'
  | 'accD2'
  | 'accDN';

const popcount = (m: number): number => {
  let k = 0;
  for (let x = m >>> 0; x !== 0; x &= x - 1) k++;
  return k;
};

/**
 * Folds a finished day into the hour-of-day profile: each hour's mean minus the day's mean.
 * Measuring offsets within the day they were seen keeps the profile's shape exact whatever
 * the level does meanwhile (a warm start, a drift, a level shift). The first days are averaged
 * equally, later ones with weight SEASON_FOLD.
 */
function foldDay(b: Pick<Baseline, SeasonFields>): Pick<Baseline, 'hod' | 'hodDays' | 'hodVar'> {
  const mask = b.dayMask ?? 0;
  const hours = b.dayHours ?? [];
  if (popcount(mask) < DAY_MIN_HOURS) return { hod: b.hod, hodDays: b.hodDays, hodVar: b.hodVar };
  let sum = 0;
  for (let h = 0; h < 24; h++) if (mask & (1 << h)) sum += hours[h] ?? 0;
  const mean = sum / popcount(mask);
  const hod = b.hod.slice();
  const hodDays = b.hodDays.slice();
  const hodVar = b.hodVar.slice();
  for (let h = 0; h < 24; h++) {
    if (!(mask & (1 << h))) continue;
    const m = (hours[h] ?? 0) - mean;
    const days = hodDays[h] ?? 0;
    const w = days === 0 ? 1 : Math.max(SEASON_FOLD, 1 / (days + 1));
    if (days > 0) {
      const d = m - (hod[h] ?? 0);
      hodVar[h] = (1 - w) * ((hodVar[h] ?? 0) + w * d * d);
    }
    hod[h] = (hod[h] ?? 0) + w * (m - (hod[h] ?? 0));
    hodDays[h] = days + 1;
  }
  return { hod, hodDays, hodVar };
}

/**
 * Folds the finished hour when `nextHour` starts: its mean goes into its day's hours, and its
 * mean minus the slow level into the hour-of-week profile; when `nextHour` is on another day,
 * the day collected so far is folded into the hour-of-day profile. An hour counts by its
 * windows inside the band unless most of it was outside: then by all of them, and only when the
 * day before also went outside the band on that side near this hour. So a recurring event (a
 * nightly batch) becomes expected after a few days, a one-off incident that held the hour does
 * not enter the profile (one re-seated as a level shift moves its bucket by at most SEASON_FOLD
 * of its size), and a few spikes do not move it at all.
 */
function foldHour(b: Baseline, nextHour: number): Pick<Baseline, SeasonFields | 'hourMean' | 'hourAt'> {
  let s: Required<Pick<Baseline, SeasonFields>> & Pick<Baseline, 'hourMean' | 'hourAt'> = {
    hod: b.hod,
    hodDays: b.hodDays,
    hodVar: b.hodVar,
    how: b.how,
    howWeeks: b.howWeeks,
    dayIdx: b.dayIdx ?? -1,
    dayHours: b.dayHours ?? new Array<number>(24).fill(0),
    dayMask: b.dayMask ?? 0,
    dayStep: b.dayStep ?? 0,
    peakUp: b.peakUp ?? NO_PEAKS,
    peakDown: b.peakDown ?? NO_PEAKS,
    lastUp: b.lastUp ?? NO_PEAKS,
    lastDown: b.lastDown ?? NO_PEAKS,
    dayUp: b.dayUp ?? NO_PEAKS,
    dayDown: b.dayDown ?? NO_PEAKS,
    hourVar: b.hourVar ?? -1,
    noiseProf: b.noiseProf ?? NO_NOISE,
    noiseDays: b.noiseDays ?? 0,
    dayNoise: b.dayNoise ?? NO_PEAKS,
  };
  /** Ends the day being collected (folding it when it qualifies) and starts `day`. */
  const roll = (d: typeof s, day: number): typeof s => ({
    ...d,
    ...(Math.abs(d.dayStep) > DAY_STEP_SIGMAS * sigmaOf(b) ? {} : foldDay(d)),
    ...recur(d.peakUp, d.lastUp, d.dayUp, 'Up'),
    ...recur(d.peakDown, d.lastDown, d.dayDown, 'Down'),
    ...foldNoise(d.noiseProf, d.noiseDays, d.dayNoise),
    dayNoise: NO_PEAKS,
    dayIdx: day,
    dayHours: new Array<number>(24).fill(0),
    dayMask: 0,
    dayStep: 0,
    dayUp: NO_PEAKS,
    dayDown: NO_PEAKS,
  });
  if (b.accN > 0 && b.accHour >= 0) {
    // A few windows outside the band (spikes) are the recurring peaks' business, not the hour's
    // level: then the hour is the mean of its windows inside the band. When most of the hour
    // is outside (a batch), the hour moved and all its windows count.
    const inN = b.accInN ?? b.accN;
    const moved = inN === 0 || inN * 2 < b.accN;
    const m = moved ? accXOf(b) / b.accN : (b.accIn ?? accXOf(b)) / inN;
    const ts = b.accHour * HOUR_MS;
    const h = hourOfDay(ts);
    const w = hourOfWeek(ts);
    const day = Math.floor(b.accHour / 24);
    if (day !== s.dayIdx) s = roll(s, day);
    // An hour spent mostly outside the band joins the daily profile only when the day before
    // also went outside the band on that side near this hour (a batch); a one-off incident does not.
    const upward = (b.accUp ?? 0) >= (b.accDown ?? 0);
    const seenBefore = ((upward ? s.lastUp : s.lastDown)[h] ?? 0) > 0;
    const folds = !moved || seenBefore;
    const dayHours = folds ? s.dayHours.slice() : s.dayHours;
    if (folds) dayHours[h] = m;
    const raise = (xs: number[], v: number): number[] => {
      if (v <= (xs[h] ?? 0)) return xs;
      const ys = xs.slice();
      ys[h] = v;
      return ys;
    };
    const dayUp = raise(s.dayUp, b.accUp ?? 0);
    const dayDown = raise(s.dayDown, b.accDown ?? 0);
    const how = b.how.slice();
    const howWeeks = b.howWeeks.slice();
    how[w] = (howWeeks[w] ?? 0) === 0 ? m - b.slow : (how[w] ?? 0) + SEASON_FOLD * (m - b.slow - (how[w] ?? 0));
    howWeeks[w] = (howWeeks[w] ?? 0) + 1;
    let hourVar = s.hourVar;
    const within = withinHourVar(b, inN);
    if (within !== undefined) hourVar = hourVar < 0 ? within : hourVar + alphaOf(24) * (within - hourVar);
    let dayNoise = s.dayNoise;
    if (!moved && (b.accDN ?? 0) >= NOISE_MIN_DIFFS) {
      dayNoise = s.dayNoise.slice();
      dayNoise[h] = (b.accD2 ?? 0) / (2 * (b.accDN ?? 1));
    }
    s = { ...s, dayHours, dayMask: folds ? (s.dayMask | (1 << h)) >>> 0 : s.dayMask, dayUp, dayDown, how, howWeeks, hourVar, dayNoise };
    if (!moved) {
      s.hourMean = m;
      s.hourAt = b.accHour;
    }
  }
  const nextDay = Math.floor(nextHour / 24);
  return nextDay === s.dayIdx ? s : roll(s, nextDay);
}

/**
 * The variance of the hour's in-band windows around the hour's least-squares line (undefined
 * with fewer than 3 of them). A daily cycle's slope over an hour is a trend, not noise: around
 * the mean, a steep hour of a deep cycle looks twice as noisy as it is. Records written before
 * the trend sums existed fall back to the variance around the mean.
 */
function withinHourVar(b: Baseline, n: number): number | undefined {
  if (n < 3 || b.accInXX === undefined) return undefined;
  const sx = b.accIn ?? 0;
  const sxx = b.accInXX - (sx * sx) / n;
  if (b.accInTT === undefined || b.accInT === undefined || b.accInTX === undefined) return Math.max(0, sxx / n);
  const stt = b.accInTT - (b.accInT * b.accInT) / n;
  const stx = b.accInTX - (b.accInT * sx) / n;
  return Math.max(0, sxx - (stt > 0 ? (stx * stx) / stt : 0)) / (n - 2);
}

/**
 * An hour's noise counts from this many successive differences of in-band windows: fewer (at
 * 5-minute windows an hour has 11) estimate a variance too roughly to tell one hour from another.
 */
const NOISE_MIN_DIFFS = 20;
/** A profile hour's noise variance stays within this factor of the day's mean either way. */
const NOISE_RANGE = 25;
const NO_NOISE = Object.freeze(new Array<number>(24).fill(1)) as number[];

/**
 * Folds a finished day's per-hour noise (the mean square of successive differences / 2, which a
 * slow daily curve barely touches) into the noise profile, relative to the day's mean.
 */
function foldNoise(prof: number[], days: number, today: number[]): Pick<Baseline, 'noiseProf' | 'noiseDays'> {
  let sum = 0;
  let k = 0;
  for (const v of today) {
    if (v <= 0) continue;
    sum += v;
    k++;
  }
  if (k < DAY_MIN_HOURS || sum <= 0) return { noiseProf: prof, noiseDays: days };
  const mean = sum / k;
  const w = days === 0 ? 1 : Math.max(SEASON_FOLD, 1 / (days + 1));
  const next = prof.slice();
  for (let h = 0; h < 24; h++) {
    const v = today[h] ?? 0;
    if (v <= 0) continue;
    const r = Math.min(NOISE_RANGE, Math.max(1 / NOISE_RANGE, v / mean));
    next[h] = (prof[h] ?? 1) + w * (r - (prof[h] ?? 1));
  }
  return { noiseProf: next, noiseDays: days + 1 };
}

/**
 * The noise's variance at `ts` relative to the baseline's `variance` (1 without a profile):
 * the noise profile, averaged over the hour and its neighbours (it is a smooth curve; one
 * hour's estimate is rough) and interpolated between hour centres, once it holds two days and
 * the level's daily profile is on (a noise cycle comes with a load cycle).
 */
export function noiseAt(b: Baseline, ts: number): number {
  const prof = b.noiseProf;
  if (!prof || (b.noiseDays ?? 0) < NOISE_MIN_DAYS || !b.seasonOn) return 1;
  const at = (h: number): number => ((prof[(h + 23) % 24] ?? 1) + (prof[h] ?? 1) + (prof[(h + 1) % 24] ?? 1)) / 3;
  const hours = ts / HOUR_MS - 0.5;
  const h0 = Math.floor(hours);
  const a = at(hourOfDay(h0 * HOUR_MS));
  const c = at(hourOfDay((h0 + 1) * HOUR_MS));
  return a + (hours - h0) * (c - a);
}

/** Days folded into the noise profile before it is used. */
const NOISE_MIN_DAYS = 2;

/** σ of the noise at `ts`. */
export const sigmaAt = (b: Baseline, ts: number): number => sigmaOf(b) * Math.sqrt(noiseAt(b, ts));

/** The current hour's sum of values (records written before `accX` existed kept value − slow). */
const accXOf = (b: Baseline): number => b.accX ?? ((b as { accSum?: number }).accSum ?? 0) + b.accN * b.slow;

/**
 * Accumulates x into the current hour, folding the previous hour when it changes; `dev` is the
 * window's distance from the expectation when it was outside the band (0 otherwise).
 */
function accumulate(b: Baseline, x: number, windowStart: number, dev: number): Partial<Pick<Baseline, AccFields>> {
  const hour = Math.floor(windowStart / HOUR_MS);
  const up = Number.isFinite(dev) ? Math.max(dev, 0) : 0;
  const down = Number.isFinite(dev) ? Math.max(-dev, 0) : 0;
  // The window's start as a fraction of the hour (the trend sums' t).
  const t = (windowStart - hour * HOUR_MS) / HOUR_MS;
  if (hour === b.accHour) {
    // Only the running sums change within an hour (the caller spreads them over b).
    const sums: Partial<Pick<Baseline, AccFields>> = {
      accHour: hour,
      accX: accXOf(b) + x,
      accN: b.accN + 1,
      accIn: (b.accIn ?? accXOf(b)) + (dev === 0 ? x : 0),
      accInN: (b.accInN ?? b.accN) + (dev === 0 ? 1 : 0),
      accInXX: (b.accInXX ?? 0) + (dev === 0 ? x * x : 0),
      accUp: Math.max(b.accUp ?? 0, up),
      accDown: Math.max(b.accDown ?? 0, down),
      // Successive differences of the hour's in-band windows (the noise profile's input).
      accPrev: dev === 0 ? x : b.accPrev,
      accD2: (b.accD2 ?? 0) + (dev === 0 && b.accPrev !== undefined ? (x - b.accPrev) ** 2 : 0),
      accDN: (b.accDN ?? 0) + (dev === 0 && b.accPrev !== undefined ? 1 : 0),
    };
    // A record written before the trend sums existed goes without them until the hour ends.
    if (dev === 0 && b.accInTT !== undefined) {
      sums.accInT = (b.accInT ?? 0) + t;
      sums.accInTT = b.accInTT + t * t;
      sums.accInTX = (b.accInTX ?? 0) + t * x;
    }
    return sums;
  }
  return {
    ...foldHour(b, hour),
    accHour: hour,
    accX: x,
    accN: 1,
    accIn: dev === 0 ? x : 0,
    accInN: dev === 0 ? 1 : 0,
    accInXX: dev === 0 ? x * x : 0,
    accInT: dev === 0 ? t : 0,
    accInTT: dev === 0 ? t * t : 0,
    accInTX: dev === 0 ? t * x : 0,
    accUp: up,
    accDown: down,
    accPrev: dev === 0 ? x : undefined,
    accD2: 0,
    accDN: 0,
  };
}

/**
 * The recurring peaks after a day whose hours' largest distances were `today`: each hour takes
 * the largest within an hour of it (a job that drifts across an hour boundary stays the same
 * job) and keeps what both this day and the last one reached.
 */
function recur(peak: number[], last: number[], today: number[], side: 'Up' | 'Down'): Partial<Baseline> {
  if (today === NO_PEAKS && last === NO_PEAKS && peak === NO_PEAKS) return {};
  const smeared = orNone(today.map((_, h) => Math.max(today[(h + 23) % 24] ?? 0, today[h] ?? 0, today[(h + 1) % 24] ?? 0)));
  const next = orNone(smeared.map((t, h) => Math.max(Math.min(last[h] ?? 0, t), RECUR_FADE * (peak[h] ?? 0))));
  return side === 'Up' ? { peakUp: next, lastUp: smeared } : { peakDown: next, lastDown: smeared };
}

/** What is left of a recurring peak after a day without it. */
const RECUR_FADE = 0.5;
/** A deviation up to this multiple of the hour's recurring peak is expected. */
export const RECUR_MARGIN = 1.5;

/** The recurring peak expected at `ts` on the side of `dev`. */
export const recurringPeak = (b: Baseline, ts: number, dev: number): number => (dev >= 0 ? b.peakUp : b.peakDown)?.[hourOfDay(ts)] ?? 0;

/**
 * The detector's verdict on a window, as learn() needs it: 0 inside the band, ±1 anomalous above
 * or below it, `recurring` outside the band by no more than the hour's recurring peak.
 */
export type Deviation = -1 | 0 | 1 | 'recurring';

/**
 * Learns one window's value. `deviation` is the detector's verdict for this value
 * (0 inside the band, ±1 above/below it); `z` its standardised residual (0 when not judged).
 */
export function learn(
  b: Baseline,
  x: number,
  windowStart: number,
  deviation: Deviation,
  z: number,
  p: BaselineParams,
  surprise = b.surprise,
): Baseline {
  if (windowStart <= b.lastWindowStart) return b;
  const used = b.seasonOn ? seasonOf(b, windowStart, p) : 0;
  // A run of exactly one anomalous window just ended: a blip.
  const blip = Math.abs(b.run) === 1 && deviation !== Math.sign(b.run);
  const blips = (b.blips ?? 0) * (1 - alphaOf(p.slowHalfLifeWindows / 2)) + (blip ? 1 : 0);
  const extra: Partial<Baseline> =
    z === 0 && b.drift === undefined
      ? blips === 0
        ? {}
        : { blips }
      : judgedExtra(b, z, deviation === 0, blips, habitual(b, x - used, deviation, blip), p, burstHabit(b, deviation));
  return keepContinuous(used, learnLevel(b, x - used, x, windowStart, deviation, z, p, surprise, extra), windowStart, p);
}

/** The deviation a window adds to the series' extremes: its own when normal, the blip's when one ended. */
const habitual = (b: Baseline, d0: number, deviation: Deviation, blip: boolean): number =>
  blip ? b.runSum - b.level : deviation === 0 || deviation === 'recurring' ? d0 - b.level : 0;

/**
 * When the profile switches on, the spread restarts from at most this multiple of the
 * within-hour variance around the hour's trend (the profile is still young: its residuals
 * exceed the bare noise).
 */
const SWITCH_ON_VAR = 1.5;

/**
 * The expected value must not jump because the seasonal profile moved (an hour was folded
 * in) or switched off: re-base the deseasonalised level by the change of the offset at this
 * time. When it switches on, the level restarts on the profile (levelAtSwitchOn) and the
 * spreads restart.
 */
function keepContinuous(used: number, after: Baseline, ts: number, p: BaselineParams): Baseline {
  const next = seasonOf(after, ts, p);
  const seasonOn = next !== 0;
  if (next === used && seasonOn === (after.seasonOn ?? false)) return after;
  const switchedOn = seasonOn && !(after.seasonOn ?? false) && (after.hourVar ?? -1) >= 0;
  const variance = switchedOn ? Math.min(after.variance, SWITCH_ON_VAR * (after.hourVar ?? after.variance)) : after.variance;
  const out: Baseline = {
    ...after,
    seasonOn,
    level: switchedOn ? levelAtSwitchOn(after, used - next, ts, p) : after.level + used - next,
    variance,
  };
  if (switchedOn) {
    // The residuals change character when the profile switches on (before, the level lagged
    // the cycle and they ran in long one-sided stretches): the burst spread starts again.
    out.burstN = 0;
    delete out.burstVar;
    delete out.burstPend1;
    delete out.burstPend2;
  }
  return out;
}

/**
 * The deseasonalised level when the profile switches on: the last hour folded from its windows
 * inside the band, less that hour's offset, when it ended at most RESEAT_HOURS ago. Before the
 * switch the level followed the raw values with its half-life's lag, so on a slope of the cycle
 * it stood far from the curve; kept continuous, that error would take hours to fade, hiding
 * spikes and filling the fresh spread with one-sided residuals. Without such an hour, the level
 * is re-based by the change of the offset (`shift`) like any other profile change.
 */
function levelAtSwitchOn(b: Baseline, shift: number, ts: number, p: BaselineParams): number {
  if (b.hourMean === undefined || b.hourAt === undefined || Math.floor(ts / HOUR_MS) - b.hourAt > RESEAT_HOURS) return b.level + shift;
  return b.hourMean - seasonOf(b, (b.hourAt + 0.5) * HOUR_MS, p);
}

/** How recent (in hours before the current one) the hour that re-seats the level must be. */
const RESEAT_HOURS = 2;

/** `d0` is the value with the seasonal offset in force removed; `x` the raw value. */
function learnLevel(
  b: Baseline,
  d0: number,
  x: number,
  windowStart: number,
  deviation: Deviation,
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
  const tail = Math.max(TAIL_START / 2, b.tail + TAIL_STEP * ((Math.abs(z) > b.tail ? 1 : 0) - (1 - p.tailQuantile)));
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

/** The extremes fade with this multiple of the slow half-life: a series' worst is remembered long. */
const EXTREMES_SLOWDOWN = 4;
/** One window beyond this multiple of the series' recent extreme on its side is a record. */
const RECORD_MARGIN = 1.5;
/**
 * Records count once this share of the slow half-life has been judged: in any series, window n
 * is the largest so far with probability 1/n, so a young series' records mean little.
 */
const RECORD_HISTORY = 1 / 8;

/**
 * Whether a window `dev` away from the expectation is a record: RECORD_MARGIN beyond the
 * largest deviation on its side that the series' normal windows and blips reached lately,
 * after enough history for that to mean something.
 */
export const isRecord = (b: Baseline, dev: number, p: Pick<BaselineParams, 'slowHalfLifeWindows'>): boolean =>
  (b.judged ?? 0) >= RECORD_HISTORY * p.slowHalfLifeWindows && Math.abs(dev) > RECORD_MARGIN * extremeOf(b, dev >= 0 ? b.maxUp : b.maxDown);

/**
 * A recorded extreme, or for a record written before extremes were kept, what its normal
 * windows reach: the learned tail quantile of |z| times σ (so an upgrade does not make every
 * anomaly a record).
 */
const extremeOf = (b: Baseline, recorded: number | undefined): number => recorded ?? b.tail * sigmaOf(b);

/** Half-life of the drift average, in windows. */
const DRIFT_HALF_LIFE = 8;
/** Drift contributions are capped (in |z|): a spike is not a drift. */
const DRIFT_CAP = 4;

/** The drift average after a window whose z is `z`. */
export const nextDrift = (b: Baseline, z: number): number =>
  (b.drift ?? 0) + alphaOf(DRIFT_HALF_LIFE) * (Math.max(-DRIFT_CAP, Math.min(DRIFT_CAP, z)) - (b.drift ?? 0));

/**
 * Whether the drift average is the drift's own: no window outside the band for two of its
 * half-lives, so an anomaly that just ended (and whose windows still weigh in it) is not
 * reported again as a drift.
 */
export const driftIsOwn = (b: Baseline): boolean => (b.calm ?? 0) >= 2 * DRIFT_HALF_LIFE;

/** How many long-run standard deviations the drift average stands from 0 (signed). */
export function driftScore(b: Baseline, drift: number): number {
  const a = alphaOf(DRIFT_HALF_LIFE);
  return drift / Math.sqrt(Math.max(b.driftVar ?? a / (2 - a), 1e-4));
}

/**
 * What a judged window adds besides the level: the blip count, the drift average (and, for a
 * normal window, its long-run spread) and the fading extremes after a deviation `dev` — fed by
 * normal and recurring windows and by blips (a one-window anomaly, counted when it ends; see
 * `habitual`); an anomaly that lasts (an incident, a level shift) is not the series' habit and
 * adds 0. One object per window: this runs for every series every window.
 */
function judgedExtra(
  b: Baseline,
  z: number,
  normal: boolean,
  blips: number,
  dev: number,
  p: BaselineParams,
  habit: boolean,
): Partial<Baseline> {
  const drift = nextDrift(b, z);
  let driftVar = b.driftVar;
  if (normal) {
    const a = alphaOf(DRIFT_HALF_LIFE);
    const prior = a / (2 - a); // iid unit-variance z
    const w = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / ((b.judged ?? 0) + SURPRISE_PRIOR_WINDOWS));
    driftVar = (b.driftVar ?? prior) + w * (drift * drift - (b.driftVar ?? prior));
  }
  const keep = 1 - alphaOf(EXTREMES_SLOWDOWN * p.slowHalfLifeWindows);
  const maxUp = Math.max(extremeOf(b, b.maxUp) * keep, dev);
  const maxDown = Math.max(extremeOf(b, b.maxDown) * keep, -dev);
  const zc = capBurst(z);
  let burstVar = b.burstVar;
  let burstN = b.burstN;
  // Behind the guard band (see Baseline.burstPend1): the sum seen two windows ago teaches the spread.
  const teaching = habit ? b.burstPend2 : undefined;
  if (teaching !== undefined) {
    const taught = b.burstN ?? b.judged ?? 0;
    const w = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / (taught + SURPRISE_PRIOR_WINDOWS));
    burstVar = (b.burstVar ?? BURST_WINDOWS) + w * (teaching * teaching - (b.burstVar ?? BURST_WINDOWS));
    burstN = taught + 1;
  }
  const out: Partial<Baseline> = { blips, drift, maxUp, maxDown, z1: zc, z2: b.z1 ?? 0, calm: normal ? (b.calm ?? 0) + 1 : 0 };
  if (habit) {
    out.burstPend1 = (b.z1 ?? 0) + (b.z2 ?? 0) + zc;
    out.burstPend2 = b.burstPend1;
  }
  if (driftVar !== undefined) out.driftVar = driftVar;
  if (burstVar !== undefined) out.burstVar = burstVar;
  if (burstN !== undefined) out.burstN = burstN;
  return out;
}

/**
 * Whether a window teaches the burst spread: a normal or recurring one, or one of the first
 * BURST_WINDOWS of an anomaly (a series whose short bursts are its habit learns a wide burst
 * spread), but not the rest of a long incident.
 */
const burstHabit = (b: Baseline, deviation: Deviation): boolean =>
  deviation === 0 || deviation === 'recurring' || (Math.sign(b.run) === deviation ? Math.abs(b.run) + 1 : 1) <= BURST_WINDOWS;

/** The burst test spans this many windows: the current one and the two before it. */
const BURST_WINDOWS = 3;
/** Each window's part of the burst sum is capped (in |z|): one spike is not a burst. */
const BURST_CAP = 4;
const capBurst = (z: number): number => Math.max(-BURST_CAP, Math.min(BURST_CAP, z));

/**
 * The burst after a window whose z is `z`: the sum of the last three windows' capped z, and
 * how many of its long-run standard deviations (never fewer than iid unit noise gives) it
 * stands from 0, signed; `least` is the smallest of the three on the sum's side.
 */
export function burstOf(b: Baseline, z: number): { score: number; least: number } {
  const z1 = b.z1 ?? 0;
  const z2 = b.z2 ?? 0;
  const z0 = capBurst(z);
  const sum = z0 + z1 + z2;
  const sd = Math.sqrt(Math.max(b.burstVar ?? BURST_WINDOWS, BURST_WINDOWS));
  const least = sum >= 0 ? Math.min(z0, z1, z2) : -Math.max(z0, z1, z2);
  return { score: sum / sd, least };
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
