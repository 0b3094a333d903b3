/**
 * The seasonal profile: hour-of-day offsets (each finished day's hour means minus that day's
 * mean, EW over days) and hour-of-week offsets (hour mean − slow level), used once a bucket has
 * been seen on `seasonMinDays` days (2 weeks for hour-of-week) and the profile's amplitude
 * stands out of the noise. Owns SeasonSlice; its days and hours are folded by baseline/hour.ts.
 */
import { type Baseline, type BaselineParams, HOUR_MS, hourOfDay, hourOfWeek, sigmaOf } from './record.js';

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
export const SEASON_FOLD = 0.3;
/** A day whose level shifts net to more than this many σ is not folded (see `dayStep`). */
export const DAY_STEP_SIGMAS = 4;
/** A day is folded into the hour-of-day profile only when this many of its hours were seen. */
export const DAY_MIN_HOURS = 20;

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
export function foldDay(
  b: Pick<Baseline, 'hod' | 'hodDays' | 'hodVar' | 'dayMask' | 'dayHours'>,
): Pick<Baseline, 'hod' | 'hodDays' | 'hodVar'> {
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
