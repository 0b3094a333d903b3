/**
 * Envoy gRPC Access Log Service entries bridged to Kafka as proto3 JSON (formats.md §3.5,
 * envoy/data/accesslog/v3/accesslog.proto, envoy/service/accesslog/v3/als.proto).
 *
 * Accepted messages, keys in lowerCamelCase (protojson's default) or snake_case
 * (`UseProtoNames` / `preserving_proto_field_name`), never mixed per field:
 * - a `StreamAccessLogsMessage`: `{ identifier?: { node, logName }, httpLogs: { logEntry: [] } }`
 *   or `tcpLogs`; many entries, many observations;
 * - one `HTTPAccessLogEntry` (`commonProperties`, `request`, `response`, `protocolVersion`) or
 *   one `TCPAccessLogEntry` (`commonProperties`, `connectionProperties`).
 * Each entry is mapped onto the keys of Istio's JSON access log and decoded by the same code
 * (envoy.ts), so direction, peer and failure rules are the same: `startTime` -> start_time,
 * `duration` ("0.012077s") -> ms, `upstreamCluster`, `response.responseCode`, `responseFlags`
 * (booleans -> Envoy's short codes), body bytes (int64 as JSON strings) or TCP connection bytes,
 * `tlsProperties.tlsSniHostname` -> requested_server_name, and the peer certificate's SPIFFE URI
 * SANs -> the caller of an inbound request.
 * Emitting pod: Istio's node metadata (`NAME`, `NAMESPACE`, `LABELS`, `WORKLOAD_NAME`), else the
 * sidecar node id `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. Without an identifier only an
 * inbound entry can name its service (Istio SNI or inbound cluster), as for raw JSON logs.
 * Failures: SCHEMA (wrong type, with path), BAD_VALUE (duration not a proto Duration), and the
 * access-log decoder's codes. Pure.
 */
import { type RequestRecord } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { decodeAccessLog } from './envoy.js';
import { type Obj, type Part, at, ignoredOne, isObj, own, typeName } from './fields.js';
import { type PodRef } from './identity.js';
import { quote } from './json-text.js';

const STREAM_KEYS = ['httpLogs', 'http_logs', 'tcpLogs', 'tcp_logs'] as const;
const ENTRY_KEYS = ['commonProperties', 'common_properties'] as const;

const ALS_KEYS: readonly string[] = [...STREAM_KEYS, ...ENTRY_KEYS];

export function isAls(v: unknown): boolean {
  if (!isObj(v)) return false;
  for (const k of ALS_KEYS) if (own(v, k) !== undefined) return true;
  return false;
}

const camel = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A field by its proto name, in either JSON spelling. */
function field(o: Obj | undefined, snake: string): unknown {
  const v = own(o, camel(snake));
  return v === undefined ? own(o, snake) : v;
}

/** ResponseFlags booleans -> RESPONSE_FLAGS short codes (usage.rst). */
const FLAG_CODES: readonly [string, string][] = [
  ['failed_local_healthcheck', 'LH'],
  ['no_healthy_upstream', 'UH'],
  ['upstream_request_timeout', 'UT'],
  ['local_reset', 'LR'],
  ['upstream_remote_reset', 'UR'],
  ['upstream_connection_failure', 'UF'],
  ['upstream_connection_termination', 'UC'],
  ['upstream_overflow', 'UO'],
  ['no_route_found', 'NR'],
  ['delay_injected', 'DI'],
  ['fault_injected', 'FI'],
  ['rate_limited', 'RL'],
  ['unauthorized_details', 'UAEX'],
  ['rate_limit_service_error', 'RLSE'],
  ['downstream_connection_termination', 'DC'],
  ['upstream_retry_limit_exceeded', 'URX'],
  ['stream_idle_timeout', 'SI'],
  ['invalid_envoy_request_headers', 'IH'],
  ['downstream_protocol_error', 'DPE'],
  ['upstream_max_stream_duration_reached', 'UMSDR'],
  ['response_from_cache_filter', 'RFCF'],
  ['no_filter_config_found', 'NFCF'],
  ['duration_timeout', 'DT'],
  ['upstream_protocol_error', 'UPE'],
  ['no_cluster_found', 'NC'],
  ['overload_manager', 'OM'],
  ['dns_resolution_failure', 'DF'],
  ['downstream_remote_reset', 'DR'],
];

const HTTP_VERSIONS: Readonly<Record<string, string>> = { HTTP10: 'HTTP/1.0', HTTP11: 'HTTP/1.1', HTTP2: 'HTTP/2', HTTP3: 'HTTP/3' };

/** proto3 JSON Duration (`"1.5s"`, `"0.012077s"`) -> ms. */
const DURATION = /^(\d{1,12})(?:\.(\d{1,9}))?s$/;
export function protoDurationMs(s: string): number | undefined {
  const m = DURATION.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * 1000 + (m[2] === undefined ? 0 : Number(`0.${m[2]}`) * 1000);
}

class Reader {
  problem: string | undefined;
  obj(o: Obj | undefined, snake: string, base: string): Obj | undefined {
    const v = field(o, snake);
    if (v === undefined || v === null) return undefined;
    if (isObj(v)) return v;
    this.problem ??= `${at(base, camel(snake))}: expected object, got ${typeName(v)}`;
    return undefined;
  }
  str(o: Obj | undefined, snake: string, base: string): string | undefined {
    const v = field(o, snake);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.problem ??= `${at(base, camel(snake))}: expected string, got ${typeName(v)}`;
    return undefined;
  }
}

function address(r: Reader, o: Obj | undefined, snake: string, base: string): string | undefined {
  const sa = r.obj(r.obj(o, snake, base), 'socket_address', at(base, camel(snake)));
  if (sa === undefined) return undefined;
  const host = r.str(sa, 'address', base);
  const port = field(sa, 'port_value');
  if (host === undefined) return undefined;
  return typeof port === 'number' ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
}

function flagsOf(o: Obj | undefined): string | undefined {
  if (o === undefined) return undefined;
  const codes = FLAG_CODES.filter(([name]) => {
    const v = field(o, name);
    return v === true || isObj(v);
  }).map(([, code]) => code);
  return codes.length === 0 ? undefined : codes.join(',');
}

/** SPIFFE URIs of the downstream peer's certificate, comma-joined like Envoy's %DOWNSTREAM_PEER_URI_SAN%. */
function peerSans(tls: Obj | undefined): string | undefined {
  const peer = isObj(field(tls, 'peer_certificate_properties')) ? (field(tls, 'peer_certificate_properties') as Obj) : undefined;
  const sans = field(peer, 'subject_alt_name');
  if (!Array.isArray(sans)) return undefined;
  const uris = sans.slice(0, 16).flatMap((s) => (isObj(s) && typeof own(s, 'uri') === 'string' ? [own(s, 'uri') as string] : []));
  return uris.length === 0 ? undefined : uris.join(',');
}

/** One entry -> the Istio JSON access-log keys `decodeAccessLog` reads. */
function asAccessLog(entry: Obj, base: string, tcp: boolean): Result<Obj> {
  const r = new Reader();
  const cp = r.obj(entry, 'common_properties', base);
  const C = at(base, 'commonProperties');
  const log = Object.create(null) as Obj;
  log['start_time'] = field(cp, 'start_time');
  const duration = field(cp, 'duration') ?? field(cp, 'time_to_last_downstream_tx_byte');
  if (duration !== undefined) {
    const ms = typeof duration === 'string' ? protoDurationMs(duration) : undefined;
    if (ms === undefined)
      return fail(
        'MW_DECODE_BAD_VALUE',
        `${at(C, 'duration')}: not a proto3 Duration such as "0.012s": ${typeof duration === 'string' ? quote(duration) : typeName(duration)}`,
      );
    log['duration'] = ms;
  }
  log['upstream_cluster'] = r.str(cp, 'upstream_cluster', C);
  log['upstream_host'] = address(r, cp, 'upstream_remote_address', C);
  log['response_flags'] = flagsOf(r.obj(cp, 'response_flags', C));
  const tls = r.obj(cp, 'tls_properties', C);
  log['requested_server_name'] = r.str(tls, 'tls_sni_hostname', at(C, 'tlsProperties'));
  log['downstream_peer_uri_san'] = peerSans(tls);
  if (tcp) {
    const conn = r.obj(entry, 'connection_properties', base);
    log['bytes_received'] = field(conn, 'received_bytes');
    log['bytes_sent'] = field(conn, 'sent_bytes');
  } else {
    const req = r.obj(entry, 'request', base);
    const resp = r.obj(entry, 'response', base);
    log['authority'] = r.str(req, 'authority', at(base, 'request'));
    log['bytes_received'] = field(req, 'request_body_bytes');
    log['bytes_sent'] = field(resp, 'response_body_bytes');
    log['response_code'] = field(resp, 'response_code') ?? 0;
    const version = r.str(entry, 'protocol_version', base);
    log['protocol'] = (version === undefined ? undefined : HTTP_VERSIONS[version]) ?? 'HTTP';
  }
  if (r.problem !== undefined) return fail('MW_DECODE_SCHEMA', r.problem);
  return ok(log);
}

/** The emitting pod from an ALS identifier's Istio node. */
export function podOfNode(node: Obj | undefined): PodRef | undefined {
  const meta = isObj(field(node, 'metadata')) ? (field(node, 'metadata') as Obj) : undefined;
  const name = own(meta, 'NAME');
  const namespace = own(meta, 'NAMESPACE');
  const labelsV = own(meta, 'LABELS');
  const labels = isObj(labelsV)
    ? Object.fromEntries(Object.entries(labelsV).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : undefined;
  const workload = typeof own(meta, 'WORKLOAD_NAME') === 'string' ? (own(meta, 'WORKLOAD_NAME') as string) : undefined;
  if (typeof name === 'string' && typeof namespace === 'string' && name && namespace) return { namespace, pod: name, labels, workload };
  const id = field(node, 'id');
  if (typeof id !== 'string') return undefined;
  const parts = id.split('~');
  const podNs = parts.length === 4 ? parts[2] : undefined;
  const dot = podNs?.lastIndexOf('.') ?? -1;
  if (podNs === undefined || dot <= 0 || dot === podNs.length - 1) return undefined;
  return { namespace: podNs.slice(dot + 1), pod: podNs.slice(0, dot), labels };
}

export function decodeAls(msg: Obj, cluster: string | undefined): Result<Part> {
  const out: Part = { observations: [], ignored: 0 };
  const push = (r: Result<RequestRecord>): Result<Part> | undefined => {
    if (!r.ok) return r;
    out.observations.push({ kind: 'request', request: r.value });
    return undefined;
  };
  const decodeOne = (entry: Obj, base: string, tcp: boolean, pod: PodRef | undefined): Result<Part> | undefined => {
    const log = asAccessLog(entry, base, tcp);
    return log.ok ? push(decodeAccessLog(log.value, base, pod, cluster)) : log;
  };
  if (ENTRY_KEYS.some((k) => own(msg, k) !== undefined)) {
    const tcp = field(msg, 'connection_properties') !== undefined;
    return decodeOne(msg, '', tcp, undefined) ?? ok(out);
  }
  const idV = field(msg, 'identifier');
  const pod = isObj(idV) && isObj(field(idV, 'node')) ? podOfNode(field(idV, 'node') as Obj) : undefined;
  for (const [snake, tcp] of [
    ['http_logs', false],
    ['tcp_logs', true],
  ] as const) {
    const logs = field(msg, snake);
    if (logs === undefined || logs === null) continue;
    const base = camel(snake);
    if (!isObj(logs)) return fail('MW_DECODE_SCHEMA', `${base}: expected object, got ${typeName(logs)}`);
    const entries = field(logs, 'log_entry');
    if (entries === undefined) continue;
    if (!Array.isArray(entries)) return fail('MW_DECODE_SCHEMA', `${base}.logEntry: expected array, got ${typeName(entries)}`);
    for (const [i, e] of entries.entries()) {
      const path = at(`${base}.logEntry`, i);
      if (!isObj(e)) return fail('MW_DECODE_SCHEMA', `${path}: expected object, got ${typeName(e)}`);
      const bad = decodeOne(e, path, tcp, pod);
      if (bad) return bad;
    }
  }
  return out.observations.length === 0 ? ignoredOne() : ok(out);
}
