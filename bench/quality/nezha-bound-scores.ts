/**
 * Per-metric deviation scores for the nezha-dev hindsight bound (`nezha-bound.ts`). Pure
 * functions over arrays of 1-minute samples; no I/O.
 *
 * A series' score at minute i is a robust z: |x_i − median| / scale, where the median and scale
 * come from a reference set of the same series:
 *
 * - `rolling N`: the up to N non-missing samples before i (causal; needs `minHistory` of them,
 *   else the minute is not judged: score 0);
 * - `fault-free`: every fault-free sample of the whole day (hindsight: an oracle that knows which
 *   minutes are normal and sees the future).
 *
 * scale = max(1.4826 · MAD, 1.2533 · mean |x − median|, floor, 1e-9 · |median|, 1e-12): the MAD,
 * with the mean absolute deviation as a fallback when more than half the reference is one value
 * (coarse latency quantiles, idle counters), so a single change on a flat series is a large z, not
 * ∞; `floor` (in the metric's unit, default 0) plays the part of meshwatch's per-metric floors.
 * A missing sample (NaN) scores 0 and does not enter any reference.
 */

/** The scale of a sorted, non-empty reference around its median. */
export function robustStats(sorted: readonly number[], floor = 0): { median: number; scale: number } {
  const m = sorted.length;
  const h = m >> 1;
  const median = m % 2 === 1 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
  // median of |x − median| by merging the two sides outward from the median
  let r = lowerBound(sorted, median);
  let l = r - 1;
  const devs: number[] = [];
  const need = h + 1;
  while (devs.length < need && (l >= 0 || r < m)) {
    const dl = l >= 0 ? median - sorted[l]! : Infinity;
    const dr = r < m ? sorted[r]! - median : Infinity;
    if (dl <= dr) {
      devs.push(dl);
      l--;
    } else {
      devs.push(dr);
      r++;
    }
  }
  const mad = m % 2 === 1 ? devs[h]! : (devs[h - 1]! + devs[h]!) / 2;
  let sumAbs = 0;
  for (const x of sorted) sumAbs += Math.abs(x - median);
  const scale = Math.max(1.4826 * mad, (1.2533 * sumAbs) / m, floor, 1e-9 * Math.abs(median), 1e-12);
  return { median, scale };
}

/** The first index of sorted `arr` whose value is at least `x` (arr.length when none). */
export function lowerBound(arr: readonly number[], x: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** |z| of each sample against the median/scale of the up to `n` samples before it. */
export function rollingZ(values: Float64Array, n: number, minHistory: number, floor = 0): Float64Array {
  const out = new Float64Array(values.length);
  const sorted: number[] = [];
  const fifo: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isNaN(x)) continue;
    if (sorted.length >= minHistory) {
      const { median, scale } = robustStats(sorted, floor);
      out[i] = x === median ? 0 : Math.abs(x - median) / scale;
    }
    sorted.splice(lowerBound(sorted, x), 0, x);
    fifo.push(x);
    if (fifo.length > n) sorted.splice(lowerBound(sorted, fifo.shift()!), 1);
  }
  return out;
}

/** |z| of each sample against the median/scale of the samples where `reference` is true. */
export function referenceZ(values: Float64Array, reference: Uint8Array, floor = 0): Float64Array {
  const out = new Float64Array(values.length);
  const ref: number[] = [];
  values.forEach((x, i) => {
    if (reference[i] && !Number.isNaN(x)) ref.push(x);
  });
  if (ref.length === 0) return out;
  ref.sort((a, b) => a - b);
  const { median, scale } = robustStats(ref, floor);
  values.forEach((x, i) => {
    if (!Number.isNaN(x)) out[i] = x === median ? 0 : Math.abs(x - median) / scale;
  });
  return out;
}

/** How one service's per-metric |z| become its score for a minute. */
export type Aggregate = { kind: 'max' } | { kind: 'top2' } | { kind: 'count'; over: number };

export const aggregateName = (a: Aggregate): string =>
  a.kind === 'count' ? `count(|z|≥${a.over})` : a.kind === 'top2' ? 'top-2 mean' : 'max';

/** The service's score per minute from its metrics' |z| (all of one length). */
export function aggregate(zs: readonly Float64Array[], a: Aggregate): Float64Array {
  const n = zs[0]?.length ?? 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let first = 0;
    let second = 0;
    let count = 0;
    for (const z of zs) {
      const v = z[i]!;
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) second = v;
      if (a.kind === 'count' && v >= a.over) count++;
    }
    out[i] = a.kind === 'max' ? first : a.kind === 'top2' ? (first + second) / 2 : count;
  }
  return out;
}
