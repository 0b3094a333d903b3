/** The VPA decaying histogram (src/core/profile/histogram.ts): buckets, percentiles, decay, bounds. */
import { describe, expect, test } from 'vitest';
import {
  CPU_HISTOGRAM,
  MEMORY_HISTOGRAM,
  bucketCount,
  bucketOf,
  bucketStart,
  emptyHistogram,
  histogramAdd,
  histogramEmpty,
  histogramPercentile,
  histogramSubtract,
} from '../../../src/core/profile/histogram.js';

const DAY = 86_400_000;

describe('buckets (5 % growth from 0.01 cores)', () => {
  test.each([
    [0, 0],
    [0.005, 0],
    [0.01, 1],
    [0.021, 2],
    [1, Math.floor(Math.log((1 * 0.05) / 0.01 + 1) / Math.log(1.05))],
    [1e9, bucketCount(CPU_HISTOGRAM) - 1],
  ])('value %d falls in bucket %i', (v, b) => {
    expect(bucketOf(CPU_HISTOGRAM, v)).toBe(b);
  });

  test('a value lies in [start(b), start(b+1)) of its bucket', () => {
    for (const v of [0.013, 0.2, 0.75, 3.3, 47]) {
      const b = bucketOf(CPU_HISTOGRAM, v);
      expect(bucketStart(CPU_HISTOGRAM, b)).toBeLessThanOrEqual(v);
      expect(bucketStart(CPU_HISTOGRAM, b + 1)).toBeGreaterThan(v);
    }
  });

  test('bounded: CPU and memory options have under 200 buckets whatever is added', () => {
    expect(bucketCount(CPU_HISTOGRAM)).toBeLessThan(200);
    expect(bucketCount(MEMORY_HISTOGRAM)).toBeLessThan(200);
    let h = emptyHistogram();
    for (let i = 0; i < 5000; i++) h = histogramAdd(h, CPU_HISTOGRAM, i * 0.37, 0.1, i * 60_000);
    expect(Object.keys(h.w).length).toBeLessThanOrEqual(bucketCount(CPU_HISTOGRAM));
  });
});

describe('percentiles', () => {
  test('empty: 0', () => {
    expect(histogramPercentile(emptyHistogram(), CPU_HISTOGRAM, 0.9)).toBe(0);
    expect(histogramEmpty(emptyHistogram(), CPU_HISTOGRAM)).toBe(true);
  });

  test.each([
    [0.5, 0.5],
    [0.9, 0.9],
    [0.95, 0.95],
  ])('p%d of 1..100 (×0.01 cores) is the end of the bucket holding %d', (p, value) => {
    let h = emptyHistogram();
    for (let i = 1; i <= 100; i++) h = histogramAdd(h, CPU_HISTOGRAM, i / 100, 0.1, 0);
    expect(histogramPercentile(h, CPU_HISTOGRAM, p)).toBeCloseTo(bucketStart(CPU_HISTOGRAM, bucketOf(CPU_HISTOGRAM, value) + 1), 12);
  });

  test('a day-old sample weighs half: one old high sample and one new low sample put p50 at the low one', () => {
    let h = emptyHistogram();
    h = histogramAdd(h, CPU_HISTOGRAM, 2, 1, 0);
    h = histogramAdd(h, CPU_HISTOGRAM, 0.5, 1, DAY);
    expect(h.w[String(bucketOf(CPU_HISTOGRAM, 0.5))]).toBeCloseTo(2 * (h.w[String(bucketOf(CPU_HISTOGRAM, 2))] ?? 0), 9);
    expect(histogramPercentile(h, CPU_HISTOGRAM, 0.5)).toBeLessThan(1);
  });

  test('renormalises after 100 half-lives without changing percentiles', () => {
    let h = emptyHistogram();
    h = histogramAdd(h, CPU_HISTOGRAM, 0.3, 1, 0);
    h = histogramAdd(h, CPU_HISTOGRAM, 0.6, 1, 150 * DAY);
    expect(Number.isFinite(h.total)).toBe(true);
    expect(h.ref).toBe(150 * DAY);
    expect(histogramPercentile(h, CPU_HISTOGRAM, 0.5)).toBeCloseTo(bucketStart(CPU_HISTOGRAM, bucketOf(CPU_HISTOGRAM, 0.6) + 1), 12);
  });

  test('subtract undoes add (a replaced memory peak)', () => {
    let h = emptyHistogram();
    h = histogramAdd(h, MEMORY_HISTOGRAM, 3e8, 1, DAY);
    h = histogramAdd(h, MEMORY_HISTOGRAM, 5e8, 1, DAY);
    h = histogramSubtract(h, MEMORY_HISTOGRAM, 5e8, 1, DAY);
    expect(Object.keys(h.w)).toEqual([String(bucketOf(MEMORY_HISTOGRAM, 3e8))]);
    expect(histogramPercentile(h, MEMORY_HISTOGRAM, 0.99)).toBeCloseTo(
      bucketStart(MEMORY_HISTOGRAM, bucketOf(MEMORY_HISTOGRAM, 3e8) + 1),
      3,
    );
  });
});
