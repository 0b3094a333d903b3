/**
 * Decaying percentile histograms, the estimator Kubernetes' Vertical Pod Autoscaler recommender
 * keeps per container and resource (kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/
 * util/{histogram,decaying_histogram,histogram_options}.go), as a plain JSON value.
 *
 * Buckets grow exponentially: bucket n ≥ 1 starts at first·(ratio^n − 1)/(ratio − 1); the last
 * bucket start is ≥ maxValue and the last bucket is open. A sample of weight w at time t adds
 * w·2^((t − ref)/halfLife) to its bucket; `ref` is a multiple of the half-life and moves forward
 * (rescaling every weight, which changes no percentile) when the exponent would pass 100.
 * `percentile(p)` is the END of the first bucket whose cumulative weight reaches p·total (the
 * start of the last bucket when it is reached there); 0 for an empty histogram. A bucket with
 * weight under `epsilon` counts as empty.
 *
 * Bounds: at most `bucketCount(opts)` buckets are stored (≈ 176 for the CPU and memory options),
 * whatever the input; add and subtract are O(1); percentile is O(buckets).
 * Values below 0 or not finite are the caller's bug: they are clamped into the first/last bucket.
 */

export interface HistogramOptions {
  /** Size of the first bucket [0, first), in the value's unit. */
  first: number;
  /** Each bucket is this much larger than the one before (1.05: 5 %). */
  ratio: number;
  /** The last bucket starts at or above this value. */
  maxValue: number;
  /** Weight under which a bucket counts as empty. */
  epsilon: number;
  /** Half-life of a sample's weight, ms. */
  halfLifeMs: number;
}

/** A decaying histogram: sparse bucket weights keyed by bucket index, their total, the decay reference time (ms). */
export interface DecayingHistogram {
  ref: number;
  total: number;
  w: Record<string, number>;
}

/** The VPA defaults (model/aggregations_config.go): 5 % buckets, 24 h half-life, epsilon = 0.001 × min sample weight. */
export const VPA_MIN_SAMPLE_WEIGHT = 0.1;
const EPSILON = 0.001 * VPA_MIN_SAMPLE_WEIGHT;
const DAY_MS = 24 * 3600 * 1000;
/** CPU in cores: 0.01 … 1000. */
export const CPU_HISTOGRAM: Readonly<HistogramOptions> = Object.freeze({
  first: 0.01,
  ratio: 1.05,
  maxValue: 1000,
  epsilon: EPSILON,
  halfLifeMs: DAY_MS,
});
/** Memory in bytes: 1e7 … 1e12. */
export const MEMORY_HISTOGRAM: Readonly<HistogramOptions> = Object.freeze({
  first: 1e7,
  ratio: 1.05,
  maxValue: 1e12,
  epsilon: EPSILON,
  halfLifeMs: DAY_MS,
});
/** Requests per second: 0.01 … 1e7. */
export const RATE_HISTOGRAM: Readonly<HistogramOptions> = Object.freeze({
  first: 0.01,
  ratio: 1.05,
  maxValue: 1e7,
  epsilon: EPSILON,
  halfLifeMs: DAY_MS,
});
/** Bytes per second: 1 … 1e12. */
export const BYTES_RATE_HISTOGRAM: Readonly<HistogramOptions> = Object.freeze({
  first: 1,
  ratio: 1.05,
  maxValue: 1e12,
  epsilon: EPSILON,
  halfLifeMs: DAY_MS,
});
/** A ratio in [0, 1]: 1e-4 … 1. */
export const RATIO_HISTOGRAM: Readonly<HistogramOptions> = Object.freeze({
  first: 1e-4,
  ratio: 1.05,
  maxValue: 1,
  epsilon: EPSILON,
  halfLifeMs: DAY_MS,
});

const MAX_DECAY_EXPONENT = 100;

export const emptyHistogram = (): DecayingHistogram => ({ ref: 0, total: 0, w: {} });

/** How many buckets these options have (the most a histogram stores). */
export const bucketCount = (o: HistogramOptions): number =>
  Math.ceil(Math.log((o.maxValue * (o.ratio - 1)) / o.first + 1) / Math.log(o.ratio)) + 1;

/** The bucket a value falls in (values outside the range fall in the first or last bucket). */
export function bucketOf(o: HistogramOptions, value: number): number {
  if (!(value >= o.first)) return 0;
  const b = Math.floor(Math.log((value * (o.ratio - 1)) / o.first + 1) / Math.log(o.ratio));
  return Math.min(b, bucketCount(o) - 1);
}

export const bucketStart = (o: HistogramOptions, bucket: number): number =>
  bucket === 0 ? 0 : (o.first * (o.ratio ** bucket - 1)) / (o.ratio - 1);

function scaled(h: DecayingHistogram, factor: number): DecayingHistogram {
  const w: Record<string, number> = {};
  for (const [b, x] of Object.entries(h.w)) w[b] = x * factor;
  return { ref: h.ref, total: h.total * factor, w };
}

/** Moves the reference time so that `ts` is within 100 half-lives of it (VPA's renormalisation). */
function decayed(h: DecayingHistogram, o: HistogramOptions, ts: number): { h: DecayingHistogram; factor: number } {
  let cur = h;
  if (cur.total === 0 && Object.keys(cur.w).length === 0) cur = { ref: Math.round(ts / o.halfLifeMs) * o.halfLifeMs, total: 0, w: {} };
  else if (ts > cur.ref + o.halfLifeMs * MAX_DECAY_EXPONENT) {
    const ref = Math.round(ts / o.halfLifeMs) * o.halfLifeMs;
    const exponent = Math.floor((cur.ref - ref) / o.halfLifeMs + 0.5);
    cur = { ...scaled(cur, 2 ** exponent), ref };
  }
  return { h: cur, factor: 2 ** ((ts - cur.ref) / o.halfLifeMs) };
}

/** Adds a sample of `weight` at time `ts` (ms). Returns a new histogram. */
export function histogramAdd(h: DecayingHistogram, o: HistogramOptions, value: number, weight: number, ts: number): DecayingHistogram {
  const { h: cur, factor } = decayed(h, o, ts);
  const b = String(bucketOf(o, value));
  const add = weight * factor;
  return { ref: cur.ref, total: cur.total + add, w: { ...cur.w, [b]: (cur.w[b] ?? 0) + add } };
}

/** Removes a sample added earlier with the same value, weight and time (a bucket never goes below 0). */
export function histogramSubtract(h: DecayingHistogram, o: HistogramOptions, value: number, weight: number, ts: number): DecayingHistogram {
  const { h: cur, factor } = decayed(h, o, ts);
  const b = String(bucketOf(o, value));
  const have = cur.w[b] ?? 0;
  let sub = weight * factor;
  if (sub > have - o.epsilon) sub = have;
  const w = { ...cur.w };
  const left = have - sub;
  if (left > 0) w[b] = left;
  else delete w[b];
  return { ref: cur.ref, total: Math.max(0, cur.total - sub), w };
}

/** Whether no bucket holds at least `epsilon`. */
export const histogramEmpty = (h: DecayingHistogram, o: HistogramOptions): boolean => !Object.values(h.w).some((x) => x >= o.epsilon);

/** The p-th percentile (p in [0, 1]) as VPA computes it: the end of the bucket reaching p·total; 0 when empty. */
export function histogramPercentile(h: DecayingHistogram, o: HistogramOptions, p: number): number {
  const filled = Object.entries(h.w)
    .filter(([, x]) => x >= o.epsilon)
    .map(([b]) => Number(b));
  if (filled.length === 0) return 0;
  const minBucket = Math.min(...filled);
  const maxBucket = Math.max(...filled);
  const threshold = p * h.total;
  let sum = 0;
  let bucket = minBucket;
  for (; bucket < maxBucket; bucket++) {
    sum += h.w[String(bucket)] ?? 0;
    if (sum >= threshold) break;
  }
  return bucket < bucketCount(o) - 1 ? bucketStart(o, bucket + 1) : bucketStart(o, bucket);
}
