/**
 * Closing a window: a merged WindowPartial plus the previous counter points → the
 * per-service metric values of that window (names in WINDOW_METRICS, plus any canonical
 * sample metric as its window mean). A metric with no data in the window is absent, never 0.
 *
 * Units: *_per_s per second of event time; cpu_cores = CPU-seconds per second;
 * latency ms; ratios in [0, 1]; memory/fs bytes (sum over containers of each one's mean).
 *
 * Each metric that stands on a number of events carries that number in `samples`
 * (detect/sampling.ts judges with it): the error ratio its errors and requests, the throttled
 * ratio its throttled periods and periods, the request rate its request count and the window's
 * seconds, the latency quantiles their sketch. Canonical samples carry none.
 */
import { type CounterName } from '../model.js';
import { type CounterPoint, type WindowPartial } from './partial.js';
import { type Increase, increaseOf, perSecond } from './rates.js';
import { type Sketch, sketchQuantile } from './sketch.js';

/** Last counter points per container, carried from window to window. */
export type CounterState = Record<string, { lastWindowStart: number; points: Partial<Record<CounterName, CounterPoint>> }>;

/** The data a window metric stands on: how many trials, events or observations. */
export type SampleSize =
  /** `k` of `n` trials (errors of requests, throttled periods of periods). */
  | { kind: 'proportion'; k: number; n: number }
  /** `n` events in `seconds` (requests). */
  | { kind: 'count'; n: number; seconds: number }
  /** The `q`-quantile of the observations in `sketch`. */
  | { kind: 'quantile'; q: number; sketch: Sketch };

export interface ClosedWindow {
  metrics: Record<string, number>;
  /** The sample size behind each metric that has one (see the header). */
  samples: Record<string, SampleSize>;
  counters: CounterState;
}

export interface CloseOptions {
  /** Containers unseen for this many windows are forgotten (restarts leave old ids behind). */
  counterIdleWindows: number;
}

export function closeWindow(p: WindowPartial, prev: CounterState, opts: CloseOptions): ClosedWindow {
  const metrics: Record<string, number> = {};
  const samples: Record<string, SampleSize> = {};
  const windowS = p.windowMs / 1000;

  for (const [name, g] of Object.entries(p.gauges)) metrics[name] = g.sum / g.n;

  const q = p.requests;
  if (q && q.n > 0) {
    metrics.requests_per_s = q.n / windowS;
    metrics.error_ratio = q.errors / q.n;
    metrics.bytes_in_per_s = q.bytesIn / windowS;
    metrics.bytes_out_per_s = q.bytesOut / windowS;
    samples.requests_per_s = { kind: 'count', n: q.n, seconds: windowS };
    samples.error_ratio = { kind: 'proportion', k: q.errors, n: q.n };
    const p50 = sketchQuantile(q.latencyMs, 0.5);
    const p99 = sketchQuantile(q.latencyMs, 0.99);
    if (p50 !== undefined) {
      metrics.latency_p50_ms = p50;
      samples.latency_p50_ms = { kind: 'quantile', q: 0.5, sketch: q.latencyMs };
    }
    if (p99 !== undefined) {
      metrics.latency_p99_ms = p99;
      samples.latency_p99_ms = { kind: 'quantile', q: 0.99, sketch: q.latencyMs };
    }
  }

  const counters: CounterState = {};
  for (const [id, c] of Object.entries(prev)) {
    if (p.windowStart - c.lastWindowStart <= opts.counterIdleWindows * p.windowMs) counters[id] = c;
  }

  const rate: Partial<Record<CounterName, number>> = {};
  const inc: Partial<Record<CounterName, Increase>> = {};
  const gaugeSum: Record<string, number> = {};
  for (const [id, c] of Object.entries(p.containers)) {
    for (const [name, g] of Object.entries(c.gauges)) gaugeSum[name] = (gaugeSum[name] ?? 0) + g.sum / g.n;
    const before = counters[id]?.points ?? {};
    const points: Partial<Record<CounterName, CounterPoint>> = { ...before };
    for (const [name, span] of Object.entries(c.counters) as [CounterName, NonNullable<(typeof c.counters)[CounterName]>][]) {
      const i = increaseOf(before[name], span);
      if (i) {
        rate[name] = (rate[name] ?? 0) + perSecond(i);
        const acc = inc[name];
        inc[name] = acc ? { delta: acc.delta + i.delta, elapsedMs: Math.max(acc.elapsedMs, i.elapsedMs) } : i;
      }
      const last = before[name];
      points[name] = last && last.ts >= span.last.ts ? last : span.last;
    }
    counters[id] = { lastWindowStart: Math.max(p.windowStart, counters[id]?.lastWindowStart ?? -Infinity), points };
  }

  if (rate.cpu_usage_ns !== undefined) metrics.cpu_cores = rate.cpu_usage_ns / 1e9;
  if (rate.network_rx_bytes !== undefined) metrics.network_rx_bytes_per_s = rate.network_rx_bytes;
  if (rate.network_tx_bytes !== undefined) metrics.network_tx_bytes_per_s = rate.network_tx_bytes;
  const periods = inc.cpu_cfs_periods?.delta ?? 0;
  if (periods > 0) {
    const throttled = Math.min(periods, inc.cpu_cfs_throttled_periods?.delta ?? 0);
    metrics.cpu_throttled_ratio = throttled / periods;
    samples.cpu_throttled_ratio = { kind: 'proportion', k: throttled, n: periods };
  }

  if (gaugeSum.memory_working_set_bytes !== undefined) metrics.memory_working_set_bytes = gaugeSum.memory_working_set_bytes;
  if (gaugeSum.memory_limit_bytes && gaugeSum.memory_working_set_bytes !== undefined) {
    metrics.memory_limit_ratio = gaugeSum.memory_working_set_bytes / gaugeSum.memory_limit_bytes;
  }
  if (gaugeSum.fs_usage_bytes !== undefined) metrics.fs_usage_bytes = gaugeSum.fs_usage_bytes;
  if (gaugeSum.processes !== undefined) metrics.processes = gaugeSum.processes;

  return { metrics, samples, counters };
}
