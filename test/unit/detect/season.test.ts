/**
 * Seasonal profiles: hour-of-day / hour-of-week buckets (UTC; hour-of-week 0 = Monday 00:00),
 * collected per hour and folded once per day as each hour's mean minus the day's mean; an hour-of-day offset applies once its bucket
 * has been seen on seasonMinDays days and the profile stands out of the noise; `seasonality:
 * 'off'` never applies one; a one-off incident moves its bucket by at most SEASON_FOLD (0.3)
 * of its size, while a recurring event becomes expected.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it, test } from 'vitest';
import {
  type Baseline,
  emptyBaseline,
  expectedAt,
  hourOfDay,
  hourOfWeek,
  learn,
  noiseAt,
  seasonOf,
  seasonalityHolds,
} from '../../../src/core/baseline/index.js';
import {
  DAY_MS,
  HOUR_MS,
  MONDAY,
  NO_FLOORS,
  P,
  PER_DAY,
  PER_HOUR,
  WEEK_MS,
  WINDOW_MS,
  type Detected,
  detect,
  gaussian,
  learnAll,
} from './helpers.js';

const SEASON_FOLD = 0.3;

describe('buckets', () => {
  test.each([
    { case: 'the epoch', ts: 0, hod: 0, how: 72 }, // 1970-01-01 was a Thursday
    { case: 'Monday 00:00', ts: MONDAY, hod: 0, how: 0 },
    { case: 'Monday 00:59:59.999', ts: MONDAY + HOUR_MS - 1, hod: 0, how: 0 },
    { case: 'Monday 01:00', ts: MONDAY + HOUR_MS, hod: 1, how: 1 },
    { case: 'Monday 23:59:59.999', ts: MONDAY + DAY_MS - 1, hod: 23, how: 23 },
    { case: 'Tuesday 00:00', ts: MONDAY + DAY_MS, hod: 0, how: 24 },
    { case: 'Wednesday 13:30', ts: Date.UTC(2024, 0, 3, 13, 30), hod: 13, how: 2 * 24 + 13 },
    { case: 'Sunday 23:59:59.999', ts: MONDAY + WEEK_MS - 1, hod: 23, how: 167 },
    { case: 'the next Monday 00:00', ts: MONDAY + WEEK_MS, hod: 0, how: 0 },
    { case: 'one ms before the epoch (Wednesday 23:59:59.999)', ts: -1, hod: 23, how: 71 },
    { case: 'before the epoch: 1969-12-29, a Monday, 05:00', ts: Date.UTC(1969, 11, 29, 5), hod: 5, how: 5 },
  ])('$case → hour of day $hod, hour of week $how', ({ ts, hod, how }) => {
    expect(hourOfDay(ts)).toBe(hod);
    expect(hourOfWeek(ts)).toBe(how);
  });

  it('agree with the calendar (UTC), whatever the time (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -4e6, max: 4e6 }), fc.integer({ min: 0, max: HOUR_MS * 24 - 1 }), (day, ms) => {
        const ts = day * DAY_MS + ms;
        const d = new Date(ts);
        expect(hourOfDay(ts)).toBe(d.getUTCHours());
        expect(hourOfWeek(ts)).toBe(((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours());
        expect(hourOfWeek(ts) % 24).toBe(hourOfDay(ts));
        expect(hourOfWeek(ts + WEEK_MS)).toBe(hourOfWeek(ts));
      }),
    );
  });
});

/** 100 + 80·sin(2π·hour/24) + N(0, 1): peak at 06:00, trough at 18:00 (UTC). */
const cycle = (g: () => number) => (ts: number) => 100 + 80 * Math.sin((2 * Math.PI * (ts / HOUR_MS)) / 24) + g();
/** The centre of hour h on day d after MONDAY: where an hour's offset applies as is. */
const centre = (d: number, h: number): number => MONDAY + d * DAY_MS + (h + 0.5) * HOUR_MS;
const series = (f: (ts: number) => number, fromWindow: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => f(MONDAY + (fromWindow + i) * WINDOW_MS));

describe('a strong daily cycle (10 s windows, 4 days from Monday 00:00 UTC)', () => {
  let day1: Detected;
  let day3: Detected;
  let day4: Detected;
  let off: Detected;
  beforeAll(() => {
    const f = cycle(gaussian(11));
    day1 = detect(series(f, 0, PER_DAY), NO_FLOORS, P, undefined, MONDAY);
    const days2to3 = detect(series(f, PER_DAY, 2 * PER_DAY), NO_FLOORS, P, day1.b, MONDAY + DAY_MS);
    day3 = { ...days2to3, verdicts: [...day1.verdicts, ...days2to3.verdicts], statuses: [...day1.statuses, ...days2to3.statuses] };
    const fourth = detect(series(f, 3 * PER_DAY, PER_DAY), NO_FLOORS, P, day3.b, MONDAY + 3 * DAY_MS);
    day4 = { ...fourth, verdicts: [...day3.verdicts, ...fourth.verdicts], statuses: [...day3.statuses, ...fourth.statuses] };
    off = detect(series(cycle(gaussian(11)), 0, 4 * PER_DAY), NO_FLOORS, { ...P, seasonality: 'off' }, undefined, MONDAY);
  });

  it('after one day no offset applies yet (seen on fewer than seasonMinDays days)', () => {
    expect(day1.b.hodDays.every((d) => d <= 1)).toBe(true);
    for (let h = 0; h < 24; h++) expect(seasonOf(day1.b, centre(1, h), P)).toBe(0);
    expect(expectedAt(day1.b, centre(1, 6), P)).toBe(day1.b.level);
  });

  it('after four days every bucket has been folded on at least three days (hour-of-week on at most one week)', () => {
    expect(Math.min(...day4.b.hodDays)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...day4.b.howWeeks)).toBeLessThanOrEqual(1);
  });

  test.each([
    { when: 'after three days', pick: () => day3.b, day: 3 },
    { when: 'after four days', pick: () => day4.b, day: 4 },
  ])("$when, seasonOf returns the hour's offset: positive at the peak, negative at the trough", ({ pick, day }) => {
    const b: Baseline = pick();
    for (let h = 0; h < 24; h++) expect(seasonOf(b, centre(day, h), P), `hour ${h}`).toBe(b.hod[h]);
    expect(seasonOf(b, centre(day, 6), P)).toBeGreaterThan(30);
    expect(seasonOf(b, centre(day, 18), P)).toBeLessThan(-30);
    // the profile's shape: the peak hours above the trough hours by most of the 160 peak-to-peak
    expect(b.hod[6]! - b.hod[18]!).toBeGreaterThan(100);
    for (const h of [4, 5, 6, 7, 8]) expect(b.hod[h], `hour ${h}`).toBeGreaterThan(0);
    for (const h of [16, 17, 18, 19, 20]) expect(b.hod[h], `hour ${h}`).toBeLessThan(0);
  });

  /** 1-minute windows of `f` for two days, then the window at which the profile switches on. */
  const switchingOn = (f = cycle(gaussian(11))) => {
    // the level (half-life 60 windows, an hour) lags the cycle by tens of units
    const minute = 60_000;
    const xs = Array.from({ length: (2 * DAY_MS) / minute }, (_, i) => f(MONDAY + i * minute));
    const before = detect(xs, NO_FLOORS, P, undefined, MONDAY, minute).b;
    const ts = MONDAY + 2 * DAY_MS;
    return { f, minute, ts, before, after: detect([f(ts)], NO_FLOORS, P, before, ts, minute).b };
  };

  it('when the profile switches on, the spread restarts from the noise within an hour around its trend (the level lagged the cycle before)', () => {
    const { before, after } = switchingOn();
    expect([before.seasonOn ?? false, after.seasonOn]).toEqual([false, true]);
    // the noise's variance is 1; around each hour's mean the cycle's slope (up to 21 a hour)
    // would add up to 37
    expect(after.hourVar).toBeGreaterThan(0.8);
    expect(after.hourVar).toBeLessThan(1.25);
    expect(after.variance).toBeLessThanOrEqual(1.5 * after.hourVar! + 1e-9);
    expect(after.variance).toBeLessThan(before.variance / 4);
  });

  it("when the profile switches on, the level restarts from the last hour's mean less its offset: the expectation is back on the cycle", () => {
    const { minute, ts, before, after } = switchingOn();
    const curve = cycle(() => 0);
    // before: the level followed the raw values with an hour's half-life and lags the rising cycle
    expect(Math.abs(before.level - curve(ts))).toBeGreaterThan(15);
    expect(Math.abs(expectedAt(after, ts + minute, P) - curve(ts + minute))).toBeLessThan(1);
  });

  it('whatever the phase of the cycle at the switch, the expectation lands on the curve (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 24, noNaN: true }), fc.integer({ min: 1, max: 1000 }), (phaseHours, seed) => {
        const curve = (ts: number): number => 100 + 80 * Math.sin((2 * Math.PI * (ts / HOUR_MS - phaseHours)) / 24);
        const g = gaussian(seed);
        const { minute, ts, after } = switchingOn((t) => curve(t) + g());
        expect(after.seasonOn).toBe(true);
        // the last hour's mean (60 windows of σ 1) less its offset: off by a fraction of σ, plus
        // what the hourly profile misses of the sine between hour centres
        expect(Math.abs(expectedAt(after, ts + minute, P) - curve(ts + minute))).toBeLessThan(1.5);
      }),
      { numRuns: 12 },
    );
  });

  it('when the last hour inside the band ended more than two hours before, the expectation stays continuous instead', () => {
    const { f, minute, ts, before } = switchingOn();
    // no data from 00:00 to 03:00: the hour folded at the switch is 23:00–23:59
    const later = ts + 3 * HOUR_MS;
    const after = detect([f(later)], NO_FLOORS, P, before, later, minute).b;
    expect(after.seasonOn).toBe(true);
    expect(after.hourAt).toBe(later / HOUR_MS - 4);
    // the level moved by the change of the offset, not onto the curve: the lag is still there
    expect(Math.abs(expectedAt(after, later + minute, P) - cycle(() => 0)(later + minute))).toBeGreaterThan(15);
  });

  it('when the profile switches on, the burst spread starts again from the prior and is relearned from scratch', () => {
    const { f, minute, ts, before, after } = switchingOn();
    // before: one-sided stretches of residuals while the level lagged the cycle
    expect(before.burstVar).toBeGreaterThan(3);
    expect(after.seasonOn).toBe(true);
    expect(after.burstVar).toBeUndefined();
    expect([after.burstN, after.burstPend1, after.burstPend2]).toEqual([0, undefined, undefined]);
    const next = Array.from({ length: 10 }, (_, i) => f(ts + (i + 1) * minute));
    // 10 windows: the first 8 sums have taught it, the last two wait behind the guard band
    expect(detect(next, NO_FLOORS, P, after, ts + minute, minute).b.burstN).toBe(8);
  });

  it("with seasonality 'off' no offset ever applies, even to an established profile", () => {
    const p = { ...P, seasonality: 'off' as const };
    for (let h = 0; h < 24; h++) {
      expect(seasonOf(day4.b, centre(4, h), p)).toBe(0);
      expect(seasonOf(off.b, centre(4, h), p)).toBe(0);
      expect(expectedAt(off.b, centre(4, h), p)).toBe(off.b.level);
    }
  });

  it("with seasonality 'off' the fast level follows the cycle: no anomalous window", () => {
    expect(off.statuses.filter((s) => s === 'anomalous')).toHaveLength(0);
  });

  // Bug: with seasonality 'auto' the same clean cycle (Gaussian noise σ 1) produces anomalous
  // windows once the profile applies (days 3 and 4), where 'off' produces none. They come a few
  // seconds after an hour starts: the fold of the hour just finished moves its bucket by
  // SEASON_FOLD · (hour mean − bucket), and seasonOf interpolates from that bucket, so the
  // expectation jumps by several units at the hour boundary while the residual spread around it
  // is ≈ 1.3; the level is re-based only when the profile switches on or off, not when it moves.
  // The profile is still far from converged after 4 days (peak offset ≈ 58 for a true 79: the
  // day-1 folds were taken against a slow level still in its warm start).
  it('with seasonality the cycle stays normal once the profile applies', () => {
    const anomalous = day4.statuses.flatMap((s, i) => (s === 'anomalous' ? [(i / PER_HOUR).toFixed(2)] : []));
    expect(anomalous, 'hours since the start of the anomalous windows').toEqual([]);
  });
});

describe('the noise within an hour (hourVar: where the spread restarts when the profile switches on)', () => {
  /** One hour of 10 s windows: a ramp of `slope` a hour plus N(0, 1), then the next hour's first window. */
  const hourOf = (slope: number, seed: number): number[] => {
    const g = gaussian(seed);
    return Array.from({ length: PER_HOUR + 1 }, (_, i) => 100 + (slope * i) / PER_HOUR + g());
  };

  it.each([
    { slope: 0, seed: 1 },
    { slope: 20, seed: 2 },
    { slope: 200, seed: 3 },
    { slope: -80, seed: 4 },
  ])("a ramp of $slope a hour plus unit noise: the variance around the hour's trend, ≈ 1", ({ slope, seed }) => {
    const b = learnAll(hourOf(slope, seed), P, undefined, MONDAY);
    expect(b.hourVar).toBeGreaterThan(0.75);
    expect(b.hourVar).toBeLessThan(1.3);
  });

  it('a record written before the trend sums existed falls back to the variance around the mean for that hour', () => {
    const xs = hourOf(20, 2);
    // mid-hour, as an older meshwatch wrote it: no trend sums
    const mid = learnAll(xs.slice(0, 100), P, undefined, MONDAY);
    delete mid.accInT;
    delete mid.accInTT;
    delete mid.accInTX;
    const b = learnAll(xs.slice(100), P, mid, MONDAY + 100 * WINDOW_MS);
    // around the mean the ramp adds 20² / 12 ≈ 33 to the noise's 1
    expect(b.hourVar).toBeGreaterThan(25);
    expect(b.hourVar).toBeLessThan(45);
    // the next hour has the sums again
    expect(b.accInTT).toBeDefined();
  });
});

describe('switching the profile on and off (hysteresis)', () => {
  /** A profile of peak-to-peak 10 seen on 3 days, residual σ `sigma`, day-to-day sd `dayToDay` per bucket. */
  const profiled = (sigma: number, dayToDay: number, seasonOn: boolean): Baseline => ({
    ...emptyBaseline(),
    n: 3 * PER_DAY,
    variance: sigma * sigma,
    hod: Array.from({ length: 24 }, (_, h) => 5 * Math.sin((2 * Math.PI * h) / 24)),
    hodDays: new Array<number>(24).fill(3),
    hodVar: new Array<number>(24).fill(dayToDay * dayToDay),
    seasonOn,
  });

  test.each([
    { case: 'amplitude 2.5σ', sigma: 4, dayToDay: 0, off: true, on: true },
    { case: 'amplitude 1.8σ: stays on, does not switch on', sigma: 5.5, dayToDay: 0, off: false, on: true },
    { case: 'amplitude 1.4σ: off either way', sigma: 7, dayToDay: 0, off: false, on: false },
    { case: 'amplitude 3.3 × its day-to-day sd: stays on, does not switch on', sigma: 1, dayToDay: 3, off: false, on: true },
    { case: 'amplitude 2.9 × its day-to-day sd: off either way', sigma: 1, dayToDay: 3.5, off: false, on: false },
  ])('$case', ({ sigma, dayToDay, off, on }) => {
    expect(seasonalityHolds(profiled(sigma, dayToDay, false))).toBe(off);
    expect(seasonalityHolds(profiled(sigma, dayToDay, true))).toBe(on);
  });

  it('a weak cycle (peak-to-peak ≈ 2σ, where σ wobbles across the bar) switches on once, not on and off all week', () => {
    const g = gaussian(7);
    const f = (ts: number): number => 100 + Math.sin((2 * Math.PI * (ts / HOUR_MS)) / 24) + g();
    const minute = 60_000;
    let b = emptyBaseline();
    let switches = 0;
    for (let i = 0; i < (7 * DAY_MS) / minute; i++) {
      const ts = MONDAY + i * minute;
      const next = detect([f(ts)], NO_FLOORS, P, b, ts, minute).b;
      if ((next.seasonOn ?? false) !== (b.seasonOn ?? false)) switches++;
      b = next;
    }
    expect(switches).toBeLessThanOrEqual(1);
  });
});

describe('what the profile learns', () => {
  let prefix: Detected;
  const f = cycle(gaussian(23));
  beforeAll(() => {
    prefix = detect(series(f, 0, 3 * PER_DAY + 10 * PER_HOUR), NO_FLOORS, P, undefined, MONDAY);
  });

  it('a one-off 1-hour incident moves its bucket by at most SEASON_FOLD of its size (and other buckets by less)', () => {
    const height = 500;
    const from = 3 * PER_DAY + 10 * PER_HOUR; // Thursday 10:00–10:59
    const after = 15 * PER_HOUR; // to Friday 01:00: Thursday is folded into the profile
    const normal = series(f, from, PER_HOUR + after);
    const incident = normal.map((x, i) => (i < PER_HOUR ? x + height : x));
    const t0 = MONDAY + from * WINDOW_MS;
    const control = detect(normal, NO_FLOORS, P, prefix.b, t0).b;
    const hit = detect(incident, NO_FLOORS, P, prefix.b, t0).b;
    expect(hit.hodDays).toEqual(control.hodDays);
    expect(hit.hodDays[10]).toBe(prefix.b.hodDays[10]! + 1);
    const moved = hit.hod.map((v, h) => Math.abs(v - control.hod[h]!));
    // the incident hour does count (every window of the hour is folded, anomalous or not)…
    expect(moved[10]).toBeGreaterThan(0);
    // …but by at most 0.3 of its height
    for (let h = 0; h < 24; h++) expect(moved[h], `hour ${h}`).toBeLessThanOrEqual(SEASON_FOLD * height);
  });

  it('an hour spent mostly outside the band joins the profile only when the day before went there too (a batch, not an incident)', () => {
    const long = { ...P, levelShiftWindows: 2 * PER_HOUR }; // an hour-long excursion is not re-seated as a level shift
    const height = 500;
    const at10 = (x: number, i: number, from: number): number => (Math.floor((from + i) / PER_HOUR) % 24 === 10 ? x + height : x);
    // Thursday 10:00 to Friday 01:00, then Friday 01:00 to Saturday 01:00: 10:00–10:59 is 500 higher on both days
    const thu = 3 * PER_DAY + 10 * PER_HOUR;
    const fri = 4 * PER_DAY + PER_HOUR;
    const normal = series(f, thu, fri - thu);
    const t0 = MONDAY + thu * WINDOW_MS;
    const control = detect(normal, NO_FLOORS, long, prefix.b, t0);
    const hit = detect(
      normal.map((x, i) => at10(x, i, thu)),
      NO_FLOORS,
      long,
      prefix.b,
      t0,
    );
    expect(hit.statuses.slice(0, PER_HOUR).every((s) => s === 'anomalous')).toBe(true);
    // Thursday is folded without its 10:00 (a one-off so far): the bucket keeps its offset
    expect(control.b.hodDays[10]).toBe(prefix.b.hodDays[10]! + 1);
    expect(hit.b.hodDays[10]).toBe(prefix.b.hodDays[10]!);
    expect(hit.b.hod[10]).toBe(prefix.b.hod[10]);
    expect(hit.b.hodDays[9]).toBe(control.b.hodDays[9]);
    // Friday brings it again at the same hour: now it is folded
    const friday = detect(
      series(f, fri, PER_DAY).map((x, i) => at10(x, i, fri)),
      NO_FLOORS,
      long,
      hit.b,
      MONDAY + fri * WINDOW_MS,
    ).b;
    expect(friday.hodDays[10]).toBe(hit.b.hodDays[10]! + 1);
    expect(friday.hod[10]! - hit.b.hod[10]!).toBeGreaterThan(SEASON_FOLD * height * 0.9);
  });

  it("a day is folded when its last hour ends: each hour's mean minus the day's mean, the first days averaged equally", () => {
    const b = prefix.b; // learned up to Thursday 09:59:50: Monday to Wednesday folded
    expect(b.hodDays).toEqual(new Array(24).fill(3));
    expect(b.dayIdx).toBe((MONDAY + 3 * DAY_MS) / DAY_MS);
    // Thursday's remaining hours, up to the first window of Friday
    const rest = series(f, 3 * PER_DAY + 10 * PER_HOUR, 14 * PER_HOUR + 1);
    const thursday = detect(rest.slice(0, -1), NO_FLOORS, P, b, MONDAY + 3 * DAY_MS + 10 * HOUR_MS).b;
    expect(thursday.hodDays).toEqual(b.hodDays); // 23:00 is still being accumulated
    const hours = [...(thursday.dayHours ?? [])];
    hours[23] = (thursday.accX ?? 0) / thursday.accN;
    const mean = hours.reduce((s, x) => s + x, 0) / 24;
    const ts = MONDAY + 4 * DAY_MS;
    const next = learn(thursday, rest.at(-1)!, ts, 0, 0, P);
    expect(next.hodDays).toEqual(new Array(24).fill(4));
    const w = Math.max(SEASON_FOLD, 1 / 4); // the fourth day
    for (let h = 0; h < 24; h++)
      expect(next.hod[h], `hour ${h}`).toBeCloseTo(thursday.hod[h]! + w * (hours[h]! - mean - thursday.hod[h]!), 9);
    // the profile is the cycle's shape: 80·sin at the hour's centre, averaged over the hour
    expect(next.hod[6]).toBeCloseTo(80 * Math.sin((2 * Math.PI * 6.5) / 24), -0.5);
    expect(next.hod[18]).toBeCloseTo(80 * Math.sin((2 * Math.PI * 18.5) / 24), -0.5);
    expect({ accHour: next.accHour, accN: next.accN, dayMask: next.dayMask }).toEqual({ accHour: ts / HOUR_MS, accN: 1, dayMask: 0 });
  });

  it('a day that ends on another level (a deploy) is not folded; one with a shift there and back (a batch) is', () => {
    const g = gaussian(41);
    const flat = (): number => 100 + g();
    // Monday flat; Tuesday +50 from 06:00 on (a deploy) or from 06:00 to 07:59 only (a batch); to Wednesday 01:00
    const deploy = Array.from({ length: 2 * PER_DAY + PER_HOUR + 1 }, (_, i) => flat() + (i >= PER_DAY + 6 * PER_HOUR ? 50 : 0));
    const batch = Array.from(
      { length: 2 * PER_DAY + PER_HOUR + 1 },
      (_, i) => flat() + (i >= PER_DAY + 6 * PER_HOUR && i < PER_DAY + 8 * PER_HOUR ? 50 : 0),
    );
    const d = detect(deploy, NO_FLOORS, P, undefined, MONDAY).b;
    const b = detect(batch, NO_FLOORS, P, undefined, MONDAY).b;
    expect(d.shiftAt).toBeGreaterThan(MONDAY + DAY_MS); // the step was re-seated as a level shift
    expect(d.hodDays).toEqual(new Array(24).fill(1)); // Monday only
    expect(b.hodDays).toEqual(new Array(24).fill(2)); // Monday and Tuesday
    expect(b.hod[6]! - b.hod[12]!).toBeGreaterThan(10); // the batch hours stand out in Tuesday's fold
  });

  it('a day with fewer than 20 hours seen is not folded (a partial first day would skew the offsets)', () => {
    const start = 6 * PER_HOUR; // Monday 06:00 to the first window of Tuesday 01:00: 18 hours of Monday
    const b = detect(series(f, start, PER_DAY - start + PER_HOUR + 1), NO_FLOORS, P, undefined, MONDAY + 6 * HOUR_MS).b;
    expect(b.hodDays).toEqual(new Array(24).fill(0));
    expect({ dayIdx: b.dayIdx, dayMask: b.dayMask }).toEqual({ dayIdx: (MONDAY + DAY_MS) / DAY_MS, dayMask: 1 }); // Tuesday 00:00 folded
  });

  // Bug: foldHour's docstring promises that "a recurring event (a nightly batch) becomes expected
  // after a few days". It never does when the event lasts longer than levelShiftWindows: after
  // levelShiftWindows anomalous windows learn() re-seats the slow level onto the event, and the
  // hour's fold measures x − slow, so the bucket gets (60·200 + 300·0)/360 ≈ 33 per day instead of
  // 200 (and the next hour −33 from the drop back). Each day the batch pages at its start and
  // again at its end (≈ 120 anomalous windows a day).
  it('a nightly batch (+200 from 03:00 to 03:59 every day) becomes expected after a few days', () => {
    const g = gaussian(31);
    const days = 6;
    const xs = Array.from({ length: days * PER_DAY }, (_, i) => 100 + g() + (Math.floor(i / PER_HOUR) % 24 === 3 ? 200 : 0));
    const { statuses, b } = detect(xs, NO_FLOORS, P, undefined, MONDAY);
    // the batch and the hours around it (the rest of the day is plain noise, judged as such)
    const around = statuses.slice((days - 1) * PER_DAY + 2 * PER_HOUR, (days - 1) * PER_DAY + 5 * PER_HOUR);
    expect(around.filter((s) => s === 'anomalous')).toHaveLength(0);
    expect(seasonOf(b, centre(days, 3), P)).toBeGreaterThan(150);
  });
});

describe('the noise profile (60 s windows, 5 days from Monday 00:00 UTC)', () => {
  // A daily load cycle peaking at 06:00 and bottoming at 18:00, noise 5 % of the level: the
  // variance at the peak is 2.0 times the day's mean, in the trough 0.22 times.
  const MINUTE = 60_000;
  const level = (t: number): number => 100 * (1 + 0.5 * Math.sin((2 * Math.PI * (t - MONDAY)) / DAY_MS));
  const series = (days: number, windowMs: number, relNoise: (l: number) => number, seed = 5): number[] => {
    const g = gaussian(seed);
    return Array.from({ length: (days * DAY_MS) / windowMs }, (_, i) => {
      const l = level(MONDAY + i * windowMs);
      return l + relNoise(l) * g();
    });
  };
  const PEAK = MONDAY + 5 * DAY_MS + 6 * HOUR_MS;
  const TROUGH = MONDAY + 5 * DAY_MS + 18 * HOUR_MS;
  let hetero: Detected;
  beforeAll(() => {
    hetero = detect(
      series(5, MINUTE, (l) => 0.05 * l),
      NO_FLOORS,
      P,
      undefined,
      MONDAY,
      MINUTE,
    );
  });

  it('learns how much noisier the peak is than the trough', () => {
    expect(hetero.b.noiseDays).toBeGreaterThanOrEqual(4);
    expect(noiseAt(hetero.b, PEAK)).toBeGreaterThan(1.6);
    expect(noiseAt(hetero.b, PEAK)).toBeLessThan(2.4);
    expect(noiseAt(hetero.b, TROUGH)).toBeGreaterThan(0.12);
    expect(noiseAt(hetero.b, TROUGH)).toBeLessThan(0.35);
  });

  it('so a spike of 6 local σ in the trough is anomalous, one of 3 local σ at the peak is not', () => {
    const judgeAt = (ts: number, sigmas: number): string => {
      const x = level(ts) + sigmas * 0.05 * level(ts);
      return detect([x], NO_FLOORS, P, hetero.b, ts, MINUTE).statuses[0] ?? 'none';
    };
    expect(judgeAt(TROUGH, 6)).toBe('anomalous');
    expect(judgeAt(PEAK, 3)).toBe('normal');
    // Without the profile the trough's band is the day's average noise: 6 local σ stay inside.
    const flat = { ...hetero.b, noiseDays: 0 };
    const x = level(TROUGH) + 6 * 0.05 * level(TROUGH);
    expect(detect([x], NO_FLOORS, P, flat, TROUGH, MINUTE).statuses[0]).toBe('normal');
  });

  it('a cycle with even noise keeps every hour near 1', () => {
    const { b } = detect(
      series(5, MINUTE, () => 3),
      NO_FLOORS,
      P,
      undefined,
      MONDAY,
      MINUTE,
    );
    for (let h = 0; h < 24; h++) {
      const r = noiseAt(b, MONDAY + 5 * DAY_MS + h * HOUR_MS);
      expect(r).toBeGreaterThan(0.7);
      expect(r).toBeLessThan(1.4);
    }
  });

  it('at 5-minute windows an hour has too few windows to estimate its noise: no profile', () => {
    const { b } = detect(
      series(5, 5 * MINUTE, (l) => 0.05 * l),
      NO_FLOORS,
      P,
      undefined,
      MONDAY,
      5 * MINUTE,
    );
    expect(b.noiseDays ?? 0).toBe(0);
    expect(noiseAt(b, TROUGH)).toBe(1);
  });

  it("with seasonality 'off' the profile is not applied (the noise cycle rides on a load cycle)", () => {
    const { b } = detect(
      series(5, MINUTE, (l) => 0.05 * l),
      NO_FLOORS,
      { ...P, seasonality: 'off' },
      undefined,
      MONDAY,
      MINUTE,
    );
    expect(noiseAt(b, TROUGH)).toBe(1);
  });
});
