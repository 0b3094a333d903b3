/**
 * A synthetic mesh that speaks the real wire formats: cAdvisor Kafka storage-driver
 * messages (containerd labels, sandbox container carrying pod network) and Istio JSON
 * access logs shipped by Fluent Bit (the log line double-encoded in `log`, emitting pod in
 * `kubernetes`). Deterministic (seeded); event time is a parameter, never the clock.
 *
 * Injected anomalies are described by `Injection`s and apply to windows [from, to).
 */

export interface DemoService {
  name: string;
  /** Requests per second this service serves (sum over its callers). */
  cpuCores: number;
  memoryBytes: number;
  latencyMs: number;
  calls: string[];
}

export type Injection =
  | { kind: 'cpu_spike'; service: string; factor: number; from: number; to: number }
  | { kind: 'latency_spike'; service: string; factor: number; from: number; to: number }
  | { kind: 'new_edge'; source: string; destination: string; from: number; to: number }
  /** The service's app container's working set is `bytes` (± 1 %) in [from, to). */
  | { kind: 'memory'; service: string; bytes: number; from: number; to: number };

export const NAMESPACE = 'shop';

export const DEMO_SERVICES: DemoService[] = [
  {
    name: 'frontend',
    cpuCores: 0.4,
    memoryBytes: 300e6,
    latencyMs: 40,
    calls: ['cart', 'catalog', 'recommendations', 'checkout', 'currency', 'ads'],
  },
  { name: 'cart', cpuCores: 0.2, memoryBytes: 200e6, latencyMs: 8, calls: ['inventory'] },
  { name: 'catalog', cpuCores: 0.3, memoryBytes: 250e6, latencyMs: 12, calls: [] },
  { name: 'recommendations', cpuCores: 0.25, memoryBytes: 400e6, latencyMs: 20, calls: ['catalog'] },
  { name: 'checkout', cpuCores: 0.15, memoryBytes: 180e6, latencyMs: 60, calls: ['payments', 'shipping', 'email', 'currency', 'cart'] },
  { name: 'payments', cpuCores: 0.1, memoryBytes: 150e6, latencyMs: 30, calls: [] },
  { name: 'shipping', cpuCores: 0.08, memoryBytes: 120e6, latencyMs: 15, calls: [] },
  { name: 'email', cpuCores: 0.05, memoryBytes: 100e6, latencyMs: 25, calls: [] },
  { name: 'currency', cpuCores: 0.2, memoryBytes: 90e6, latencyMs: 3, calls: [] },
  { name: 'ads', cpuCores: 0.1, memoryBytes: 160e6, latencyMs: 10, calls: [] },
  { name: 'inventory', cpuCores: 0.12, memoryBytes: 220e6, latencyMs: 6, calls: [] },
  { name: 'auth', cpuCores: 0.06, memoryBytes: 110e6, latencyMs: 5, calls: [] },
];

/** Calls per second on each edge (frontend gets traffic from the ingress). */
const EDGE_RPS = 3;

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const gauss = (r: () => number): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

interface Pod {
  service: DemoService;
  pod: string;
  uid: string;
  appId: string;
  sandboxId: string;
  ip: string;
  cpuNs: number;
  rxBytes: number;
  txBytes: number;
}

export interface WindowMessages {
  cadvisor: string[];
  envoy: string[];
}

const hex = (r: () => number, n: number): string => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');
/** Kubernetes' rand.SafeEncodeString alphabet, as in ReplicaSet and pod name suffixes. */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const safe = (r: () => number, n: number): string => Array.from({ length: n }, () => SAFE[Math.floor(r() * SAFE.length)]).join('');

/** Go's RFC 3339 with nanoseconds, trailing zeros trimmed (as cAdvisor writes it). */
function goTime(ms: number, extraNs: number): string {
  const iso = new Date(ms).toISOString();
  const frac = (String(ms % 1000).padStart(3, '0') + String(extraNs).padStart(6, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

export class SyntheticMesh {
  private readonly r: () => number;
  private readonly pods: Pod[];

  constructor(
    private readonly windowMs: number,
    private readonly injections: Injection[],
    seed = 42,
  ) {
    this.r = rng(seed);
    this.pods = DEMO_SERVICES.map((service, i) => ({
      service,
      pod: `${service.name}-${safe(this.r, 10)}-${safe(this.r, 5)}`,
      uid: `${hex(this.r, 8)}-${hex(this.r, 4)}-${hex(this.r, 4)}-${hex(this.r, 4)}-${hex(this.r, 12)}`,
      appId: hex(this.r, 64),
      sandboxId: hex(this.r, 64),
      ip: `10.42.0.${10 + i}`,
      cpuNs: 1e12 * (1 + this.r()),
      rxBytes: 1e9 * this.r(),
      txBytes: 1e9 * this.r(),
    }));
  }

  private active(kind: Injection['kind'], index: number): Injection[] {
    return this.injections.filter((j) => j.kind === kind && index >= j.from && index < j.to);
  }

  /** All messages of window `index` (window start = index · windowMs after `baseMs`). */
  window(baseMs: number, index: number): WindowMessages {
    const start = baseMs + index * this.windowMs;
    const cadvisor: string[] = [];
    const envoy: string[] = [];
    const byName = new Map(this.pods.map((p) => [p.service.name, p]));
    const served = new Map<string, number>();

    const edges: [string, string][] = [];
    for (const p of this.pods) for (const c of p.service.calls) edges.push([p.service.name, c]);
    for (const j of this.active('new_edge', index)) if (j.kind === 'new_edge') edges.push([j.source, j.destination]);

    for (const [src, dst] of edges) {
      const from = byName.get(src);
      const to = byName.get(dst);
      if (!from || !to) continue;
      const n = Math.max(1, Math.round((EDGE_RPS * this.windowMs) / 1000 + gauss(this.r) * 2));
      served.set(dst, (served.get(dst) ?? 0) + n);
      const slow = this.active('latency_spike', index).find((j) => j.kind === 'latency_spike' && j.service === dst);
      for (let k = 0; k < n; k++) {
        const ts = start + Math.floor(this.r() * this.windowMs);
        const base = to.service.latencyMs * (slow && slow.kind === 'latency_spike' ? slow.factor : 1);
        const duration = Math.max(1, Math.round(base * Math.exp(gauss(this.r) * 0.15)));
        const bytesIn = 200 + Math.floor(this.r() * 300);
        const bytesOut = 1000 + Math.floor(this.r() * 4000);
        const requestId = `${hex(this.r, 8)}-${hex(this.r, 4)}-4${hex(this.r, 3)}-a${hex(this.r, 3)}-${hex(this.r, 12)}`;
        const fqdn = `${dst}.${NAMESPACE}.svc.cluster.local`;
        const common = {
          start_time: new Date(ts).toISOString(),
          method: 'GET',
          path: `/api/${dst}`,
          protocol: 'HTTP/1.1',
          response_code: 200,
          response_flags: '-',
          response_code_details: 'via_upstream',
          connection_termination_details: null,
          upstream_transport_failure_reason: null,
          bytes_received: bytesIn,
          bytes_sent: bytesOut,
          duration,
          upstream_service_time: String(Math.max(0, duration - 1)),
          x_forwarded_for: null,
          user_agent: 'Go-http-client/1.1',
          request_id: requestId,
          authority: `${dst}:8080`,
          route_name: 'default',
        };
        envoy.push(
          this.fluentBit(from, ts, {
            ...common,
            upstream_host: `${to.ip}:8080`,
            upstream_cluster: `outbound|8080||${fqdn}`,
            upstream_local_address: `${from.ip}:${40000 + k}`,
            downstream_local_address: `10.96.0.${20 + DEMO_SERVICES.indexOf(to.service)}:8080`,
            downstream_remote_address: `${from.ip}:${50000 + k}`,
            requested_server_name: null,
          }),
        );
        envoy.push(
          this.fluentBit(to, ts, {
            ...common,
            duration: Math.max(1, duration - 1),
            upstream_host: `${to.ip}:8080`,
            upstream_cluster: 'inbound|8080||',
            upstream_local_address: '127.0.0.6:43211',
            downstream_local_address: `${to.ip}:8080`,
            downstream_remote_address: `${from.ip}:${50000 + k}`,
            requested_server_name: `outbound_.8080_._.${fqdn}`,
          }),
        );
      }
    }

    // cAdvisor: every 2 s per pod, app container (cpu, memory) and sandbox (pod network).
    const stepMs = 2000;
    for (const p of this.pods) {
      const spike = this.active('cpu_spike', index).find((j) => j.kind === 'cpu_spike' && j.service === p.service.name);
      const cores = p.service.cpuCores * (spike && spike.kind === 'cpu_spike' ? spike.factor : 1);
      const rps = (served.get(p.service.name) ?? 0) / (this.windowMs / 1000);
      for (let t = start; t < start + this.windowMs; t += stepMs) {
        const ts = t + Math.floor(this.r() * 50);
        p.cpuNs += cores * (1 + gauss(this.r) * 0.05) * stepMs * 1e6;
        p.rxBytes += (2000 + rps * 600) * (stepMs / 1000) * (1 + gauss(this.r) * 0.05);
        p.txBytes += (2000 + rps * 3000) * (stepMs / 1000) * (1 + gauss(this.r) * 0.05);
        const memory = this.active('memory', index).find((j) => j.kind === 'memory' && j.service === p.service.name);
        const mem = Math.round((memory && memory.kind === 'memory' ? memory.bytes : p.service.memoryBytes) * (1 + gauss(this.r) * 0.01));
        cadvisor.push(this.cadvisorMessage(p, ts, 'app', { cpuNs: p.cpuNs, mem }));
        cadvisor.push(this.cadvisorMessage(p, ts, 'sandbox', { cpuNs: 0, mem: 0 }));
      }
    }
    return { cadvisor, envoy };
  }

  private fluentBit(p: Pod, ts: number, line: Record<string, unknown>): string {
    return JSON.stringify({
      '@timestamp': ts / 1000 + 0.000123,
      time: new Date(ts + 1).toISOString(),
      stream: 'stdout',
      _p: 'F',
      log: JSON.stringify(line),
      kubernetes: {
        pod_name: p.pod,
        namespace_name: NAMESPACE,
        pod_id: p.uid,
        labels: {
          app: p.service.name,
          'pod-template-hash': p.pod.split('-').slice(-2, -1)[0],
          'service.istio.io/canonical-name': p.service.name,
        },
        host: 'node-1',
        container_name: 'istio-proxy',
        docker_id: p.appId,
        container_image: 'docker.io/istio/proxyv2:1.24.2',
      },
    });
  }

  private cadvisorMessage(p: Pod, ts: number, kind: 'app' | 'sandbox', v: { cpuNs: number; mem: number }): string {
    const labels: Record<string, string> = {
      'io.kubernetes.pod.name': p.pod,
      'io.kubernetes.pod.namespace': NAMESPACE,
      'io.kubernetes.pod.uid': p.uid,
      'io.cri-containerd.kind': kind === 'app' ? 'container' : 'sandbox',
    };
    if (kind === 'app') labels['io.kubernetes.container.name'] = p.service.name;
    else labels.app = p.service.name;
    const id = kind === 'app' ? p.appId : p.sandboxId;
    const iface = {
      name: 'eth0',
      rx_bytes: kind === 'sandbox' ? Math.round(p.rxBytes) : 0,
      rx_packets: 0,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: kind === 'sandbox' ? Math.round(p.txBytes) : 0,
      tx_packets: 0,
      tx_errors: 0,
      tx_dropped: 0,
    };
    const stats = {
      timestamp: goTime(ts, 123456),
      cpu: {
        usage: { total: Math.round(v.cpuNs), user: Math.round(v.cpuNs * 0.7), system: Math.round(v.cpuNs * 0.3) },
        cfs: { periods: 0, throttled_periods: 0, throttled_time: 0 },
        schedstat: { run_time: 0, runqueue_time: 0, run_periods: 0 },
        load_average: 0,
      },
      diskio: {},
      memory: {
        usage: Math.round(v.mem * 1.2),
        max_usage: 0,
        cache: 0,
        rss: v.mem,
        swap: 0,
        mapped_file: 0,
        working_set: v.mem,
        failcnt: 0,
      },
      network: {
        ...iface,
        interfaces: kind === 'sandbox' ? [iface] : undefined,
        tcp: {
          Established: 3,
          SynSent: 0,
          SynRecv: 0,
          FinWait1: 0,
          FinWait2: 0,
          TimeWait: 1,
          Close: 0,
          CloseWait: 0,
          LastAck: 0,
          Listen: 2,
          Closing: 0,
        },
      },
      task_stats: { nr_sleeping: 0, nr_running: 0, nr_stopped: 0, nr_uninterruptible: 0, nr_io_wait: 0 },
      processes: { process_count: kind === 'app' ? 4 : 1, fd_count: 20 },
    };
    return JSON.stringify({
      timestamp: goTime(ts + 7, 0),
      machine_name: 'cadvisor-x7k2p',
      container_Name: id,
      container_Id: id,
      container_labels: labels,
      container_stats: stats,
    });
  }
}
