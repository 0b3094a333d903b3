/**
 * The noise profile: per hour of day, the noise variance relative to the day's mean (from
 * successive differences within the hour, which a smooth daily curve barely touches), so σ
 * follows a load cycle (counting noise grows with the rate) once the season is on; and the
 * variance within an hour around the hour's own trend. Owns NoiseSlice.
 */
import { type Baseline, HOUR_MS, hourOfDay, sigmaOf } from './record.js';
import { DAY_MIN_HOURS, SEASON_FOLD } from './season.js';

/**
 * The variance of the hour's in-band windows around the hour's least-squares line (undefined
 * with fewer than 3 of them). A daily cycle's slope over an hour is a trend, not noise: around
 * the mean, a steep hour of a deep cycle looks twice as noisy as it is. Records written before
 * the trend sums existed fall back to the variance around the mean.
 */
export function withinHourVar(b: Baseline, n: number): number | undefined {
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
export const NOISE_MIN_DIFFS = 20;
/** A profile hour's noise variance stays within this factor of the day's mean either way. */
const NOISE_RANGE = 25;
export const NO_NOISE = Object.freeze(new Array<number>(24).fill(1)) as number[];

/**
 * Folds a finished day's per-hour noise (the mean square of successive differences / 2, which a
 * slow daily curve barely touches) into the noise profile, relative to the day's mean.
 */
export function foldNoise(prof: number[], days: number, today: number[]): Pick<Baseline, 'noiseProf' | 'noiseDays'> {
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
