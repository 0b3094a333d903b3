/**
 * The canonical model every stage speaks. Times are epoch milliseconds (`…Ms`, `ts`),
 * durations carry their unit in the name.
 */

/** A workload: `namespace/name` is its key; `cluster` is kept apart when known. */
export interface ServiceId {
  namespace: string;
  name: string;
  cluster?: string;
}

/** The key of a service everywhere (Kafka message key, Redis hash tag, maps): `namespace/name`. */
export const serviceKey = (s: Pick<ServiceId, 'namespace' | 'name'>): string => `${s.namespace}/${s.name}`;

/** Parses `namespace/name` (a bare name lands in namespace `default`). */
export function parseServiceKey(key: string): ServiceId {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: 'default', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** A gauge observation of any metric (replay's canonical record). */
export interface Sample {
  ts: number;
  service: ServiceId;
  metric: string;
  value: number;
}

/**
 * One cAdvisor stats point of one container, already in meshwatch units.
 * Counters are cumulative since the container started; gauges are instantaneous.
 * A key absent from `counters`/`gauges` was not collected (cAdvisor zero-fills structs).
 */
export interface ContainerStats {
  ts: number;
  service: ServiceId;
  /** Stable per container instance (pod/container or runtime id): counter rates are per container. */
  container: string;
  counters: Partial<Record<CounterName, number>>;
  gauges: Partial<Record<ContainerGaugeName, number>>;
}

export const COUNTER_NAMES = [
  'cpu_usage_ns',
  'cpu_cfs_periods',
  'cpu_cfs_throttled_periods',
  'network_rx_bytes',
  'network_tx_bytes',
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export const CONTAINER_GAUGE_NAMES = ['memory_working_set_bytes', 'memory_limit_bytes', 'fs_usage_bytes', 'processes'] as const;
export type ContainerGaugeName = (typeof CONTAINER_GAUGE_NAMES)[number];

/** One request/connection seen by an Envoy sidecar (Istio access log). */
export interface RequestRecord {
  ts: number;
  /** The workload whose sidecar logged the request. */
  service: ServiceId;
  /** outbound: `service` called `peer`; inbound: `peer` called `service`. */
  direction: 'inbound' | 'outbound';
  /** The other side, when it could be named (`namespace/name` or an external host). */
  peer?: ServiceId;
  protocol: string;
  /** HTTP status; 0 when none (TCP, reset before response). */
  status: number;
  /** 5xx, or a connection-level failure (response flags such as UF, UH, URX). */
  isError: boolean;
  durationMs: number;
  bytesReceived: number;
  bytesSent: number;
}

/** A decoded record, ready for windowing. */
export type Observation =
  { kind: 'sample'; sample: Sample } | { kind: 'container'; stats: ContainerStats } | { kind: 'request'; request: RequestRecord };

/** Event time of an observation (ms). */
export function eventTimeOf(o: Observation): number {
  switch (o.kind) {
    case 'sample':
      return o.sample.ts;
    case 'container':
      return o.stats.ts;
    case 'request':
      return o.request.ts;
  }
}

/** The per-window metrics meshwatch derives; these names are part of the alert schema. */
export const WINDOW_METRICS = [
  'requests_per_s',
  'error_ratio',
  'latency_p50_ms',
  'latency_p99_ms',
  'bytes_in_per_s',
  'bytes_out_per_s',
  'cpu_cores',
  'cpu_throttled_ratio',
  'memory_working_set_bytes',
  'memory_limit_ratio',
  'network_rx_bytes_per_s',
  'network_tx_bytes_per_s',
  'fs_usage_bytes',
  'processes',
] as const;
export type WindowMetric = (typeof WINDOW_METRICS)[number];
