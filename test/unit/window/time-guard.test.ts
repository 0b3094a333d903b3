import { describe, expect, test } from 'vitest';
import { DEFAULT_TIME_GUARD, EventTimeGuard, type TimeGuardParams } from '../../../src/core/window/time-guard.js';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const HOUR = 60 * MIN;
const Y2099 = Date.UTC(2099, 0, 1);
const Y1970 = 0;

/** Steady data: one record a minute from `from`. */
const steady = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i * MIN);

/** Runs a source's records through a fresh guard (replay: no processing time); true = accepted. */
function verdicts(ts: readonly number[], params: TimeGuardParams = DEFAULT_TIME_GUARD): boolean[] {
  const g = new EventTimeGuard(params);
  return ts.map((t) => g.check('replay', t, undefined) === undefined);
}

const indexesOf = (v: readonly boolean[], want: boolean): number[] => v.flatMap((x, i) => (x === want ? [i] : []));

describe('EventTimeGuard vs the source', () => {
  test.each<[string, number[], number[]]>([
    ['steady data: all accepted', steady(T0, 50), []],
    ['2099 in the middle: only it refused', [...steady(T0, 20), Y2099, ...steady(T0 + 20 * MIN, 20)], [20]],
    ['1970 in the middle: only it refused', [...steady(T0, 20), Y1970, ...steady(T0 + 20 * MIN, 20)], [20]],
    [
      'interleaved hostile records: every one refused, none moves the clock',
      steady(T0, 60).flatMap((t, i) => (i % 3 === 0 ? [t, i % 2 === 0 ? Y2099 : Y1970] : [t])),
      steady(T0, 60).flatMap((_, i) => (i % 3 === 0 ? [Math.floor(i / 3) * 4 + 1] : [])),
    ],
    [
      'a few hostile records in a row (fewer than reanchorRecords) are all refused',
      [...steady(T0, 10), ...Array.from({ length: 15 }, (_, i) => Y2099 + i), ...steady(T0 + 10 * MIN, 10)],
      Array.from({ length: 15 }, (_, i) => 10 + i),
    ],
    ['small jitter back and forth within the jump bound', [T0, T0 + 50 * MIN, T0 - 5 * MIN, T0 + 100 * MIN, T0 + 45 * MIN], []],
  ])('%s', (_n, ts, refused) => {
    expect(indexesOf(verdicts(ts), false)).toStrictEqual(refused);
  });

  test('2099 as the FIRST record does not blind the rest: the clock re-anchors after reanchorRecords', () => {
    const ts = [Y2099, ...steady(T0, 100)];
    const v = verdicts(ts);
    expect(v[0]).toBe(true); // a first record anchors tentatively
    // The first 15 real records disagree with the tentative anchor; the 16th re-anchors.
    expect(indexesOf(v, false)).toStrictEqual(Array.from({ length: 15 }, (_, i) => 1 + i));
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    for (const t of ts) g.check('replay', t, undefined);
    expect(g.referenceOf('replay')).toBe(T0 + 99 * MIN);
  });

  test('1970 as the first record is undone the same way', () => {
    const v = verdicts([Y1970, ...steady(T0, 40)]);
    expect(indexesOf(v, false)).toHaveLength(15);
    expect(v.slice(16).every(Boolean)).toBe(true);
  });

  test('a real 3-hour gap in the data is followed after reanchorRecords records', () => {
    const before = steady(T0, 30);
    const after = steady(T0 + 30 * MIN + 3 * HOUR, 30);
    const v = verdicts([...before, ...after]);
    expect(indexesOf(v, false)).toStrictEqual(Array.from({ length: 15 }, (_, i) => 30 + i));
  });

  test.each([
    ['every 5 min', 5 * MIN],
    ['every 20 min', 20 * MIN],
    ['every 59 min', 59 * MIN],
  ])('a source sampled %s follows a 94-day gap after reanchorRecords records (no permanent blindness)', (_n, stepMs) => {
    const after = Array.from({ length: 100 }, (_, i) => T0 + 94 * 24 * HOUR + i * stepMs);
    const before = Array.from({ length: 20 }, (_, i) => T0 - (20 - i) * stepMs);
    const v = verdicts([...before, ...after]);
    expect(indexesOf(v, false)).toStrictEqual(Array.from({ length: 15 }, (_, i) => 20 + i));
  });

  test('a hostile record inside the run of a real gap only delays the re-anchor', () => {
    const after = steady(T0 + 10 * MIN + 3 * HOUR, 40);
    const v = verdicts([...steady(T0, 10), ...after.slice(0, 8), Y2099, ...after.slice(8)]);
    expect(v.at(-1)).toBe(true);
    expect(v[18]).toBe(false);
  });

  test('reanchorRecords is a parameter', () => {
    const v = verdicts([...steady(T0, 5), ...steady(T0 + 5 * HOUR, 5)], { ...DEFAULT_TIME_GUARD, reanchorRecords: 3 });
    expect(indexesOf(v, false)).toStrictEqual([5, 6]);
  });

  test('the reason names the bound, the distance and the source', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    g.check('access/3', T0, undefined);
    expect(g.check('access/3', T0 + 3 * HOUR, undefined)).toStrictEqual({
      code: 'MW_EVENT_TIME_SKEW',
      reason:
        'event time 2026-01-01T03:00:00.000Z is 3h 0m ahead of source "access/3"\'s recent event time 2026-01-01T00:00:00.000Z ' +
        '(limit 1h 0m; 16 agreeing records in a row re-anchor it)',
    });
  });

  test('sources are independent', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    expect(g.check('a/0', T0, undefined)).toBeUndefined();
    expect(g.check('a/1', T0 + 10 * HOUR, undefined)).toBeUndefined();
    expect(g.check('a/0', T0 + 10 * HOUR, undefined)?.code).toBe('MW_EVENT_TIME_SKEW');
    expect(g.check('a/1', T0 + 10 * HOUR + MIN, undefined)).toBeUndefined();
  });

  test('non-finite and out-of-Date-range times are refused without throwing', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    expect(g.check('s', Number.NaN, undefined)?.code).toBe('MW_EVENT_TIME_SKEW');
    g.check('s', T0, undefined);
    expect(g.check('s', 1e300, undefined)?.reason).toContain('1e+300');
  });

  test('the source map is bounded: the oldest source is evicted and counted', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD, 3);
    for (const s of ['a', 'b', 'c', 'd']) g.check(s, T0, undefined);
    expect(g.evictions).toBe(1);
    expect(g.referenceOf('a')).toBeUndefined();
    expect(g.referenceOf('d')).toBe(T0);
  });
});

describe('EventTimeGuard: the confirmed reference (what a watermark may follow)', () => {
  /** The confirmed reference after each record. */
  function confirmed(ts: readonly number[]): (number | undefined)[] {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    return ts.map((t) => {
      g.check('replay', t, undefined);
      return g.confirmedReferenceOf('replay');
    });
  }
  const K = DEFAULT_TIME_GUARD.reanchorRecords;

  test('a first record alone is no confirmed time, however far ahead it is', () => {
    expect(confirmed([Y2099])).toEqual([undefined]);
    expect(confirmed([T0])).toEqual([undefined]);
  });

  test('steady data: confirmed once reanchorRecords records stand behind the anchor, then follows the newest', () => {
    const c = confirmed(steady(T0, K + 3));
    expect(c.slice(0, K - 1)).toEqual(Array.from({ length: K - 1 }, () => undefined));
    expect(c.slice(K - 1)).toEqual(steady(T0 + (K - 1) * MIN, 4));
  });

  test('a hostile first record never becomes the confirmed time: the re-anchored real time does', () => {
    const c = confirmed([Y2099, ...steady(T0, K + 2)]);
    expect(c.every((t) => t === undefined || t < Y2099)).toBe(true);
    expect(c.at(-1)).toBe(T0 + (K + 1) * MIN);
  });

  test('a few agreeing hostile first records are not confirmed before the real data undoes them', () => {
    const c = confirmed([Y2099, Y2099 + MIN, Y2099 + 2 * MIN, ...steady(T0, K + 2)]);
    expect(c.every((t) => t === undefined || t < Y2099)).toBe(true);
  });
});

describe('EventTimeGuard vs processing time (live)', () => {
  const now = T0 + 10 * HOUR;

  test.each<[string, number, string | undefined]>([
    ['now', now, undefined],
    ['14 min ahead', now + 14 * MIN, undefined],
    ['16 min ahead', now + 16 * MIN, 'is 16m 0s ahead of processing time (limit 15m 0s)'],
    ['2099', Y2099, 'ahead of processing time'],
    ['6 days behind', now - 6 * 24 * HOUR, undefined],
    ['8 days behind', now - 8 * 24 * HOUR, 'is 8d 0h behind processing time (limit 7d 0h)'],
    ['1970', Y1970, 'behind processing time'],
  ])('%s', (_n, ts, reason) => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    const p = g.check('access/0', ts, now);
    if (reason === undefined) expect(p).toBeUndefined();
    else expect(p?.reason).toContain(reason);
  });

  test('records refused vs processing time never anchor nor re-anchor the source', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    for (let i = 0; i < 40; i++) expect(g.check('access/0', Y2099 + i, now)?.code).toBe('MW_EVENT_TIME_SKEW');
    expect(g.referenceOf('access/0')).toBeUndefined();
    expect(g.check('access/0', now, now)).toBeUndefined();
    expect(g.referenceOf('access/0')).toBe(now);
  });

  test('both bounds apply live: within processing-time bounds but far from the source', () => {
    const g = new EventTimeGuard(DEFAULT_TIME_GUARD);
    g.check('access/0', now, now);
    expect(g.check('access/0', now - 2 * 24 * HOUR, now)?.reason).toContain('behind source');
  });
});
