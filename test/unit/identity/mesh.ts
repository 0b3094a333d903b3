/**
 * One synthetic mesh in the wire formats of every path (formats.md §1, §3.3, §4): six services
 * in namespace `mesh`, each one Deployment `<svc>-v1` whose pod carries the canonical-name label
 * `<svc>`; every hop logged on both sides (client outbound, server inbound with the Istio mTLS
 * SNI); per pod cAdvisor records of the sandbox (pod labels, network), the app container and the
 * sidecar (container labels only: CPU, memory) and the pod-level cgroup (named by pod UID).
 *
 * `PATHS` wraps one access-log line as each shipper puts it on Kafka. A new path (a text format)
 * joins the mesh test by adding an entry here: it receives the line as an object and the pod.
 */
export const NAMESPACE = 'mesh';
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export interface MeshPod {
  service: string;
  pod: string;
  uid: string;
  ip: string;
}

export const SERVICES = ['frontend', 'cart', 'catalog', 'checkout', 'payments', 'inventory'] as const;
const HASHES = ['7d9f8c6b5d', '5b7d8c9f4d', '6c8b9d7f5b', '84975bc778', '9c7d6b5f8d', '5f6b7c8d9b'];

export const PODS: readonly MeshPod[] = SERVICES.map((service, i) => ({
  service,
  pod: `${service}-v1-${HASHES[i]}-x${i}q2w`,
  uid: `3c5e9b2a-7d41-4f0e-9a6b-1e2f3a4b5c${i}d`,
  ip: `10.1.0.${10 + i}`,
}));
const podOf = (service: string): MeshPod => PODS.find((p) => p.service === service)!;

/** Caller → callee, and how many requests each hop carries. */
export const HOPS: readonly [string, string, number][] = [
  ['frontend', 'cart', 7],
  ['frontend', 'catalog', 5],
  ['cart', 'checkout', 3],
  ['checkout', 'payments', 3],
  ['catalog', 'inventory', 4],
  ['cart', 'inventory', 2],
];

/** Requests each service served (its inbound lines). */
export const SERVED: Readonly<Record<string, number>> = Object.fromEntries(
  SERVICES.map((s) => [s, HOPS.filter(([, to]) => to === s).reduce((n, [, , k]) => n + k, 0)]),
);

export interface LogLine {
  line: Record<string, unknown>;
  /** The sidecar that logged it. */
  pod: MeshPod;
}

const fqdn = (svc: string): string => `${svc}.${NAMESPACE}.svc.cluster.local`;

/** Both sides of every request, typed Istio ≥ 1.9 JSON (null when unset). */
export function accessLogs(): LogLine[] {
  const out: LogLine[] = [];
  let n = 0;
  for (const [from, to, count] of HOPS) {
    for (let i = 0; i < count; i++, n++) {
      const start = new Date(T0 + 1000 + n * 500).toISOString();
      const common = {
        start_time: start,
        method: 'GET',
        path: `/api/${to}`,
        protocol: 'HTTP/1.1',
        response_code: 200,
        response_flags: '-',
        response_code_details: 'via_upstream',
        connection_termination_details: null,
        upstream_transport_failure_reason: null,
        bytes_received: 0,
        bytes_sent: 120 + i,
        upstream_service_time: '3',
        x_forwarded_for: null,
        user_agent: 'mesh-test',
        request_id: `req-${n}`,
        authority: `${to}:8080`,
        route_name: 'default',
      };
      const src = podOf(from);
      const dst = podOf(to);
      out.push({
        pod: src,
        line: {
          ...common,
          duration: 5,
          upstream_host: `${dst.ip}:8080`,
          upstream_cluster: `outbound|8080||${fqdn(to)}`,
          upstream_local_address: `${src.ip}:40000`,
          downstream_local_address: `10.96.0.${n % 200}:8080`,
          downstream_remote_address: `${src.ip}:39000`,
          requested_server_name: null,
        },
      });
      out.push({
        pod: dst,
        line: {
          ...common,
          duration: 3,
          upstream_host: `${dst.ip}:8080`,
          upstream_cluster: 'inbound|8080||',
          upstream_local_address: '127.0.0.6:41000',
          downstream_local_address: `${dst.ip}:8080`,
          downstream_remote_address: `${src.ip}:40000`,
          requested_server_name: `outbound_.8080_._.${fqdn(to)}`,
        },
      });
    }
  }
  return out;
}

/** Istio ≤ 1.8: every value a string, `"-"` when unset, `istio_policy_status`. */
function legacy(line: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = { istio_policy_status: '-' };
  for (const [k, v] of Object.entries(line)) {
    if (k === 'response_code_details' || k === 'connection_termination_details') continue;
    out[k] = v === null ? '-' : typeof v === 'number' ? String(v) : (v as string);
  }
  return out;
}

const podLabels = (p: MeshPod): Record<string, string> => ({
  'service.istio.io/canonical-name': p.service,
  'service.istio.io/canonical-revision': 'v1',
  app: p.service,
  version: 'v1',
  'pod-template-hash': p.pod.split('-').at(-2)!,
});

/** The line in Istio's default TEXT encoding (formats.md §3.2), `-` for what is unset. */
function istioText(l: Record<string, unknown>): string {
  const v = (k: string): string => {
    const x = l[k];
    return typeof x === 'string' || typeof x === 'number' ? String(x) : '-';
  };
  return (
    `[${v('start_time')}] "${v('method')} ${v('path')} ${v('protocol')}" ${v('response_code')} ${v('response_flags')} ` +
    `${v('response_code_details')} ${v('connection_termination_details')} "${v('upstream_transport_failure_reason')}" ` +
    `${v('bytes_received')} ${v('bytes_sent')} ${v('duration')} ${v('upstream_service_time')} "${v('x_forwarded_for')}" ` +
    `"${v('user_agent')}" "${v('request_id')}" "${v('authority')}" "${v('upstream_host')}" ${v('upstream_cluster')} ` +
    `${v('upstream_local_address')} ${v('downstream_local_address')} ${v('downstream_remote_address')} ` +
    `${v('requested_server_name')} ${v('route_name')}`
  );
}

const otlp = (line: string, p: MeshPod): string =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'k8s.pod.name', value: { stringValue: p.pod } },
            { key: 'k8s.namespace.name', value: { stringValue: NAMESPACE } },
            { key: 'k8s.pod.uid', value: { stringValue: p.uid } },
            // The k8sattributes processor's default: the Deployment, not the pod labels.
            { key: 'k8s.deployment.name', value: { stringValue: `${p.service}-v1` } },
          ],
        },
        scopeLogs: [{ scope: {}, logRecords: [{ timeUnixNano: '0', body: { stringValue: line }, attributes: [] }] }],
      },
    ],
  });

export type PathName = 'fluent-bit' | 'vector' | 'otlp-json' | 'raw' | 'legacy' | 'text';

/** One access-log line as each path delivers it (formats.md §4.1–4.3; raw lines carry no metadata). */
export const PATHS: Readonly<Record<PathName, (l: LogLine) => string>> = {
  'fluent-bit': ({ line, pod }) =>
    JSON.stringify({
      '@timestamp': 1767225600.5,
      time: line['start_time'],
      stream: 'stdout',
      _p: 'F',
      log: JSON.stringify(line),
      kubernetes: {
        pod_name: pod.pod,
        namespace_name: NAMESPACE,
        pod_id: pod.uid,
        labels: podLabels(pod),
        container_name: 'istio-proxy',
      },
    }),
  vector: ({ line, pod }) =>
    JSON.stringify({
      file: `/var/log/pods/${NAMESPACE}_${pod.pod}_${pod.uid}/istio-proxy/0.log`,
      kubernetes: {
        container_name: 'istio-proxy',
        pod_labels: podLabels(pod),
        pod_name: pod.pod,
        pod_namespace: NAMESPACE,
        pod_owner: `ReplicaSet/${pod.service}-v1-${pod.pod.split('-').at(-2)!}`,
        pod_uid: pod.uid,
      },
      message: JSON.stringify(line),
      source_type: 'kubernetes_logs',
      stream: 'stdout',
      timestamp: line['start_time'],
    }),
  'otlp-json': ({ line, pod }) => otlp(JSON.stringify(line), pod),
  raw: ({ line }) => JSON.stringify(line),
  legacy: ({ line }) => JSON.stringify(legacy(line)),
  // Istio's default TEXT encoding, shipped by Fluent Bit with the pod's metadata.
  text: ({ line, pod }) =>
    JSON.stringify({
      '@timestamp': 1767225600.5,
      time: line['start_time'],
      stream: 'stdout',
      _p: 'F',
      log: istioText(line),
      kubernetes: {
        pod_name: pod.pod,
        namespace_name: NAMESPACE,
        pod_id: pod.uid,
        labels: podLabels(pod),
        container_name: 'istio-proxy',
      },
    }),
};

const zeroNet = { name: '', rx_bytes: 0, tx_bytes: 0 };

/** cAdvisor (containerd) records of one pod at `ts`: sandbox, app, sidecar, and the pod-level cgroup. */
export function cadvisor(p: MeshPod, tick: number): { sandbox: string; containers: string[] } {
  const ts = new Date(T0 + tick * 10_000 + 500).toISOString();
  const k8s = {
    'io.kubernetes.pod.name': p.pod,
    'io.kubernetes.pod.namespace': NAMESPACE,
    'io.kubernetes.pod.uid': p.uid,
  };
  const msg = (name: string, labels: Record<string, string> | undefined, stats: Record<string, unknown>): string =>
    JSON.stringify({
      timestamp: ts,
      machine_name: 'cadvisor-7xk2p',
      container_Name: name,
      ...(labels ? { container_Id: name, container_labels: labels } : {}),
      container_stats: { timestamp: ts, ...stats },
    });
  const usage = (cpuNs: number, ws: number): Record<string, unknown> => ({
    cpu: { usage: { total: cpuNs, user: cpuNs / 2, system: cpuNs / 2 }, cfs: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory: { usage: ws + 1000, working_set: ws },
    network: zeroNet,
  });
  const id = (c: string): string => `${c}${p.uid.replaceAll('-', '')}`.padEnd(64, '0').slice(0, 64);
  return {
    sandbox: msg(
      id('a'),
      { ...podLabels(p), ...k8s, 'io.cri-containerd.kind': 'sandbox' },
      {
        cpu: { usage: { total: 0, user: 0, system: 0 } },
        memory: { usage: 0, working_set: 0 },
        network: { name: 'eth0', rx_bytes: 1000 * (tick + 1), tx_bytes: 2000 * (tick + 1) },
      },
    ),
    containers: [
      msg(
        id('b'),
        { ...k8s, 'io.cri-containerd.kind': 'container', 'io.kubernetes.container.name': p.service },
        usage(1e9 * (tick + 1), 100e6),
      ),
      msg(
        id('c'),
        { ...k8s, 'io.cri-containerd.kind': 'container', 'io.kubernetes.container.name': 'istio-proxy' },
        usage(2e8 * (tick + 1), 40e6),
      ),
      // The pod-level cgroup: a raw cgroup named by the pod UID, no id, no labels (it double-counts its containers).
      msg(
        `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${p.uid.replaceAll('-', '_')}.slice`,
        undefined,
        usage(1.2e9 * (tick + 1), 140e6),
      ),
    ],
  };
}
