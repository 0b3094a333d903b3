/**
 * prometheus-kafka-adapter JSON (formats.md §4.4): one Prometheus sample per message,
 * `{ labels: { __name__, … }, name, timestamp: "<RFC 3339, seconds>", value: "<float text>" }`
 * -> the same observations access logs and cAdvisor give.
 *
 * cAdvisor series (standalone `container_label_*` or kubelet `namespace`/`pod`/`container`):
 * - counters, passed on cumulative (stage 2 rates them per container as it does cAdvisor's):
 *   `container_cpu_usage_seconds_total` (cpu="total" or none; x1e9 -> ns),
 *   `container_cpu_cfs_periods_total`, `container_cpu_cfs_throttled_periods_total`,
 *   `container_network_{receive,transmit}_bytes_total` (pod network: container "" or "POD",
 *   one counter per pod and interface, so the pod cgroup and its sandbox count once);
 * - gauges: `container_memory_working_set_bytes`, `container_spec_memory_limit_bytes` (the real
 *   limit behind memory_limit_ratio; 0 = unlimited is skipped), `container_fs_usage_bytes`,
 *   `container_processes`. Pod-level and sandbox series are skipped for CPU and memory.
 * Istio standard metrics (§5.2), per `reporter`: `destination` is the server's side (requests it
 * served, inbound edge from the source), `source` the client's (outbound edge only), as the two
 * access-log lines of one request; `waypoint` is ignored. So both reporters of one request never
 * count it twice (reporter dedup). Counters go through `SeriesState` (stage-1 state) to increases:
 * `istio_requests_total` (requests, errors from `response_code` >= 500 or failure flags),
 * `istio_request_duration_milliseconds_bucket` (destination only: each bucket's count into the
 * latency sketch at the bucket's midpoint, `+Inf` at its lower bound), `istio_request_bytes_sum` /
 * `istio_response_bytes_sum` (bytes), `istio_tcp_connections_closed_total` (connections),
 * `istio_tcp_{received,sent}_bytes_total`.
 * Workloads: `<side>_canonical_service`, else `<side>_app`, else `<side>_workload` (the label
 * precedence of pods), in `<side>_workload_namespace`; `unknown` is no name; a peer outside the
 * mesh from `destination_service`. Any other series is `ignored`.
 * Values: `NaN` is Prometheus' stale marker (the series ended: its state is dropped, ignored);
 * `±Inf`, negative or unparseable -> MW_DECODE_BAD_VALUE. At most `MAX_LABELS` labels of at most
 * `MAX_LABEL_CHARS` each. Without a SeriesState (no stage-1 state), Istio counters are ignored.
 */
import { type ContainerStats, type CounterName, type ContainerGaugeName, type RequestRecord, type ServiceId } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { isFailure } from './envoy.js';
import { type Obj, type Part, Fields, ignoredOne, isObj, own } from './fields.js';
import { peerFromHost, podService, validateServiceId, withCluster } from './identity.js';
import { quote } from './json-text.js';
import { MAX_EVENT_TIME_MS } from './limits.js';
import { type SeriesState } from './series-state.js';
import { parseTimestampMs } from './time.js';

export const MAX_LABELS = 128;
export const MAX_LABEL_CHARS = 1024;
const U63 = 2 ** 63;

export const isPromSample = (v: unknown): boolean =>
  isObj(v) && isObj(own(v, 'labels')) && typeof own(v, 'value') === 'string' && own(v, 'timestamp') !== undefined;

const CONTAINER_COUNTERS: Readonly<Record<string, [CounterName, number]>> = {
  container_cpu_usage_seconds_total: ['cpu_usage_ns', 1e9],
  container_cpu_cfs_periods_total: ['cpu_cfs_periods', 1],
  container_cpu_cfs_throttled_periods_total: ['cpu_cfs_throttled_periods', 1],
  container_network_receive_bytes_total: ['network_rx_bytes', 1],
  container_network_transmit_bytes_total: ['network_tx_bytes', 1],
};
const CONTAINER_GAUGES: Readonly<Record<string, ContainerGaugeName>> = {
  container_memory_working_set_bytes: 'memory_working_set_bytes',
  container_spec_memory_limit_bytes: 'memory_limit_bytes',
  container_fs_usage_bytes: 'fs_usage_bytes',
  container_processes: 'processes',
};
type IstioKind = 'requests' | 'latency' | 'requestBytes' | 'responseBytes' | 'connections' | 'tcpReceived' | 'tcpSent';
const ISTIO: Readonly<Record<string, IstioKind>> = {
  istio_requests_total: 'requests',
  istio_request_duration_milliseconds_bucket: 'latency',
  istio_request_bytes_sum: 'requestBytes',
  istio_response_bytes_sum: 'responseBytes',
  istio_tcp_connections_closed_total: 'connections',
  istio_tcp_received_bytes_total: 'tcpReceived',
  istio_tcp_sent_bytes_total: 'tcpSent',
};

/** Pod labels cAdvisor exports as `container_label_<sanitised>` -> the label they were. */
const SANITISED_WORKLOAD_LABELS: readonly [string, string][] = [
  ['container_label_service_istio_io_canonical_name', 'service.istio.io/canonical-name'],
  ['container_label_app_kubernetes_io_name', 'app.kubernetes.io/name'],
  ['container_label_app', 'app'],
];

type Labels = Record<string, string>;

/** A series' identity: its labels sorted (the adapter's keys are sorted, but do not rely on it). */
const seriesKey = (labels: Labels, without?: string): string =>
  JSON.stringify(
    Object.keys(labels)
      .filter((k) => k !== without)
      .sort()
      .map((k) => [k, labels[k]]),
  );

export interface PromContext {
  cluster: string | undefined;
  state: SeriesState | undefined;
}

export function decodePrometheus(msg: Obj, ctx: PromContext): Result<Part> {
  const f = new Fields();
  const labels = f.labels(msg, 'labels', '');
  if (f.problem !== undefined) return { ok: false, error: f.problem };
  if (labels === undefined) return fail('MW_DECODE_SCHEMA', 'labels: expected object');
  const keys = Object.keys(labels);
  if (keys.length > MAX_LABELS) return fail('MW_DECODE_BAD_VALUE', `labels: ${keys.length} labels, at most ${MAX_LABELS}`);
  for (const k of keys) {
    if (k.length > MAX_LABEL_CHARS || (labels[k] ?? '').length > MAX_LABEL_CHARS) {
      return fail('MW_DECODE_BAD_VALUE', `labels[${quote(k, 64)}]: longer than ${MAX_LABEL_CHARS} characters`);
    }
  }
  const name = labels['__name__'] ?? (typeof own(msg, 'name') === 'string' ? (own(msg, 'name') as string) : '');
  const istio = ISTIO[name];
  const counter = CONTAINER_COUNTERS[name];
  const gauge = CONTAINER_GAUGES[name];
  if (istio === undefined && counter === undefined && gauge === undefined) return ignoredOne();

  const rawTs = own(msg, 'timestamp');
  const ts = typeof rawTs === 'string' ? parseTimestampMs(rawTs) : undefined;
  if (ts === undefined || ts > MAX_EVENT_TIME_MS) {
    return fail(
      'MW_DECODE_BAD_TIMESTAMP',
      `timestamp: expected an RFC 3339 time, got ${typeof rawTs === 'string' ? quote(rawTs) : typeof rawTs}`,
    );
  }
  const text = own(msg, 'value') as string;
  const key = seriesKey(labels);
  if (/^\s*nan\s*$/i.test(text)) {
    ctx.state?.end(key);
    return ignoredOne();
  }
  const value = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(value) || value < 0 || value > U63) {
    return fail('MW_DECODE_BAD_VALUE', `value: ${quote(text, 40)} is not a finite, non-negative sample of ${name}`);
  }
  if (istio !== undefined) return istioSample(istio, labels, ts, value, key, ctx);
  return containerSample(name, labels, ts, value, ctx.cluster);
}

function containerSample(name: string, labels: Labels, ts: number, value: number, cluster: string | undefined): Result<Part> {
  const namespace = labels['namespace'] || labels['container_label_io_kubernetes_pod_namespace'];
  const pod = labels['pod'] || labels['container_label_io_kubernetes_pod_name'];
  if (!namespace || !pod) return ignoredOne();
  const container = labels['container'] ?? labels['container_label_io_kubernetes_container_name'] ?? '';
  const podLevel = container === '' || container === 'POD';
  const counter = CONTAINER_COUNTERS[name];
  const isNetwork = counter?.[0] === 'network_rx_bytes' || counter?.[0] === 'network_tx_bytes';
  if (isNetwork !== podLevel) return ignoredOne();
  if (counter?.[0] === 'cpu_usage_ns' && labels['cpu'] !== undefined && labels['cpu'] !== 'total') return ignoredOne();
  const gauge = CONTAINER_GAUGES[name];
  if (gauge === 'memory_limit_bytes' && value === 0) return ignoredOne();

  const podLabels = Object.create(null) as Labels;
  for (const [sanitised, label] of SANITISED_WORKLOAD_LABELS) {
    const v = labels[sanitised];
    if (v) podLabels[label] = v;
  }
  const service = podService({ namespace, pod, labels: podLabels }, cluster);
  const named = validateServiceId(service, '(service from labels namespace/pod)');
  if (!named.ok) return named;
  const id = isNetwork ? `${pod}/net/${labels['interface'] ?? ''}` : `${pod}/${container}`;
  const stats: ContainerStats = { ts, service, container: id, counters: {}, gauges: {} };
  if (counter !== undefined) stats.counters[counter[0]] = value * counter[1];
  else if (gauge !== undefined) stats.gauges[gauge] = value;
  return ok({ observations: [{ kind: 'container', stats }], ignored: 0 });
}

/** `le` as a number: `25` and `25.0` are one bound; `+Inf` is Infinity. */
function bucketBound(le: string | undefined): number | undefined {
  if (le === undefined) return undefined;
  if (/^\+?inf$/i.test(le)) return Infinity;
  const v = le.trim() === '' ? NaN : Number(le);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}

const known = (v: string | undefined): string | undefined => (v === undefined || v === '' || v === 'unknown' ? undefined : v);

/** `source` or `destination` workload from Istio's labels. */
function workloadOf(labels: Labels, side: 'source' | 'destination'): ServiceId | undefined {
  const namespace = known(labels[`${side}_workload_namespace`]);
  const name = known(labels[`${side}_canonical_service`]) ?? known(labels[`${side}_app`]) ?? known(labels[`${side}_workload`]);
  if (namespace !== undefined && name !== undefined) return { namespace, name };
  if (side === 'destination') {
    const host = known(labels['destination_service']);
    return host === undefined ? undefined : peerFromHost(host);
  }
  return undefined;
}

function istioSample(kind: IstioKind, labels: Labels, ts: number, value: number, key: string, ctx: PromContext): Result<Part> {
  const reporter = labels['reporter'];
  if (reporter !== 'source' && reporter !== 'destination') return ignoredOne();
  if (ctx.state === undefined) return ignoredOne();
  const inbound = reporter === 'destination';
  if (kind === 'latency' && !inbound) return ignoredOne();
  const localSide = inbound ? 'destination' : 'source';
  const local = workloadOf(labels, localSide);
  if (local === undefined) {
    return fail(
      'MW_DECODE_NO_IDENTITY',
      `labels: reporter=${reporter} but no ${localSide}_workload_namespace and ${localSide}_canonical_service/_app/_workload`,
    );
  }
  const service = withCluster(local, ctx.cluster);
  const named = validateServiceId(service, '(service from Istio labels)');
  if (!named.ok) return named;
  let peer = workloadOf(labels, inbound ? 'source' : 'destination');
  if (peer !== undefined && !validateServiceId(peer, 'peer').ok) peer = undefined;

  const base: RequestRecord = {
    ts,
    service,
    direction: inbound ? 'inbound' : 'outbound',
    protocol: labels['request_protocol'] ?? 'http',
    status: 0,
    isError: false,
    durationMs: 0,
    bytesReceived: 0,
    bytesSent: 0,
    count: 0,
    latencyCount: 0,
  };
  if (peer !== undefined) base.peer = peer;

  if (kind === 'latency') {
    const le = bucketBound(labels['le']);
    if (le === undefined)
      return fail(
        'MW_DECODE_SCHEMA',
        `labels.le: expected a bucket bound such as "25" or "+Inf", got ${quote(labels['le'] ?? '(none)', 40)}`,
      );
    const inc = ctx.state.increase(key, ts, value);
    const counts = ctx.state.bucket(seriesKey(labels, 'le'), le, ts, inc);
    // Latency is the server's: no edge (the requests counter carries the edge).
    delete base.peer;
    const observations = counts.map((c) => {
      const durationMs = Number.isFinite(c.le) ? (c.lo + c.le) / 2 : c.lo;
      return { kind: 'request' as const, request: { ...base, durationMs, latencyCount: c.count } };
    });
    return observations.length === 0 ? ignoredOne() : ok({ observations, ignored: 0 });
  }

  const inc = ctx.state.increase(key, ts, value);
  if (inc === undefined || inc === 0) return ignoredOne();
  const request = { ...base };
  switch (kind) {
    case 'requests':
    case 'connections': {
      request.count = inc;
      request.status = Number(labels['response_code'] ?? 0) || 0;
      const flags = labels['response_flags'];
      request.isError = isFailure(request.status, flags === '-' ? undefined : flags);
      if (kind === 'connections') request.protocol = 'tcp';
      break;
    }
    case 'requestBytes':
    case 'tcpReceived':
      request.bytesReceived = inc;
      break;
    case 'responseBytes':
    case 'tcpSent':
      request.bytesSent = inc;
      break;
  }
  return ok({ observations: [{ kind: 'request', request }], ignored: 0 });
}
