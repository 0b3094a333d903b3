/**
 * Detection parameters (pure values; src/config parses and validates them from user input).
 * Window counts are in windows of `windowMs`.
 */
import { inferredPolicy } from './metric-kind.js';
import { hasAnyKey } from './model.js';

export type Direction = 'up' | 'down' | 'both';

export interface MetricPolicy {
  /** Which deviations matter: error ratio only upward, request rate both ways, … */
  direction: Direction;
  /** Smallest deviation that can matter, in the metric's unit (its resolution / noise floor). */
  absFloor: number;
  /** Smallest deviation that can matter relative to the level (0.1 = 10 %). */
  relFloor: number;
  /**
   * Runaway climb (leaks): alert when the fast level stays this fraction above the slow
   * level (0 = off). For metrics that fail by creeping up: memory, disk.
   */
  drift?: number;
  /**
   * The scale the metric is judged on (detect/scale.ts): `linear` (the default) or `log`, for
   * metrics whose noise is multiplicative (latency); `log` needs absFloor > 0.
   */
  scale?: 'linear' | 'log';
}

export interface DetectionParams {
  /** |z| at or above which a window is anomalous. */
  threshold: number;
  /** |z| at or above which one window is enough (no persistence wait). */
  strongThreshold: number;
  /** Consecutive anomalous windows before an episode fires. */
  persistWindows: number;
  /** Consecutive normal windows before a firing episode resolves. */
  resolveWindows: number;
  /** Windows a baseline must have learned before it judges. */
  warmupWindows: number;
  /** Half-life of the baseline's memory, in windows. */
  halfLifeWindows: number;
  /** An anomaly that lasts this many windows is a level shift: it becomes the new normal. */
  levelShiftWindows: number;
  /** Half-life of the slow level (runaway/leak detection and the seasonal reference), in windows. */
  slowHalfLifeWindows: number;
  /** Hour-of-day/-week profiles: `auto` uses them once established; `off` never. */
  seasonality: 'auto' | 'off';
  /** Days a bucket must have been seen before its hour-of-day offset applies. */
  seasonMinDays: number;
  /** Quantile of |z| over normal windows that the detector learns; the bar rises for heavy tails. */
  tailQuantile: number;
  /**
   * How unusual the short average of |z| must be for this series (in long-run standard
   * deviations of that average) before a window counts as anomalous. It also sets the bars of
   * the multi-window tests (sustained: 2×, drift: 1.5×, see detect/deviation.ts). 0 = off: each
   * window is judged alone against the band.
   */
  surpriseThreshold: number;
  /** A metric that returns after a gap longer than this (in windows) is `stale`: learned, not judged. */
  staleAfterWindows: number;
  /**
   * Service-level corroboration (detect/corroboration.ts): `service` (the default) lets a lone
   * kind of signal's single window fire only by persistence, and a series that jumps far as a
   * habit (detect/habit.ts) fire only while another kind of signal of the service moves with it;
   * `off` judges each metric alone.
   */
  corroboration: 'service' | 'off';
  /** After an episode resolves, the same (kind, metric) cannot fire again for this many windows. */
  cooldownWindows: number;
  /** Per-metric policy; metrics not named use the policy their name's kind calls for (metric-kind.ts), else `defaultPolicy`. */
  metrics: Record<string, MetricPolicy>;
  defaultPolicy: MetricPolicy;
  /** Per-service sensitivity (`serviceKey()` → overrides), applied over the global values. */
  services?: Record<string, ServiceSensitivity>;
}

/** What one service may override: the decision knobs and per-metric policies. */
export interface ServiceSensitivity {
  threshold?: number;
  strongThreshold?: number;
  persistWindows?: number;
  resolveWindows?: number;
  surpriseThreshold?: number;
  metrics?: Record<string, MetricPolicy>;
}

/** The detection parameters in force for one service. */
export function detectionFor(d: DetectionParams, serviceKey: string): DetectionParams {
  // Most configurations have no per-service settings: skip the keyed lookup (it hashes the key).
  if (d.services === undefined || !hasAnyKey(d.services)) return d;
  const o = d.services[serviceKey];
  if (!o) return d;
  const { metrics, ...knobs } = o;
  return { ...d, ...knobs, metrics: metrics ? { ...d.metrics, ...metrics } : d.metrics };
}

const up = (absFloor: number, relFloor = 0.1, drift = 0): MetricPolicy => ({
  direction: 'up',
  absFloor,
  relFloor,
  ...(drift ? { drift } : {}),
});
const logUp = (absFloor: number, relFloor: number): MetricPolicy => ({ ...up(absFloor, relFloor), scale: 'log' });
const both = (absFloor: number, relFloor = 0.1): MetricPolicy => ({ direction: 'both', absFloor, relFloor });

const MIB = 1024 * 1024;

/**
 * Per-metric defaults. Latency floors at 1 ms: Envoy logs durations in whole milliseconds, so a
 * window's quantile cannot resolve less; above that the relative floor (5 %) and the noise decide.
 * Latency is judged on the log scale (its noise is multiplicative: detect/scale.ts).
 */
export const DEFAULT_METRIC_POLICIES: Record<string, MetricPolicy> = {
  requests_per_s: both(0.1, 0.02),
  error_ratio: up(0.02, 0),
  latency_p50_ms: logUp(1, 0.05),
  latency_p99_ms: logUp(1, 0.05),
  bytes_in_per_s: both(1024, 0.05),
  bytes_out_per_s: both(1024, 0.05),
  cpu_cores: up(0.002, 0.02),
  cpu_throttled_ratio: up(0.05, 0),
  memory_working_set_bytes: up(MIB, 0.02, 0.05),
  memory_limit_ratio: up(0.02, 0, 0.05),
  network_rx_bytes_per_s: both(1024, 0.05),
  network_tx_bytes_per_s: up(1024, 0.05),
  fs_usage_bytes: up(MIB, 0.02, 0.05),
  processes: up(1, 0.05),
};

export const DEFAULT_DETECTION: DetectionParams = {
  threshold: 4,
  strongThreshold: 8,
  persistWindows: 2,
  resolveWindows: 3,
  warmupWindows: 30,
  halfLifeWindows: 60,
  levelShiftWindows: 60,
  slowHalfLifeWindows: 8640,
  seasonality: 'auto',
  seasonMinDays: 2,
  tailQuantile: 0.999,
  surpriseThreshold: 4,
  corroboration: 'service',
  cooldownWindows: 0,
  staleAfterWindows: 8640,
  metrics: DEFAULT_METRIC_POLICIES,
  defaultPolicy: both(0, 0.01),
};

/**
 * The policy of a metric: the one configured for it, else the one its name's kind and unit call
 * for (metric-kind.ts: `PodServerLatencyP90(s)` is a latency in seconds), else `defaultPolicy`.
 */
export const policyFor = (p: DetectionParams, metric: string): MetricPolicy =>
  p.metrics[metric] ?? inferredPolicy(metric) ?? p.defaultPolicy;
