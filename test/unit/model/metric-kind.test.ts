/**
 * A metric's kind from its name: Prometheus-style and CSV-style names get the policy their kind
 * calls for, floors in the name's unit; names that say nothing keep the default policy, and an
 * explicit policy always wins.
 */
import { describe, expect, it } from 'vitest';
import { inferPolicy, inferredPolicy, kindOf, parseName } from '../../../src/core/metric-kind.js';
import { DEFAULT_DETECTION, policyFor } from '../../../src/core/params.js';

describe('parseName', () => {
  it.each([
    ['PodServerLatencyP90(s)', ['pod', 'server', 'latency', 'p90'], 's'],
    ['CpuUsage(m)', ['cpu', 'usage'], 'm'],
    ['MemoryUsage(Mi)', ['memory', 'usage'], 'mi'],
    ['NodeCpuUsageRate(%)', ['node', 'cpu', 'usage', 'rate'], '%'],
    ['http_request_duration_seconds', ['http', 'request', 'duration', 'seconds'], 'seconds'],
    ['node_network_receive_bytes_total', ['node', 'network', 'receive', 'bytes', 'total'], 'bytes'],
    ['HTTPRequestsTotal', ['http', 'requests', 'total'], ''],
    ['value', ['value'], ''],
    ['requests_per_s', ['requests', 'per', 's'], ''],
  ])('%s → words %j, unit %s', (name, words, unit) => {
    expect(parseName(name)).toEqual({ words, unit });
  });
});

describe('kindOf and inferPolicy', () => {
  it.each([
    // CSV-style columns (Kubernetes / Istio exports)
    ['PodClientLatencyP99(s)', 'latency', { direction: 'up', absFloor: 0.001, relFloor: 0.05, scale: 'log' }],
    ['CpuUsage(m)', 'cpu', { direction: 'up', absFloor: 2, relFloor: 0.02 }],
    ['CpuUsageRate(%)', 'cpu', { direction: 'up', absFloor: 0.2, relFloor: 0.02 }],
    ['MemoryUsage(Mi)', 'memory', { direction: 'up', absFloor: 1, relFloor: 0.02, drift: 0.05 }],
    ['MemoryUsageRate(%)', 'memory', { direction: 'up', absFloor: 2, relFloor: 0, drift: 0.05 }],
    ['NetworkReceiveBytes', 'bytes', { direction: 'both', absFloor: 1024, relFloor: 0.05 }],
    ['SyscallWrite', 'rate', { direction: 'both', absFloor: 0.1, relFloor: 0.02 }],
    ['PodWorkload(Ops)', 'rate', { direction: 'both', absFloor: 0.1, relFloor: 0.02 }],
    ['PodSuccessRate(%)', 'success', { direction: 'down', absFloor: 2, relFloor: 0 }],
    // Prometheus-style names
    ['http_request_duration_seconds', 'latency', { direction: 'up', absFloor: 0.001, relFloor: 0.05, scale: 'log' }],
    ['grpc_server_handling_ms', 'latency', { direction: 'up', absFloor: 1, relFloor: 0.05, scale: 'log' }],
    ['process_cpu_seconds_total', 'cpu', { direction: 'up', absFloor: 0.002, relFloor: 0.02 }],
    ['container_memory_working_set_bytes', 'memory', { direction: 'up', absFloor: 1024 ** 2, relFloor: 0.02, drift: 0.05 }],
    ['node_network_transmit_bytes_total', 'bytes', { direction: 'both', absFloor: 1024, relFloor: 0.05 }],
    ['http_requests_total', 'rate', { direction: 'both', absFloor: 0.1, relFloor: 0.02 }],
    ['http_errors_total', 'errors', { direction: 'up', absFloor: 0.1, relFloor: 0.02 }],
    ['upstream_error_ratio', 'errors', { direction: 'up', absFloor: 0.02, relFloor: 0 }],
    ['disk_utilization_percent', 'ratio', { direction: 'both', absFloor: 2, relFloor: 0 }],
    ['latency_p99', 'latency', { direction: 'up', absFloor: 1, relFloor: 0.05, scale: 'log' }],
  ])('%s is %s', (name, kind, policy) => {
    expect(kindOf(name)).toBe(kind);
    expect(inferPolicy(name)).toEqual(policy);
  });

  it.each([
    ['requests_per_s', 'rate'],
    ['bytes_in_per_s', 'bytes'],
    ['latency_p99_ms', 'latency'],
    ['cpu_cores', 'cpu'],
    ['memory_working_set_bytes', 'memory'],
    ['error_ratio', 'errors'],
  ])("meshwatch's own %s is %s", (name, kind) => {
    expect(kindOf(name)).toBe(kind);
  });

  it.each(['value', 'temperature', 'queue_depth', 'disk_io_time_seconds_total', 'process_start_time_seconds_total'])(
    '%s has no kind: the default policy',
    (name) => {
      expect(kindOf(name)).toBeUndefined();
      expect(policyFor(DEFAULT_DETECTION, name)).toBe(DEFAULT_DETECTION.defaultPolicy);
    },
  );

  it('a log-scale policy always has a positive absolute floor', () => {
    for (const unit of ['s', 'ms', 'us', 'ns', 'seconds', '']) {
      const p = inferPolicy(`latency(${unit})`);
      expect(p?.scale).toBe('log');
      expect(p?.absFloor).toBeGreaterThan(0);
    }
  });

  it('the floors follow the unit: the same latency in s and ms has the same floor in ms', () => {
    expect((inferPolicy('latency(s)')?.absFloor ?? 0) * 1000).toBeCloseTo(inferPolicy('latency(ms)')?.absFloor ?? 0);
    expect((inferPolicy('memory(Ki)')?.absFloor ?? 0) * 1024).toBeCloseTo(inferPolicy('memory_bytes')?.absFloor ?? 0);
  });
});

describe('policyFor', () => {
  it('an explicit policy wins over the inferred one', () => {
    const mine = { direction: 'both' as const, absFloor: 5, relFloor: 0.5 };
    const d = { ...DEFAULT_DETECTION, metrics: { ...DEFAULT_DETECTION.metrics, 'CpuUsage(m)': mine } };
    expect(policyFor(d, 'CpuUsage(m)')).toBe(mine);
    expect(policyFor(DEFAULT_DETECTION, 'CpuUsage(m)')).toEqual(inferPolicy('CpuUsage(m)'));
  });

  it("meshwatch's own metrics keep their own policies", () => {
    for (const [m, p] of Object.entries(DEFAULT_DETECTION.metrics)) expect(policyFor(DEFAULT_DETECTION, m)).toBe(p);
  });

  it('remembers a name once parsed (same object)', () => {
    expect(inferredPolicy('PodServerLatencyP90(s)')).toBe(inferredPolicy('PodServerLatencyP90(s)'));
  });
});
