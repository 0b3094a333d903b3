/**
 * Stage-1 state for Prometheus samples that arrive one per message (prometheus-kafka-adapter):
 * cumulative counters -> increases, and classic histogram buckets (`le`, cumulative) ->
 * per-bucket counts. Pure (time is the samples' own timestamp); the only state decoding keeps.
 *
 * Counters (formats.md §6.1): per series, the last `(ts, value)`; the first point only primes;
 * a later point adds `value - last` (a decrease is a reset: the new value is the increase); a
 * point at or before the last one (duplicate, reordering, a second scrape inside the adapter's
 * one-second resolution) adds nothing and is not kept. A stale marker (`NaN`) ends the series.
 *
 * Histograms: all buckets of one scrape carry the same timestamp but arrive as separate
 * messages, in any order. Each bucket's increase is kept per (histogram series, `le`); a
 * bucket's own count `inc(le) - inc(next lower le)` is handed out once both are known for
 * that timestamp (the lowest bucket at once). Bounds are compared numerically (`25` = `25.0`).
 *
 * Bounded: at most `maxSeries` counters and `maxSeries` histograms (least recently used first
 * out, counted in `evicted`), at most `MAX_BUCKETS` bounds per histogram.
 */

interface Point {
  ts: number;
  v: number;
}

interface BucketPoint {
  ts: number;
  /** Increase of the cumulative bucket at `ts`; undefined on a priming point. */
  inc: number | undefined;
  /** Its own count was handed out for `ts`. */
  done: boolean;
}

/** One bucket's own count for a scrape: requests in (`lo`, `le`]. */
export interface BucketCount {
  lo: number;
  le: number;
  count: number;
}

export const MAX_BUCKETS = 64;

export class SeriesState {
  private readonly counters = new Map<string, Point>();
  private readonly histograms = new Map<string, Map<number, BucketPoint>>();
  /** Series forgotten because a bound was reached. */
  evicted = 0;

  constructor(readonly maxSeries: number) {}

  get size(): number {
    return this.counters.size + this.histograms.size;
  }

  private touch<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > this.maxSeries) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
      this.evicted++;
    }
  }

  /** The increase since this series' previous point, or undefined (first point, duplicate, reordered). */
  increase(key: string, ts: number, v: number): number | undefined {
    const last = this.counters.get(key);
    if (last !== undefined && ts <= last.ts) return undefined;
    this.touch(this.counters, key, { ts, v });
    if (last === undefined) return undefined;
    return v >= last.v ? v - last.v : v;
  }

  /** A stale marker: the series ended (its container is gone); the next point primes again. */
  end(key: string): void {
    this.counters.delete(key);
  }

  /**
   * One cumulative bucket's increase (`inc`, undefined when its counter only primed) for the
   * histogram `group` at `ts`: the bucket counts now complete (this bucket's, and the next
   * higher one's if it was waiting for this one).
   */
  bucket(group: string, le: number, ts: number, inc: number | undefined): BucketCount[] {
    let buckets = this.histograms.get(group);
    if (buckets === undefined) buckets = new Map();
    this.touch(this.histograms, group, buckets);
    const known = buckets.get(le);
    if (known !== undefined && ts < known.ts) return [];
    if (known === undefined && buckets.size >= MAX_BUCKETS) return [];
    buckets.set(le, { ts, inc, done: false });
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    const i = bounds.indexOf(le);
    const out: BucketCount[] = [];
    const settle = (k: number): void => {
      const hi = bounds[k] as number;
      const p = buckets.get(hi);
      if (p === undefined || p.done || p.ts !== ts || p.inc === undefined) return;
      const loBound = k > 0 ? (bounds[k - 1] as number) : 0;
      const below = k > 0 ? buckets.get(loBound) : undefined;
      if (k > 0 && (below === undefined || below.ts !== ts || below.inc === undefined)) return;
      p.done = true;
      const count = p.inc - (below?.inc ?? 0);
      if (count > 0) out.push({ lo: loBound, le: hi, count });
    };
    settle(i);
    if (i + 1 < bounds.length) settle(i + 1);
    return out;
  }
}
