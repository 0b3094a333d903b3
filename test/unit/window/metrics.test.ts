/**
 * closeWindow: a merged partial + the previous counter points → the window's metrics.
 * Requests → rates/ratios/latency; counters → per-second rates over windows; container
 * gauges → sums of each container's mean; no data → the metric is absent, never 0.
 */
import { describe, expect, it, test } from 'vitest';
import { type Observation } from '../../../src/core/model.js';
import { WindowAggregator } from '../../../src/core/window/aggregator.js';
import { type ClosedWindow, type CounterState, closeWindow } from '../../../src/core/window/metrics.js';
import { type WindowPartial, emptyPartial } from '../../../src/core/window/partial.js';
import { SERVICE, T0, WINDOW_MS, container, request, sample } from './canonical.js';

const OPTS = { counterIdleWindows: 3 };
/** Start of window i. */
const w = (i: number): number => T0 + i * WINDOW_MS;
/** The middle of window i. */
const mid = (i: number): number => w(i) + WINDOW_MS / 2;

/** The partial of window i holding these observations. */
function partialOf(i: number, xs: Observation[]): WindowPartial {
  const agg = new WindowAggregator({ windowMs: WINDOW_MS, maxOpenPartials: 10, maxEdges: 100, maxContainers: 100, maxMetrics: 100 });
  for (const x of xs) expect(agg.add(x)).toBe(true);
  const [p, ...rest] = agg.drain();
  expect(rest).toEqual([]);
  expect(p?.windowStart ?? w(i)).toBe(w(i));
  return p ?? emptyPartial(SERVICE, w(i), WINDOW_MS);
}

/** Closes windows 0, 1, … in order, carrying the counter state; returns every window's result. */
function closeAll(windows: Observation[][], opts = OPTS): ClosedWindow[] {
  let counters: CounterState = {};
  return windows.map((xs, i) => {
    const out = closeWindow(partialOf(i, xs), counters, opts);
    counters = out.counters;
    return out;
  });
}

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('request metrics', () => {
  const latencies = Array.from({ length: 100 }, (_, k) => k + 1);
  const xs = [
    ...latencies.map((ms, k) => request(w(0) + k, { durationMs: ms, isError: k % 4 === 0, bytesReceived: 10, bytesSent: 200 })),
    // calls this service made: an edge, not requests it served
    request(w(0), { direction: 'outbound', peer: { namespace: 'shop', name: 'db' }, bytesReceived: 1e6, bytesSent: 1e6 }),
  ];
  const { metrics } = closeWindow(partialOf(0, xs), {}, OPTS);

  test.each([
    ['requests_per_s', 10],
    ['error_ratio', 0.25],
    ['bytes_in_per_s', 100],
    ['bytes_out_per_s', 2000],
  ])('%s = %d', (name, expected) => {
    expect(metrics[name]).toBe(expected);
  });

  test.each([
    ['latency_p50_ms', 50],
    ['latency_p99_ms', 99],
  ])('%s ≈ %d ms (sketch, 1 %)', (name, expected) => {
    expect(relErr(metrics[name]!, expected)).toBeLessThanOrEqual(0.01 + 1e-9);
  });

  it('has nothing but the request metrics', () => {
    expect(Object.keys(metrics).sort()).toEqual(
      ['bytes_in_per_s', 'bytes_out_per_s', 'error_ratio', 'latency_p50_ms', 'latency_p99_ms', 'requests_per_s'].sort(),
    );
  });
});

describe('counter metrics', () => {
  it('cpu_cores: the first window primes, the next one has the rate (ns/s → cores)', () => {
    const [first, second] = closeAll([[container(mid(0), 'c', { cpu_usage_ns: 1e9 })], [container(mid(1), 'c', { cpu_usage_ns: 6e9 })]]);
    expect(first?.metrics).toStrictEqual({});
    expect(first?.counters).toStrictEqual({ c: { lastWindowStart: w(0), points: { cpu_usage_ns: { ts: mid(0), v: 1e9 } } } });
    expect(second?.metrics).toStrictEqual({ cpu_cores: 0.5 });
  });

  it('cpu_cores: sums the containers of the service', () => {
    const out = closeAll([
      [container(mid(0), 'a', { cpu_usage_ns: 0 }), container(mid(0), 'b', { cpu_usage_ns: 0 })],
      [container(mid(1), 'a', { cpu_usage_ns: 2e9 }), container(mid(1), 'b', { cpu_usage_ns: 13e9 })],
    ]);
    expect(out[1]?.metrics.cpu_cores).toBe(1.5);
  });

  it('cpu_cores: a restarted container (counter went down) counts the increase since the restart', () => {
    const out = closeAll([[container(mid(0), 'c', { cpu_usage_ns: 900e9 })], [container(mid(1), 'c', { cpu_usage_ns: 3e9 })]]);
    expect(out[1]?.metrics.cpu_cores).toBe(0.3);
  });

  it('cpu_cores: several points in one window span prev → first → last', () => {
    const out = closeAll([
      [container(mid(0), 'c', { cpu_usage_ns: 0 })],
      [container(w(1) + 1000, 'c', { cpu_usage_ns: 1e9 }), container(w(1) + 9000, 'c', { cpu_usage_ns: 5e9 })],
    ]);
    // 5e9 ns over 14 s (mid(0) → w(1) + 9000)
    expect(out[1]?.metrics.cpu_cores).toBeCloseTo(5 / 14, 12);
    expect(out[1]?.counters.c?.points.cpu_usage_ns).toStrictEqual({ ts: w(1) + 9000, v: 5e9 });
  });

  it('cpu_throttled_ratio: throttled periods / periods over the window', () => {
    const out = closeAll([
      [container(mid(0), 'c', { cpu_cfs_periods: 100, cpu_cfs_throttled_periods: 10 })],
      [container(mid(1), 'c', { cpu_cfs_periods: 200, cpu_cfs_throttled_periods: 35 })],
    ]);
    expect(out[1]?.metrics).toStrictEqual({ cpu_throttled_ratio: 0.25 });
  });

  it('cpu_throttled_ratio: absent when no CFS period elapsed', () => {
    const out = closeAll([
      [container(mid(0), 'c', { cpu_cfs_periods: 100, cpu_cfs_throttled_periods: 10 })],
      [container(mid(1), 'c', { cpu_cfs_periods: 100, cpu_cfs_throttled_periods: 10 })],
    ]);
    expect(out[1]?.metrics).toStrictEqual({});
  });

  it('network rates: bytes/s summed over containers', () => {
    const out = closeAll([
      [
        container(mid(0), 'a', { network_rx_bytes: 0, network_tx_bytes: 0 }),
        container(mid(0), 'b', { network_rx_bytes: 1000, network_tx_bytes: 1000 }),
      ],
      [
        container(mid(1), 'a', { network_rx_bytes: 1e6, network_tx_bytes: 2e5 }),
        container(mid(1), 'b', { network_rx_bytes: 1000 + 5e5, network_tx_bytes: 1000 }),
      ],
    ]);
    expect(out[1]?.metrics).toStrictEqual({ network_rx_bytes_per_s: 1.5e5, network_tx_bytes_per_s: 2e4 });
  });

  test.each([
    { gapWindows: 1, rates: true },
    { gapWindows: 3, rates: true },
    { gapWindows: 4, rates: false },
  ])('a container back after $gapWindows windows (counterIdleWindows 3): rated = $rates', ({ gapWindows, rates }) => {
    const windows: Observation[][] = Array.from({ length: gapWindows + 1 }, () => []);
    windows[0] = [container(mid(0), 'c', { cpu_usage_ns: 0 })];
    windows[gapWindows] = [container(mid(gapWindows), 'c', { cpu_usage_ns: gapWindows * 1e10 })];
    const out = closeAll(windows);
    expect(out[gapWindows]?.metrics.cpu_cores).toBe(rates ? 1 : undefined);
  });

  it('forgets the counters of containers idle for counterIdleWindows, even when they do not come back', () => {
    const out = closeAll([[container(mid(0), 'old', { cpu_usage_ns: 1 })], [], [], [], [sample(w(4), 'm', 1)]]);
    expect(Object.keys(out[3]!.counters)).toEqual(['old']);
    expect(out[4]!.counters).toStrictEqual({});
  });
});

describe('gauge metrics', () => {
  it('memory and fs: the sum over containers of each container’s mean', () => {
    const { metrics } = closeWindow(
      partialOf(0, [
        container(w(0) + 1, 'a', {}, { memory_working_set_bytes: 100, memory_limit_bytes: 1000, fs_usage_bytes: 7, processes: 3 }),
        container(w(0) + 2, 'a', {}, { memory_working_set_bytes: 200, memory_limit_bytes: 1000, fs_usage_bytes: 9, processes: 5 }),
        container(w(0) + 3, 'b', {}, { memory_working_set_bytes: 50, memory_limit_bytes: 1000 }),
      ]),
      {},
      OPTS,
    );
    expect(metrics).toStrictEqual({
      memory_working_set_bytes: 200,
      memory_limit_ratio: 0.1,
      fs_usage_bytes: 8,
      processes: 4,
    });
  });

  it('canonical samples: the window mean of each metric', () => {
    const { metrics } = closeWindow(
      partialOf(0, [sample(w(0), 'queue_depth', 3), sample(w(0) + 1, 'queue_depth', 5), sample(w(0), 'x', -1)]),
      {},
      OPTS,
    );
    expect(metrics).toStrictEqual({ queue_depth: 4, x: -1 });
  });
});

describe('absent, never 0', () => {
  test.each([
    { case: 'an empty window', xs: [], expected: {} },
    {
      case: 'only calls this service made',
      xs: [request(w(0), { direction: 'outbound', peer: { namespace: 'shop', name: 'db' } })],
      expected: {},
    },
    {
      case: 'memory without a limit',
      xs: [container(w(0), 'a', {}, { memory_working_set_bytes: 10 })],
      expected: { memory_working_set_bytes: 10 },
    },
    { case: 'a limit without memory', xs: [container(w(0), 'a', {}, { memory_limit_bytes: 10 })], expected: {} },
    { case: 'a first counter point', xs: [container(w(0), 'a', { cpu_usage_ns: 5, network_rx_bytes: 5 })], expected: {} },
  ])('$case → $expected', ({ xs, expected }) => {
    expect(closeWindow(partialOf(0, xs), {}, OPTS).metrics).toStrictEqual(expected);
  });
});
