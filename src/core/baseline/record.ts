/**
 * The baseline record of one (service, metric): what the detector judges the next window
 * against. O(1) state and work per window; a plain JSON value (versioned by `v`, validated on
 * load by stores/baseline-schema.ts) so it lives in Redis.
 *
 * Model (additive): x = level + season[hour] + residual. The record is flat (one object, so a
 * window's update is one spread), but every field belongs to one part, which alone writes it:
 * the slices below name their owner. See docs/ARCHITECTURE.md for who decides what.
 *  - level (baseline/level.ts): fast and slow exponentially weighted levels, the residual
 *    spread, runs of anomalous windows and level shifts;
 *  - seasonal profile (baseline/season.ts, fed hour by hour by baseline/hour.ts): hour-of-day
 *    and hour-of-week offsets;
 *  - noise profile (baseline/noise.ts): σ per hour of day relative to the day's mean;
 *  - recurring peaks (baseline/peaks.ts): how far outside the band each hour went on the last days;
 *  - the tests' own statistics (detect/tail.ts, surprise.ts, drift.ts, burst.ts, records.ts,
 *    sampling.ts, leak.ts).
 * Robust to the anomaly itself: an anomalous window is not learned at all. Idempotent: a
 * window at or before `lastWindowStart` is ignored (baseline/learn.ts).
 */
import { TAIL_START } from '../detect/tail.js';
import { type DetectionParams } from '../params.js';

/** What every record has: its version, windows learned, the last window learned (idempotence) and its scale. Owned by baseline/learn.ts. */
export interface RecordCore {
  /** The record's version: 2 (stores/baseline-record.ts migrates version 1 on load). */
  v: 2;
  /** Windows learned. */
  n: number;
  lastWindowStart: number;
  /** The scale the record learns on (absent: the metric's values; see detect/scale.ts). */
  scale?: 'log';
}

/** The level (baseline/level.ts): fast and slow level, the noise spread, the current run of anomalous windows and level shifts. */
export interface LevelSlice {
  /** Deseasonalised fast level and the EW variance of residuals around level + season. */
  level: number;
  variance: number;
  /** Slow level (deseasonalised). */
  slow: number;
  /** Signed run of consecutive anomalous windows: +k above the band, −k below. */
  run: number;
  /** Sum of the deseasonalised values in the current run (for level-shift re-seating). */
  runSum: number;
  /** Window start of the current run's first window (the episode start). */
  runStart: number;
  /** Window start of the last level shift. */
  shiftAt?: number;
  /** The slow level as the leak check sees it: like `slow`, but re-seated with the level on a shift. */
  leakRef?: number;
}

/** The seasonal profile (baseline/season.ts): hour-of-day and hour-of-week offsets and the day being collected. */
export interface SeasonSlice {
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
  /**
   * The last hour folded from its windows inside the band: its mean and its epoch hour. When the
   * seasonal profile switches on, the level restarts from it (see levelAtSwitchOn).
   */
  hourMean?: number;
  hourAt?: number;
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
}

/** The hour being accumulated (baseline/hour.ts), folded into the profiles when the hour ends. */
export interface HourSlice {
  /** The hour being accumulated (epoch hours) and its running sum and count of values. */
  accHour: number;
  accX: number;
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
}

/** The noise profile (baseline/noise.ts): the noise within an hour and its daily shape. */
export interface NoiseSlice {
  /**
   * EW average (half-life a day of hours) of the variance within an hour around the hour's own
   * linear trend (−1 until an hour is folded): the noise without the daily cycle, whose slope
   * across an hour can be as large as the noise, where the spread restarts from when the
   * seasonal profile switches on (until then it also held the cycle the level lagged behind).
   */
  hourVar?: number;
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
}

/** Recurring peaks (baseline/peaks.ts). */
export interface PeakSlice {
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
}

/** The tail of normal windows' |z| (detect/tail.ts): raises the bar of heavy-tailed series. */
export interface TailSlice {
  /** Estimate of the `tailQuantile` of |z| over normal windows (starts at a Gaussian's 0.99 quantile). */
  tail: number;
  /**
   * The same for the quantile a decade less extreme (0.99 at the default 0.999): with `tail`,
   * how fast the tail thins (detect/tail.ts tailHeavinessOf); absent in records written before
   * it existed, read as a Gaussian's shape below `tail`.
   */
  tailBody?: number;
}

/** The surprise gate of the point and sustained tests (detect/surprise.ts). */
export interface SurpriseSlice {
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
}

/** The drift test's average and spread (detect/drift.ts). */
export interface DriftSlice {
  /**
   * Drift: a short EW average (half-life DRIFT_HALF_LIFE windows) of the signed z, and the
   * long-run mean square of that average over normal windows. A small shift that lasts (1–2σ
   * for tens of windows) moves the average far more than noise does, while no single window
   * stands out.
   */
  drift?: number;
  driftVar?: number;
  /** Judged windows in a row inside the band (see driftIsOwn). */
  calm?: number;
  /**
   * Windows in a row the drift average has stood past half the drift bar, signed by its side
   * (see nextDriftHeld); absent in records written before it existed, read as 0.
   */
  driftHeld?: number;
}

/** The record test's extremes and the blip count (detect/records.ts). */
export interface ExtremesSlice {
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
}

/** The burst test's last windows and three-window spread (detect/burst.ts). */
export interface BurstSlice {
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
}

/** The pooled counts of a metric with a sample size (detect/sampling.ts). */
export interface SampleSlice {
  /**
   * EW sums (the level's half-life) of the successes (errors, throttled periods) and trials
   * (requests, periods) of the windows learned: the series' pooled proportion, which a window's
   * k of n is tested against.
   */
  sampleK?: number;
  sampleN?: number;
  /**
   * EW sums (the drift average's half-life) of every window's count and its trials (a
   * quantile: its observations above the expected value and all of them; a count of events:
   * them and the expected count): what the drift test's span showed, as counts.
   */
  poolK?: number;
  poolN?: number;
}

/** The leak detector's run (detect/leak.ts). */
export interface LeakSlice {
  /** Consecutive windows the fast level has stayed above the slow one by the metric's drift bar. */
  leakRun?: number;
}

/** How often the series jumps far (detect/habit.ts). */
export interface HabitSlice {
  /** Excursions that reached an episode's bar lately, as of `jumpsAt`: a count that halves every slowHalfLifeWindows / 2 windows. */
  jumps?: number;
  /** Window start at which `jumps` was last counted (it fades from there). */
  jumpsAt?: number;
}

export type Baseline = RecordCore &
  LevelSlice &
  SeasonSlice &
  HourSlice &
  NoiseSlice &
  PeakSlice &
  TailSlice &
  SurpriseSlice &
  DriftSlice &
  ExtremesSlice &
  BurstSlice &
  SampleSlice &
  LeakSlice &
  HabitSlice;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/**
 * The peak arrays of a series without peaks (most of them): one frozen array shared by all,
 * replaced by a copy only when a peak is written, so quiet series allocate nothing per day.
 */
export const NO_PEAKS = Object.freeze(new Array<number>(24).fill(0)) as number[];
export const orNone = (xs: number[]): number[] => (xs.some((x) => x !== 0) ? xs : NO_PEAKS);

export const emptyBaseline = (): Baseline => ({
  v: 2,
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

/** The EW weight of one window for a half-life in windows (memoised: every metric asks for a handful of half-lives every window). */
export function alphaOf(halfLifeWindows: number): number {
  let a = ALPHA_MEMO.get(halfLifeWindows);
  if (a === undefined) {
    a = 1 - Math.pow(2, -1 / Math.max(1, halfLifeWindows));
    if (ALPHA_MEMO.size >= 64) ALPHA_MEMO.clear();
    ALPHA_MEMO.set(halfLifeWindows, a);
  }
  return a;
}
const ALPHA_MEMO = new Map<number, number>();

export const sigmaOf = (b: Baseline): number => Math.sqrt(Math.max(0, b.variance));

export const hourOfDay = (ts: number): number => Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
/** Hours since Monday 00:00 UTC (epoch day 0 was a Thursday). */
export const hourOfWeek = (ts: number): number => Math.floor(((((ts + 3 * DAY_MS) % WEEK_MS) + WEEK_MS) % WEEK_MS) / HOUR_MS);

export type BaselineParams = Pick<
  DetectionParams,
  'halfLifeWindows' | 'slowHalfLifeWindows' | 'levelShiftWindows' | 'seasonMinDays' | 'seasonality' | 'tailQuantile' | 'surpriseThreshold'
>;

/**
 * The detector's verdict on a window, as learn() needs it: 0 inside the band, ±1 anomalous above
 * or below it, `recurring` outside the band by no more than the hour's recurring peak,
 * `insufficient` too little data to judge (detect/sampling.ts: only its counts are learned).
 */
export type Deviation = -1 | 0 | 1 | 'recurring' | 'insufficient';
