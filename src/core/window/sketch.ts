/**
 * Mergeable latency sketch: a log-bucketed histogram with bounded relative error
 * (DDSketch's mapping). Values are milliseconds ≥ 0; quantiles are within `alpha`
 * relative error of the true value. `merge` is exact (bucket counts add), so the
 * sketch of a union equals the merge of the sketches, whatever the split.
 *
 * Bounded: at most `MAX_BUCKETS` buckets; beyond that the two lowest collapse
 * (low quantiles lose accuracy first, p99 is kept).
 */

export const SKETCH_ALPHA = 0.01;
const GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this land in the zero bucket (1 µs). */
const MIN_VALUE_MS = 0.001;
const MAX_BUCKETS = 2048;

/** Wire form: bucket index → count, plus the zero bucket. Plain JSON. */
export interface Sketch {
  n: number;
  zero: number;
  buckets: Record<string, number>;
}

export const emptySketch = (): Sketch => ({ n: 0, zero: 0, buckets: {} });

const indexOf = (valueMs: number): number => Math.ceil(Math.log(valueMs) / LOG_GAMMA);

/** Adds one value in place (the sketch is owned by its window while it is open). */
export function sketchAdd(s: Sketch, valueMs: number, count = 1): void {
  s.n += count;
  if (!(valueMs > MIN_VALUE_MS)) {
    s.zero += count;
    return;
  }
  const k = String(indexOf(valueMs));
  s.buckets[k] = (s.buckets[k] ?? 0) + count;
  if (Object.keys(s.buckets).length > MAX_BUCKETS) collapseLowest(s);
}

function collapseLowest(s: Sketch): void {
  const keys = Object.keys(s.buckets)
    .map(Number)
    .sort((a, b) => a - b);
  const [lo, next] = keys;
  if (lo === undefined || next === undefined) return;
  s.buckets[String(next)] = (s.buckets[String(next)] ?? 0) + (s.buckets[String(lo)] ?? 0);
  delete s.buckets[String(lo)];
}

/** A new sketch holding both inputs; neither input is changed. */
export function sketchMerge(a: Sketch, b: Sketch): Sketch {
  const out: Sketch = { n: a.n + b.n, zero: a.zero + b.zero, buckets: { ...a.buckets } };
  for (const [k, c] of Object.entries(b.buckets)) out.buckets[k] = (out.buckets[k] ?? 0) + c;
  while (Object.keys(out.buckets).length > MAX_BUCKETS) collapseLowest(out);
  return out;
}

/** The q-quantile (0 ≤ q ≤ 1) in ms, or undefined for an empty sketch. */
export function sketchQuantile(s: Sketch, q: number): number | undefined {
  if (s.n === 0) return undefined;
  const rank = q * (s.n - 1);
  if (rank < s.zero) return 0;
  let seen = s.zero;
  const keys = Object.keys(s.buckets)
    .map(Number)
    .sort((a, b) => a - b);
  for (const k of keys) {
    seen += s.buckets[String(k)] ?? 0;
    if (seen > rank) return (2 * Math.pow(GAMMA, k)) / (GAMMA + 1);
  }
  const last = keys[keys.length - 1];
  return last === undefined ? 0 : (2 * Math.pow(GAMMA, last)) / (GAMMA + 1);
}

/**
 * How many values the sketch holds above `valueMs`, to the sketch's resolution: the values of
 * buckets wholly above it (those of its own bucket, within `alpha` of it, are not counted).
 * O(buckets), no allocation.
 */
export function sketchCountAbove(s: Sketch, valueMs: number): number {
  if (!(valueMs > MIN_VALUE_MS)) return s.n - s.zero;
  const at = indexOf(valueMs);
  let above = 0;
  for (const k in s.buckets) if (Number(k) > at) above += s.buckets[k] ?? 0;
  return above;
}
