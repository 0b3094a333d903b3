/**
 * Cumulative counters → increases and rates: segments prev → first → last; a decrease is a
 * reset (the increase since the reset is the new value); Δt ≤ 0 adds nothing; the first
 * point only primes; the rate is never negative.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type CounterPoint, type CounterSpan, mergeSpan } from '../../../src/core/window/partial.js';
import { increaseOf, perSecond } from '../../../src/core/window/rates.js';

const pt = (ts: number, v: number): CounterPoint => ({ ts, v });
const span = (first: CounterPoint, last: CounterPoint = first): CounterSpan => ({ first, last });

describe('increaseOf', () => {
  test.each([
    {
      case: 'monotonic, prev → first → last',
      prev: pt(0, 100),
      s: span(pt(10_000, 200), pt(20_000, 400)),
      expected: { delta: 300, elapsedMs: 20_000 },
    },
    { case: 'monotonic, one point per window', prev: pt(0, 100), s: span(pt(10_000, 600)), expected: { delta: 500, elapsedMs: 10_000 } },
    { case: 'flat counter', prev: pt(0, 100), s: span(pt(10_000, 100), pt(20_000, 100)), expected: { delta: 0, elapsedMs: 20_000 } },
    {
      case: 'reset inside the window (first → last decreases)',
      prev: pt(0, 1000),
      s: span(pt(10_000, 1100), pt(20_000, 50)),
      expected: { delta: 150, elapsedMs: 20_000 },
    },
    {
      case: 'reset between windows (prev → first decreases)',
      prev: pt(0, 1000),
      s: span(pt(10_000, 30), pt(20_000, 80)),
      expected: { delta: 80, elapsedMs: 20_000 },
    },
    { case: 'reset to zero', prev: pt(0, 1000), s: span(pt(10_000, 0)), expected: { delta: 0, elapsedMs: 10_000 } },
    {
      case: 'resets in both segments',
      prev: pt(0, 1000),
      s: span(pt(10_000, 500), pt(20_000, 40)),
      expected: { delta: 540, elapsedMs: 20_000 },
    },
    {
      case: 'prev at the same time as first (duplicate): prev ignored',
      prev: pt(10_000, 50),
      s: span(pt(10_000, 100), pt(20_000, 200)),
      expected: { delta: 100, elapsedMs: 10_000 },
    },
    {
      case: 'prev later than first (reordered): prev ignored',
      prev: pt(15_000, 5000),
      s: span(pt(10_000, 100), pt(20_000, 200)),
      expected: { delta: 100, elapsedMs: 10_000 },
    },
    {
      case: 'no previous point, two points in the window',
      prev: undefined,
      s: span(pt(10_000, 100), pt(12_500, 350)),
      expected: { delta: 250, elapsedMs: 2_500 },
    },
    { case: 'first point only primes', prev: undefined, s: span(pt(10_000, 100)), expected: undefined },
    { case: 'duplicate of the previous point adds nothing', prev: pt(10_000, 100), s: span(pt(10_000, 100)), expected: undefined },
    { case: 'a stale previous point and one duplicate point', prev: pt(20_000, 900), s: span(pt(10_000, 100)), expected: undefined },
  ])('$case', ({ prev, s, expected }) => {
    expect(increaseOf(prev, s)).toStrictEqual(expected);
  });
});

describe('perSecond', () => {
  test.each([
    { delta: 5e9, elapsedMs: 10_000, expected: 5e8 },
    { delta: 300, elapsedMs: 20_000, expected: 15 },
    { delta: 0, elapsedMs: 1, expected: 0 },
  ])('$delta over $elapsedMs ms → $expected /s', ({ delta, elapsedMs, expected }) => {
    expect(perSecond({ delta, elapsedMs })).toBe(expected);
  });
});

/* ---------- properties over a counter cut into windows ---------- */

const WINDOW_MS = 10_000;

/** Arbitrary counter points (non-negative, with arbitrary resets, duplicates and disorder) grouped into windows. */
const windowsArb = fc.array(
  fc.array(fc.record({ ts: fc.integer({ min: 0, max: WINDOW_MS - 1 }), v: fc.integer({ min: 0, max: 1e12 }) }), {
    minLength: 1,
    maxLength: 6,
  }),
  { minLength: 1, maxLength: 12 },
);

/** What stage 2 does: per window, merge the points into a span, then rate it against the previous window's last point. */
function ratesOf(windows: CounterPoint[][], shift: (w: number, p: CounterPoint) => CounterPoint) {
  let prev: CounterPoint | undefined;
  const out: { s: CounterSpan; inc: ReturnType<typeof increaseOf>; rate: number | undefined }[] = [];
  windows.forEach((ps, w) => {
    const points = ps.map((p) => shift(w, p));
    const s = points.map((p) => span(p)).reduce(mergeSpan);
    const inc = increaseOf(prev, s);
    out.push({ s, inc, rate: inc && perSecond(inc) });
    prev = prev && prev.ts >= s.last.ts ? prev : s.last;
  });
  return out;
}

const inWindow = (w: number, p: CounterPoint): CounterPoint => ({ ts: w * WINDOW_MS + p.ts, v: p.v });

describe('properties', () => {
  it('a rate is never negative, and an increase never covers non-positive time', () => {
    fc.assert(
      fc.property(windowsArb, (windows) => {
        for (const { inc, rate } of ratesOf(windows, inWindow)) {
          if (inc === undefined) continue;
          expect(inc.delta).toBeGreaterThanOrEqual(0);
          expect(inc.elapsedMs).toBeGreaterThan(0);
          expect(rate).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });

  it('without resets, the increases of consecutive windows add up to last − first', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1e9), { minLength: 2, maxLength: 30 }), (steps) => {
        // one point per window, in the middle, of a monotonic counter
        let v = 0;
        const windows = steps.map((dv) => [{ ts: WINDOW_MS / 2, v: (v += dv) }]);
        const incs = ratesOf(windows, inWindow).map((r) => r.inc);
        expect(incs[0]).toBeUndefined();
        const total = incs.slice(1).reduce((a, i) => a + i!.delta, 0);
        expect(total).toBe(windows.at(-1)![0]!.v - windows[0]![0]!.v);
        expect(incs.slice(1).every((i) => i!.elapsedMs === WINDOW_MS)).toBe(true);
      }),
    );
  });

  it('a segment adds at most the value it ends at, so a window adds at most first.v + last.v', () => {
    fc.assert(
      fc.property(windowsArb, (windows) => {
        for (const { s, inc } of ratesOf(windows, inWindow)) {
          if (inc) expect(inc.delta).toBeLessThanOrEqual(s.first.v + s.last.v);
        }
      }),
    );
  });
});
