/**
 * The canonical model every stage speaks. Times are epoch milliseconds (`…Ms`, `ts`),
 * durations carry their unit in the name.
 */

/** A workload: `namespace/name`, in `cluster` when known (two clusters' `shop/cart` are two services). */
export interface ServiceId {
  namespace: string;
  name: string;
  cluster?: string;
}

/**
 * The key of a service everywhere (Kafka message key, Redis hash tag, engine maps, alert ids):
 * `[<cluster>:]<namespace>/<name>`, each part escaped so the key is injective: distinct
 * identities never share a key, the same identity always gets the same key.
 *
 * Escaped in every part, as `%XX` per UTF-8 byte (uppercase hex): `%` `/` `:` `{` `}` `|`,
 * whitespace (`\s`), control characters (`\p{Cc}`, C0, DEL and C1) and lone surrogates (as their
 * 3-byte generalized UTF-8, so the key is well-formed Unicode and survives UTF-8 byte for byte).
 * Everything else stays as it is (é, 日本, emoji). The key therefore never contains `{`/`}` (one
 * Redis Cluster hash tag per identity), `|` (separator of `<key>|<windowStart>` maps) or NUL.
 * A cluster is part of the key when set, even `''`; a cluster-less identity and cluster `default`
 * differ.
 *
 * Compatibility: a cluster-less identity whose parts contain none of the escaped characters
 * (every Kubernetes namespace and workload name) keeps exactly its earlier key `namespace/name`,
 * so existing Redis state, Kafka keys and alert ids stay valid.
 */
export const serviceKey = (s: Pick<ServiceId, 'namespace' | 'name'> & { cluster?: string | undefined }): string => {
  const ns = `${escapeKeyPart(s.namespace)}/${escapeKeyPart(s.name)}`;
  return s.cluster === undefined ? ns : `${escapeKeyPart(s.cluster)}:${ns}`;
};

/**
 * The exact inverse of `serviceKey` on the keys it produces: `parseServiceKey(serviceKey(s))`
 * equals `s`. Other text (the hand-written `service` string of a canonical sample) is read
 * leniently: split at the first `/`; a `:` before it separates the cluster; valid `%XX`
 * escapes (either case) are decoded and anything else is taken literally. A bare key without
 * `/` is a name in namespace `default` (no cluster: `redis:6379` is one name).
 */
export function parseServiceKey(key: string): ServiceId {
  const slash = key.indexOf('/');
  if (slash < 0) return { namespace: 'default', name: unescapeKeyPart(key) };
  const head = key.slice(0, slash);
  const name = unescapeKeyPart(key.slice(slash + 1));
  const colon = head.indexOf(':');
  if (colon < 0) return { namespace: unescapeKeyPart(head), name };
  return { namespace: unescapeKeyPart(head.slice(colon + 1)), name, cluster: unescapeKeyPart(head.slice(0, colon)) };
}

// With the `u` flag a surrogate pair is one code point, so the surrogate range matches lone ones only.
const KEY_ESCAPED = /[%/:{}|\s\p{Cc}\uD800-\uDFFF]/gu;
const hexByte = (b: number): string => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

function escapeChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c < 0x80) return hexByte(c);
  if (c < 0x800) return hexByte(0xc0 | (c >> 6)) + hexByte(0x80 | (c & 0x3f));
  if (c < 0x10000) return hexByte(0xe0 | (c >> 12)) + hexByte(0x80 | ((c >> 6) & 0x3f)) + hexByte(0x80 | (c & 0x3f));
  return hexByte(0xf0 | (c >> 18)) + hexByte(0x80 | ((c >> 12) & 0x3f)) + hexByte(0x80 | ((c >> 6) & 0x3f)) + hexByte(0x80 | (c & 0x3f));
}

/** A cheap scan most names pass: printable ASCII but `%/:{}|`, or U+00A1..U+167F (no space there). */
function plainPart(part: string): boolean {
  for (let i = 0; i < part.length; i++) {
    const c = part.charCodeAt(i);
    if (c <= 0x20 || c === 0x25 || c === 0x2f || c === 0x3a || c === 0x7b || c === 0x7c || c === 0x7d) return false;
    if (c >= 0x7f && (c <= 0xa0 || c >= 0x1680)) return false;
  }
  return true;
}

/** One part of a service key (cluster, namespace or name), escaped. */
export const escapeKeyPart = (part: string): string => (plainPart(part) ? part : part.replace(KEY_ESCAPED, escapeChar));

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/** Decodes one run of `%XX` bytes as generalized UTF-8; an invalid sequence stays literal. */
function decodeRun(run: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < run.length; i += 3) bytes.push(parseInt(run.slice(i + 1, i + 3), 16));
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    let c = len === 1 ? b : len === 2 ? b & 0x1f : len === 3 ? b & 0x0f : b & 0x07;
    let valid = len > 0 && i + len <= bytes.length;
    for (let j = 1; valid && j < len; j++) {
      const cb = bytes[i + j] ?? 0;
      if ((cb & 0xc0) !== 0x80) valid = false;
      c = (c << 6) | (cb & 0x3f);
    }
    // Shortest form only (no overlong encodings), nothing past U+10FFFF.
    if (valid && ((len === 3 && c < 0x800) || (len === 4 && (c < 0x10000 || c > 0x10ffff)))) valid = false;
    if (!valid) {
      out += run.slice(i * 3, i * 3 + 3);
      i++;
      continue;
    }
    out += String.fromCodePoint(c);
    i += len;
  }
  return out;
}

/** The inverse of `escapeKeyPart` (lenient on text it did not produce, see `parseServiceKey`). */
export const unescapeKeyPart = (part: string): string => (part.includes('%') ? part.replace(ESCAPE_RUN, decodeRun) : part);

/**
 * The pod an observation came from, when its source named one. Stage 1 joins the observations of
 * one pod to one name (core/identity/attribution.ts): a source without the pod's labels takes the
 * name a labelled source gave the pod.
 */
export interface PodOrigin {
  /** `podKey(…)`: `[<cluster>:]<namespace>/<pod>`, escaped like a service key. */
  key: string;
  /** The source carried the pod's labels: `service.name` is final and teaches the pod table. */
  labelled: boolean;
}

/** The key of a pod in the pod table (same escaping as `serviceKey`, so it is injective). */
export const podKey = (cluster: string | undefined, namespace: string, pod: string): string =>
  serviceKey({ namespace, name: pod, cluster });

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
  /** The Kubernetes pod, when the container belongs to one. */
  pod?: PodOrigin;
}

export const COUNTER_NAMES = [
  'cpu_usage_ns',
  'cpu_cfs_periods',
  'cpu_cfs_throttled_periods',
  'network_rx_bytes',
  'network_tx_bytes',
  'oom_events',
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
  /**
   * Requests this record stands for (default 1). A Prometheus counter's increase is many
   * requests in one record; 0 carries only bytes or latency (a histogram bucket's increase).
   */
  count?: number;
  /** How many latency observations `durationMs` stands for (default `count`). */
  latencyCount?: number;
  /** The pod that logged the request, when the shipper or the line named it. */
  pod?: PodOrigin;
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

/** Whether an object has an own key (the cheap emptiness test of the per-window records: no array of keys). */
export function hasAnyKey(o: object): boolean {
  for (const k in o) if (Object.hasOwn(o, k)) return true;
  return false;
}
