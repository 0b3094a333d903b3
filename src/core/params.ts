/**
 * Detection parameters (pure values; src/config parses and validates them from user input).
 * Window counts are in windows of `windowMs`.
 */

export type Direction = 'up' | 'down' | 'both';

export interface MetricPolicy {
  /** Which deviations matter: error ratio only upward, request rate both ways, … */
  direction: Direction;
  /** Smallest deviation that can matter, in the metric's unit (its resolution / noise floor). */
  absFloor: number;
  /** Smallest deviation that can matter relative to the level (0.1 = 10 %). */
  relFloor: number;
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
  /** Per-metric policy; metrics not named use `defaultPolicy`. */
  metrics: Record<string, MetricPolicy>;
  defaultPolicy: MetricPolicy;
}

const up = (absFloor: number, relFloor = 0.1): MetricPolicy => ({ direction: 'up', absFloor, relFloor });
const both = (absFloor: number, relFloor = 0.1): MetricPolicy => ({ direction: 'both', absFloor, relFloor });

const MIB = 1024 * 1024;

export const DEFAULT_METRIC_POLICIES: Record<string, MetricPolicy> = {
  requests_per_s: both(0.5, 0.2),
  error_ratio: up(0.02, 0),
  latency_p50_ms: up(2, 0.2),
  latency_p99_ms: up(5, 0.25),
  bytes_in_per_s: both(4096, 0.25),
  bytes_out_per_s: both(4096, 0.25),
  cpu_cores: up(0.02, 0.15),
  cpu_throttled_ratio: up(0.05, 0),
  memory_working_set_bytes: up(8 * MIB, 0.1),
  memory_limit_ratio: up(0.05, 0),
  network_rx_bytes_per_s: both(8192, 0.25),
  network_tx_bytes_per_s: up(8192, 0.25),
  fs_usage_bytes: up(16 * MIB, 0.1),
  processes: up(2, 0.2),
};

export const DEFAULT_DETECTION: DetectionParams = {
  threshold: 4,
  strongThreshold: 8,
  persistWindows: 2,
  resolveWindows: 3,
  warmupWindows: 30,
  halfLifeWindows: 60,
  levelShiftWindows: 60,
  metrics: DEFAULT_METRIC_POLICIES,
  defaultPolicy: both(0, 0.05),
};

export const policyFor = (p: DetectionParams, metric: string): MetricPolicy => p.metrics[metric] ?? p.defaultPolicy;
