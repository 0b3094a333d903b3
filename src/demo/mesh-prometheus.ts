/**
 * The synthetic mesh of mesh.ts as prometheus-kafka-adapter would deliver it (formats.md §4.4,
 * §5.2, §2): the same requests and container stats, seen through Prometheus instead of access
 * logs and cAdvisor's Kafka driver.
 *
 * Fed each window's messages (`SyntheticMesh.window`) in order, it keeps Istio's cumulative
 * counters per series and, at every scrape (every `scrapeMs`, second-aligned), emits one adapter
 * message per series: `istio_requests_total`, `istio_request_duration_milliseconds_bucket`
 * (Envoy's default buckets), `istio_request_bytes_sum`, `istio_response_bytes_sum`, both
 * reporters (the client's line is `source`, the server's `destination`, joined by request id).
 * Each cAdvisor message becomes kubelet-style `container_*` samples at its own sample time
 * (truncated to the second, as the adapter does): CPU and working set of the app container,
 * pod network on the sandbox (`container=""`). Deterministic; no clock.
 */
import { NAMESPACE, type WindowMessages } from './mesh.js';

/** Envoy's default histogram buckets (ms), formats.md §5.1. */
export const ENVOY_BUCKETS_MS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

interface Event {
  ts: number;
  reporter: 'source' | 'destination';
  source: string;
  destination: string;
  code: number;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
}

type Labels = Record<string, string>;

const secondIso = (ms: number): string => `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;

/** `FormatFloat(v, 'f', -1, 64)`: no exponent. */
const formatFloat = (v: number): string => (Number.isInteger(v) ? v.toFixed(0) : String(v));

export const adapterMessage = (labels: Labels, ms: number, value: number | string): string =>
  JSON.stringify({
    labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    name: labels.__name__,
    timestamp: secondIso(ms),
    value: typeof value === 'string' ? value : formatFloat(value),
  });

const hostOf = (cluster: string): string => (cluster.split('|')[3] ?? '').split('.')[0] ?? '';

export class PrometheusMesh {
  private readonly counters = new Map<string, { labels: Labels; value: number }>();
  private pending: Event[] = [];
  private readonly callers = new Map<string, string>();

  constructor(
    private readonly windowMs: number,
    private readonly scrapeMs = 5000,
  ) {}

  /** The adapter messages of one window, given the same window's access-log + cAdvisor messages. */
  window(baseMs: number, index: number, w: WindowMessages): string[] {
    const out: string[] = [];
    for (const m of w.envoy) this.readLog(m);
    for (const m of w.cadvisor) out.push(...this.readStats(m));
    const start = baseMs + index * this.windowMs;
    this.pending.sort((a, b) => a.ts - b.ts);
    for (let t = start + this.scrapeMs - 1000; t < start + this.windowMs; t += this.scrapeMs) {
      let n = 0;
      while (n < this.pending.length && (this.pending[n] as Event).ts <= t) this.count(this.pending[n++] as Event);
      this.pending = this.pending.slice(n);
      for (const { labels, value } of this.counters.values()) out.push(adapterMessage(labels, t, value));
    }
    return out;
  }

  private readLog(message: string): void {
    const rec = JSON.parse(message) as { log: string; kubernetes: { labels: Labels } };
    const line = JSON.parse(rec.log) as Record<string, string | number>;
    const self = rec.kubernetes.labels['service.istio.io/canonical-name'] ?? '';
    const cluster = String(line.upstream_cluster);
    const outbound = cluster.startsWith('outbound|');
    const requestId = String(line.request_id);
    if (outbound) this.callers.set(requestId, self);
    const source = outbound ? self : (this.callers.get(requestId) ?? 'unknown');
    if (!outbound) this.callers.delete(requestId);
    this.pending.push({
      ts: Date.parse(String(line.start_time)),
      reporter: outbound ? 'source' : 'destination',
      source,
      destination: outbound ? hostOf(cluster) : self,
      code: Number(line.response_code),
      durationMs: Number(line.duration),
      bytesIn: Number(line.bytes_received),
      bytesOut: Number(line.bytes_sent),
    });
  }

  private add(labels: Labels, by: number): void {
    const key = JSON.stringify(labels);
    const c = this.counters.get(key);
    if (c) c.value += by;
    else this.counters.set(key, { labels, value: by });
  }

  private count(e: Event): void {
    const labels: Labels = {
      reporter: e.reporter,
      source_workload: e.source,
      source_canonical_service: e.source,
      source_workload_namespace: NAMESPACE,
      source_principal: `spiffe://cluster.local/ns/${NAMESPACE}/sa/${e.source}`,
      destination_workload: e.destination,
      destination_canonical_service: e.destination,
      destination_workload_namespace: NAMESPACE,
      destination_service: `${e.destination}.${NAMESPACE}.svc.cluster.local`,
      request_protocol: 'http',
      response_flags: '-',
      connection_security_policy: e.reporter === 'destination' ? 'mutual_tls' : 'unknown',
    };
    this.add({ __name__: 'istio_requests_total', ...labels, response_code: String(e.code) }, 1);
    this.add({ __name__: 'istio_request_bytes_sum', ...labels, response_code: String(e.code) }, e.bytesIn);
    this.add({ __name__: 'istio_response_bytes_sum', ...labels, response_code: String(e.code) }, e.bytesOut);
    for (const le of [...ENVOY_BUCKETS_MS, Infinity]) {
      const bucket = { __name__: 'istio_request_duration_milliseconds_bucket', ...labels, response_code: String(e.code) };
      this.add({ ...bucket, le: Number.isFinite(le) ? String(le) : '+Inf' }, e.durationMs <= le ? 1 : 0);
    }
  }

  private readStats(message: string): string[] {
    const m = JSON.parse(message) as {
      container_labels: Labels;
      container_stats: {
        timestamp: string;
        cpu: { usage: { total: number } };
        memory: { working_set: number };
        network: { interfaces?: { name: string; rx_bytes: number; tx_bytes: number }[] };
      };
    };
    const l = m.container_labels;
    const s = m.container_stats;
    const ts = Date.parse(s.timestamp);
    const sandbox = l['io.cri-containerd.kind'] === 'sandbox';
    const base: Labels = {
      namespace: l['io.kubernetes.pod.namespace'] ?? '',
      pod: l['io.kubernetes.pod.name'] ?? '',
      container: sandbox ? '' : (l['io.kubernetes.container.name'] ?? ''),
      image: sandbox ? 'registry.k8s.io/pause:3.9' : 'app:1',
      job: 'kubernetes-cadvisor',
    };
    if (sandbox) {
      return (s.network.interfaces ?? []).flatMap((nic) => [
        adapterMessage({ __name__: 'container_network_receive_bytes_total', ...base, interface: nic.name }, ts, nic.rx_bytes),
        adapterMessage({ __name__: 'container_network_transmit_bytes_total', ...base, interface: nic.name }, ts, nic.tx_bytes),
      ]);
    }
    return [
      adapterMessage({ __name__: 'container_cpu_usage_seconds_total', ...base, cpu: 'total' }, ts, s.cpu.usage.total / 1e9),
      adapterMessage({ __name__: 'container_memory_working_set_bytes', ...base }, ts, s.memory.working_set),
    ];
  }
}
