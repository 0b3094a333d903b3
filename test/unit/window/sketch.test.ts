/**
 * The latency sketch: quantiles within SKETCH_ALPHA relative error of the exact ones, an
 * exact merge (the merge of two sketches is the sketch of the union), the zero bucket.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { SKETCH_ALPHA, type Sketch, emptySketch, sketchAdd, sketchMerge, sketchQuantile } from '../../../src/core/window/sketch.js';
import { canonical } from './canonical.js';

const sketchOf = (xs: readonly number[]): Sketch => {
  const s = emptySketch();
  for (const x of xs) sketchAdd(s, x);
  return s;
};

/** The exact quantile with the sketch's rank convention: the element at floor(q·(n−1)). */
const exactQuantile = (xs: readonly number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
};

/** Latencies above the zero bucket (1 µs), over nine orders of magnitude. */
const latencyArb = fc.double({ min: 0.002, max: 1e7, noNaN: true });
const QUANTILES = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
/** Bucket edges can round either way: allow a hair over alpha. */
const TOLERANCE = SKETCH_ALPHA * (1 + 1e-9);

describe('sketchQuantile', () => {
  it('is within 1 % relative error of the exact quantile', () => {
    expect(SKETCH_ALPHA).toBe(0.01);
    fc.assert(
      fc.property(fc.array(latencyArb, { minLength: 1, maxLength: 500 }), fc.constantFrom(...QUANTILES), (xs, q) => {
        const exact = exactQuantile(xs, q);
        const approx = sketchQuantile(sketchOf(xs), q)!;
        expect(Math.abs(approx - exact) / exact).toBeLessThanOrEqual(TOLERANCE);
      }),
    );
  });

  it('is within 1 % on a realistic latency mix (log-normal-ish, 10k values)', () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 48271) % 2147483647), seed / 2147483647);
    const xs = Array.from({ length: 10_000 }, () => Math.exp(3 + 1.5 * (rnd() + rnd() + rnd() - 1.5)));
    const s = sketchOf(xs);
    for (const q of QUANTILES) {
      const exact = exactQuantile(xs, q);
      expect(Math.abs(sketchQuantile(s, q)! - exact) / exact, `q=${q}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it('is undefined for an empty sketch', () => {
    expect(sketchQuantile(emptySketch(), 0.5)).toBeUndefined();
    expect(sketchQuantile(sketchMerge(emptySketch(), emptySketch()), 0.99)).toBeUndefined();
  });

  test.each([
    { xs: [0], q: 0.5, expected: 0 },
    { xs: [0, 0, 0], q: 0.99, expected: 0 },
    { xs: [0.001, 0.0005, -3], q: 1, expected: 0 },
    { xs: [0, 0, 100], q: 0.5, expected: 0 },
  ])('values at or below 1 µs land in the zero bucket: $xs q=$q → $expected', ({ xs, q, expected }) => {
    const s = sketchOf(xs);
    expect(s).toMatchObject({ n: xs.length, zero: xs.length - xs.filter((x) => x > 0.001).length });
    expect(sketchQuantile(s, q)).toBe(expected);
  });

  it('mixes the zero bucket with the others by rank', () => {
    const s = sketchOf([0, 0, 100]);
    expect(sketchQuantile(s, 0)).toBe(0);
    expect(Math.abs(sketchQuantile(s, 1)! - 100) / 100).toBeLessThanOrEqual(TOLERANCE);
  });

  it('is monotonic in q', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(latencyArb, fc.constant(0)), { minLength: 1, maxLength: 200 }), (xs) => {
        const s = sketchOf(xs);
        const qs = QUANTILES.map((q) => sketchQuantile(s, q)!);
        for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1]!);
      }),
    );
  });
});

describe('sketchMerge', () => {
  const valuesArb = fc.array(fc.oneof(latencyArb, fc.constant(0)), { maxLength: 200 });

  it('equals the sketch of the union, and changes neither input', () => {
    fc.assert(
      fc.property(valuesArb, valuesArb, (xs, ys) => {
        const a = sketchOf(xs);
        const b = sketchOf(ys);
        const before = [structuredClone(a), structuredClone(b)];
        expect(canonical(sketchMerge(a, b))).toStrictEqual(canonical(sketchOf([...xs, ...ys])));
        expect([a, b]).toStrictEqual(before);
      }),
    );
  });

  it('is commutative and associative', () => {
    fc.assert(
      fc.property(valuesArb, valuesArb, valuesArb, (xs, ys, zs) => {
        const [a, b, c] = [sketchOf(xs), sketchOf(ys), sketchOf(zs)];
        expect(canonical(sketchMerge(a, b))).toStrictEqual(canonical(sketchMerge(b, a)));
        expect(canonical(sketchMerge(sketchMerge(a, b), c))).toStrictEqual(canonical(sketchMerge(a, sketchMerge(b, c))));
      }),
    );
  });

  it('adds counts per bucket', () => {
    const m = sketchMerge(sketchOf([10, 10, 0]), sketchOf([10, 500]));
    expect(m.n).toBe(5);
    expect(m.zero).toBe(1);
    expect(Object.values(m.buckets).sort()).toEqual([1, 3]);
  });
});

describe('bound', () => {
  /** 3000 distinct buckets: one value per bucket index 1..3000. */
  const wide = Array.from({ length: 3000 }, (_, i) => Math.pow((1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA), i + 0.5));

  it('keeps at most 2048 buckets, collapsing the lowest, and keeps p99 accurate', () => {
    const s = sketchOf(wide);
    expect(Object.keys(s.buckets)).toHaveLength(2048);
    expect(s.n).toBe(3000);
    expect(Object.values(s.buckets).reduce((a, b) => a + b, 0)).toBe(3000);
    const exact = exactQuantile(wide, 0.99);
    expect(Math.abs(sketchQuantile(s, 0.99)! - exact) / exact).toBeLessThanOrEqual(TOLERANCE);
  });

  it('merge of collapsed sketches still equals the sketch of the union', () => {
    const xs = wide.filter((_, i) => i % 2 === 0);
    const ys = wide.filter((_, i) => i % 2 === 1);
    expect(canonical(sketchMerge(sketchOf(xs), sketchOf(ys)))).toStrictEqual(canonical(sketchOf(wide)));
  });
});
