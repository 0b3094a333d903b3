/**
 * The hour accumulator: sums of the current hour's values (all, and those inside the band with
 * their trend), folded when the hour ends into the seasonal profile (baseline/season.ts), the
 * noise profile (baseline/noise.ts) and the recurring peaks (baseline/peaks.ts); a finished
 * day is folded when the next one starts. Owns HourSlice; O(1) per window except at an hour's
 * end (24- and 168-slot arrays).
 */
import { withinHourVar, foldNoise, NOISE_MIN_DIFFS, NO_NOISE } from './noise.js';
import { recur } from './peaks.js';
import { type Baseline, HOUR_MS, NO_PEAKS, alphaOf, hourOfDay, hourOfWeek, sigmaOf } from './record.js';
import { DAY_STEP_SIGMAS, SEASON_FOLD, foldDay } from './season.js';

export type SeasonFields =
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
export type AccFields =
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
export function foldHour(b: Baseline, nextHour: number): Pick<Baseline, SeasonFields | 'hourMean' | 'hourAt'> {
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
    const m = moved ? b.accX / b.accN : (b.accIn ?? b.accX) / inN;
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
 * Accumulates x into the current hour, folding the previous hour when it changes; `dev` is the
 * window's distance from the expectation when it was outside the band (0 otherwise).
 */
export function accumulate(b: Baseline, x: number, windowStart: number, dev: number): Partial<Pick<Baseline, AccFields>> {
  const hour = Math.floor(windowStart / HOUR_MS);
  const up = Number.isFinite(dev) ? Math.max(dev, 0) : 0;
  const down = Number.isFinite(dev) ? Math.max(-dev, 0) : 0;
  // The window's start as a fraction of the hour (the trend sums' t).
  const t = (windowStart - hour * HOUR_MS) / HOUR_MS;
  if (hour === b.accHour) {
    // Only the running sums change within an hour (the caller spreads them over b).
    const sums: Partial<Pick<Baseline, AccFields>> = {
      accHour: hour,
      accX: b.accX + x,
      accN: b.accN + 1,
      accIn: (b.accIn ?? b.accX) + (dev === 0 ? x : 0),
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
