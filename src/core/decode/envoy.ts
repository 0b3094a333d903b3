/**
 * One Istio/Envoy JSON access log (formats.md §3.3) -> one RequestRecord.
 *
 * Input: the parsed log object (Istio >= 1.9 typed values with `null` for unset, or the legacy
 * all-string form with `"-"` for unset and numbers as strings), the emitting pod when a shipper
 * envelope named it, and the cluster name to stamp on the emitting service.
 * Units: `ts` = `start_time` in epoch ms; `duration` ms; bytes as logged (HTTP body bytes, TCP
 * connection bytes).
 * Direction and peer from `upstream_cluster` (a trailing `;` of Istio 1.23/1.24 is stripped):
 * - `outbound|port|subset|host` (or the `outbound_.port_.subset_.host` SRV form): outbound, peer
 *   from host (`reviews.default.svc.cluster.local` -> default/reviews, else external/<host>);
 * - `inbound|…`, `inbound-vip|…`, `InboundPassthroughCluster*`: inbound, peer = the caller's SPIFFE
 *   identity when a custom format logs one (`PEER_IDENTITY_KEYS`), else none;
 * - `PassthroughCluster`, `BlackHoleCluster`, `AllowAnyDynamicDNSCluster`: outbound, peer from
 *   `authority`, else `upstream_host`;
 * - any other name (plain Envoy clusters): outbound, peer external/<cluster name>;
 * - no cluster (e.g. NR): inbound if `requested_server_name` is an Istio mTLS SNI, else outbound
 *   with the peer from `authority`.
 * Emitting service: the envelope's pod; else the pod a custom format names (`pod_name` +
 * `pod_namespace`, `POD_IDENTITY_KEYS`: a fallback name that stage 1 joins to the pod's labelled
 * name); else, for inbound, the service named by the Istio SNI
 * (`outbound_.9080_._.reviews.default.svc.cluster.local`) or the inbound cluster's host.
 * A line without any of these (raw lines of the default formats) and outbound to an in-mesh
 * service is skipped (`accessLogPart` counts it ignored): its request is counted by the callee's
 * own inbound line, and it cannot name its caller. Every other line that names no workload is
 * NO_IDENTITY with a reason that says which fields to add to the log format (`ADD_POD_FIELDS`).
 * Identities pass `validateServiceId` (identity.ts). An invalid emitting service rejects the log
 * (BAD_IDENTITY). An invalid PEER is dropped and the request kept without it: peers come from
 * request data (`authority` is the caller's Host header), so a hostile host cannot discard the
 * service's own traffic; the request still counts for the service, with no edge.
 * Failures: BAD_TIMESTAMP (start_time), SCHEMA (wrong type), BAD_VALUE ("NaN", negative, beyond limits.ts),
 * NO_IDENTITY (no emitting service), BAD_IDENTITY (emitting service too long, control characters).
 */
import { type RequestRecord, type ServiceId } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { type Obj, type Part, Fields, at, has, ignoredOne, own, typeName } from './fields.js';
import { quote } from './json-text.js';
import { LIMITS, MAX_EVENT_TIME_MS } from './limits.js';
import {
  type PodRef,
  EXTERNAL_NAMESPACE,
  meshService,
  peerFromHost,
  podIdentity,
  serviceFromSpiffe,
  validateServiceId,
  withCluster,
} from './identity.js';
import { parseTimestampMs } from './time.js';

/** A parsed object is taken for an access log when it has these (start_time + one of the rest). */
const ACCESS_LOG_KEYS = ['upstream_cluster', 'response_code', 'authority', 'response_flags'] as const;

export function looksLikeAccessLog(o: Obj): boolean {
  return has(o, 'start_time') && ACCESS_LOG_KEYS.some((k) => has(o, k));
}

/**
 * Connection-level failures (Envoy usage.rst RESPONSE_FLAGS) that make a request an error when no
 * HTTP status was sent. Not failures of the callee: DC/DR (client went away), DT (configured
 * duration limit), DI/FI (fault injection), RL/UAEX/IH/SI/DPE (the caller's fault or policy; they
 * carry a 4xx anyway), LH (carries 503).
 */
export const FAILURE_FLAGS: ReadonlySet<string> = new Set([
  'UH',
  'UF',
  'UO',
  'NR',
  'URX',
  'NC',
  'UT',
  'LR',
  'UR',
  'UC',
  'UPE',
  'UMSDR',
  'OM',
  'DF',
]);

/** Fields a custom Istio format may use for `%DOWNSTREAM_PEER_URI_SAN%` (none in the defaults). */
export const PEER_IDENTITY_KEYS = ['downstream_peer_uri_san', 'downstream_peer_principal', 'source_principal'] as const;

/** Fields a custom format may add to name the emitting pod (`%ENVIRONMENT(POD_NAME)%`, `%ENVIRONMENT(POD_NAMESPACE)%`). */
export const POD_IDENTITY_KEYS = { pod: 'pod_name', namespace: 'pod_namespace' } as const;

/** What a DLQ reason tells the user to add when a line names no workload. */
export const ADD_POD_FIELDS =
  'add "pod_name": "%ENVIRONMENT(POD_NAME)%" and "pod_namespace": "%ENVIRONMENT(POD_NAMESPACE)%" to the access log format ' +
  '(meshConfig.accessLogFormat), or ship the logs with Kubernetes metadata (Fluent Bit kubernetes filter, Vector ' +
  'kubernetes_logs, OTel k8s.pod.name/k8s.namespace.name)';

const OUTBOUND_SPECIAL = new Set(['PassthroughCluster', 'BlackHoleCluster', 'AllowAnyDynamicDNSCluster']);

interface Route {
  direction: 'inbound' | 'outbound';
  peer?: ServiceId | undefined;
  /** The local service when the log itself names it (inbound only). */
  local?: ServiceId | undefined;
}

/** `outbound_.9080_._.reviews.default.svc.cluster.local` (Istio SNI / SRV subset key) -> host. */
function srvHost(name: string): string | undefined {
  const prefix = 'outbound_.';
  if (!name.startsWith(prefix)) return undefined;
  const afterPort = name.indexOf('_.', prefix.length);
  const afterSubset = afterPort < 0 ? -1 : name.indexOf('_.', afterPort + 2);
  return afterSubset < 0 ? undefined : name.slice(afterSubset + 2);
}

const clusterHost = (cluster: string): string => cluster.split('|')[3] ?? '';

function route(
  cluster: string | undefined,
  authority: string | undefined,
  upstreamHost: string | undefined,
  sni: string | undefined,
): Route {
  const sniLocal = (): ServiceId | undefined => {
    const host = sni === undefined ? undefined : srvHost(sni);
    return host === undefined ? undefined : meshService(host);
  };
  const byHost = (): ServiceId | undefined =>
    (authority === undefined ? undefined : peerFromHost(authority)) ??
    (upstreamHost === undefined ? undefined : peerFromHost(upstreamHost));
  if (cluster === undefined) {
    const local = sniLocal();
    return local !== undefined ? { direction: 'inbound', local } : { direction: 'outbound', peer: byHost() };
  }
  const c = cluster.endsWith(';') ? cluster.slice(0, -1) : cluster;
  if (c.startsWith('outbound|') || c.startsWith('outbound_.')) {
    const host = c.startsWith('outbound|') ? clusterHost(c) : (srvHost(c) ?? '');
    return { direction: 'outbound', peer: host === '' ? byHost() : peerFromHost(host) };
  }
  if (c.startsWith('inbound|') || c.startsWith('inbound-vip|')) {
    return { direction: 'inbound', local: sniLocal() ?? meshService(clusterHost(c)) };
  }
  if (c.startsWith('InboundPassthroughCluster')) return { direction: 'inbound', local: sniLocal() };
  if (OUTBOUND_SPECIAL.has(c)) return { direction: 'outbound', peer: byHost() };
  return { direction: 'outbound', peer: { namespace: EXTERNAL_NAMESPACE, name: c } };
}

/** A 5xx, or no status and a connection-level failure flag. */
export function isFailure(status: number, flags: string | undefined): boolean {
  if (status >= 500) return true;
  if (status !== 0 || flags === undefined) return false;
  return flags.split(',').some((f) => FAILURE_FLAGS.has(f.trim()));
}

/** A decoded access log, or a line skipped by design (an outbound raw line: the callee's line counts it). */
type AccessLogOutcome = Result<RequestRecord> | { ok: true; value: undefined };

/**
 * Decodes one access log. `base` prefixes field paths in reasons (`log`, `…body.stringValue`).
 * A line skipped by design fails here with NO_IDENTITY; `accessLogPart` counts it ignored instead.
 */
export function decodeAccessLog(log: Obj, base: string, pod: PodRef | undefined, cluster: string | undefined): Result<RequestRecord> {
  const r = accessLog(log, base, pod, cluster);
  if (r.ok && r.value === undefined) {
    return fail('MW_DECODE_NO_IDENTITY', `${base === '' ? '(message)' : base}: an outbound line without its pod; ${ADD_POD_FIELDS}`);
  }
  return r;
}

/** One access log as a decoder part: its request, or one ignored line (see the header). */
export function accessLogPart(log: Obj, base: string, pod: PodRef | undefined, cluster: string | undefined): Result<Part> {
  const r = accessLog(log, base, pod, cluster);
  if (!r.ok) return r;
  return r.value === undefined ? ignoredOne() : ok({ observations: [{ kind: 'request', request: r.value }], ignored: 0 });
}

/** The pod a custom format names in the line itself (`pod_name`, `pod_namespace`), else undefined. */
function linePod(f: Fields, log: Obj, base: string): PodRef | undefined {
  const pod = f.str(log, POD_IDENTITY_KEYS.pod, base, true);
  const namespace = f.str(log, POD_IDENTITY_KEYS.namespace, base, true);
  return pod && namespace ? { namespace, pod } : undefined;
}

function accessLog(log: Obj, base: string, envelopePod: PodRef | undefined, cluster: string | undefined): AccessLogOutcome {
  const start = own(log, 'start_time');
  if (typeof start !== 'string') {
    return fail('MW_DECODE_BAD_TIMESTAMP', `${at(base, 'start_time')}: expected an RFC 3339 string, got ${typeName(start)}`);
  }
  const ts = parseTimestampMs(start);
  if (ts === undefined || ts > MAX_EVENT_TIME_MS)
    return fail('MW_DECODE_BAD_TIMESTAMP', `${at(base, 'start_time')}: not an RFC 3339 time: ${quote(start)}`);

  const f = new Fields();
  const status = f.amount(log, 'response_code', base, LIMITS.httpStatus, true) ?? 0;
  const flags = f.str(log, 'response_flags', base, true);
  const durationMs = f.amount(log, 'duration', base, LIMITS.durationMs, true) ?? 0;
  const bytesReceived = f.amount(log, 'bytes_received', base, LIMITS.requestBytes, true) ?? 0;
  const bytesSent = f.amount(log, 'bytes_sent', base, LIMITS.requestBytes, true) ?? 0;
  const protocol = f.str(log, 'protocol', base, true) ?? 'tcp';
  const upstreamCluster = f.str(log, 'upstream_cluster', base, true);
  const authority = f.str(log, 'authority', base, true);
  const upstreamHost = f.str(log, 'upstream_host', base, true);
  const sni = f.str(log, 'requested_server_name', base, true);
  const pod = envelopePod ?? linePod(f, log, base);
  const r = route(upstreamCluster, authority, upstreamHost, sni);
  let peer = r.peer;
  if (r.direction === 'inbound') {
    for (const key of PEER_IDENTITY_KEYS) {
      const sans = f.str(log, key, base, true);
      peer = sans === undefined ? undefined : serviceFromSpiffe(sans);
      if (peer !== undefined) break;
    }
  }
  if (f.problem !== undefined) return { ok: false, error: f.problem };
  if (peer !== undefined && !validateServiceId(peer, 'peer').ok) peer = undefined;

  const named = pod !== undefined ? podIdentity(pod, cluster) : undefined;
  const service = named?.service ?? (r.local === undefined ? undefined : withCluster(r.local, cluster));
  if (service === undefined) {
    // The callee's sidecar logs the same request inbound and counts it; this line cannot name its caller.
    if (r.direction === 'outbound' && peer !== undefined && peer.namespace !== EXTERNAL_NAMESPACE) return { ok: true, value: undefined };
    const what =
      r.direction === 'outbound'
        ? `an outbound line to ${peer === undefined ? 'an unnamed peer' : 'a host outside the mesh'} names no workload`
        : 'an inbound line without an Istio mTLS SNI (requested_server_name) or an inbound cluster host names no workload';
    return fail('MW_DECODE_NO_IDENTITY', `${base === '' ? '(message)' : base}: no shipper metadata (pod) and ${what}; ${ADD_POD_FIELDS}`);
  }
  const checked = validateServiceId(service, at(base, '(service)'));
  if (!checked.ok) return checked;
  const request: RequestRecord = {
    ts,
    service,
    direction: r.direction,
    protocol,
    status,
    isError: isFailure(status, flags),
    durationMs,
    bytesReceived,
    bytesSent,
  };
  if (peer !== undefined) request.peer = peer;
  if (named !== undefined) request.pod = named.pod;
  return ok(request);
}
