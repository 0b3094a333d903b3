/**
 * Naming services from Kubernetes pods, Istio host names and SPIFFE identities; shared by every
 * decoder so a pod gets the same ServiceId from every source.
 *
 * - Workload of a pod: the one precedence of core/identity/resolve.ts (canonical-name label →
 *   app.kubernetes.io/name → app → owning workload → pod name). `podIdentity` also returns the
 *   pod's origin (`PodOrigin`: pod key, whether the source carried the pod's labels), which stage
 *   1 uses to give a source without labels the name a labelled source gave the same pod.
 * - Host names: `<svc>.<ns>.svc[.<domain>]` is an in-mesh service; anything else (ServiceEntry
 *   hosts, IPs) is `{ namespace: 'external', name: host }`.
 * - SPIFFE: `spiffe://<trust-domain>/ns/<ns>/sa/<sa>` -> `{ namespace: ns, name: sa }` (a service
 *   account, the best a certificate can say).
 * Pure string functions: no failure modes, `undefined` when nothing can be named.
 *
 * `validateServiceId` is the one check every ServiceId passes before it leaves a decoder (and
 * when a partial is read off the windows topic): every part (cluster, namespace, name) non-empty,
 * at most `MAX_IDENTITY_PART_BYTES` UTF-8 bytes, no control characters, well-formed UTF-16.
 * Empty -> MW_DECODE_NO_IDENTITY; anything else -> MW_DECODE_BAD_IDENTITY, with the field path
 * and a bounded excerpt. Any other character is allowed: `serviceKey` escapes what it must.
 */
import { type PodOrigin, type ServiceId, podKey } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { type OwnerKind, WORKLOAD_LABELS, resolveWorkload, workloadFromPodName } from '../identity/resolve.js';

export { WORKLOAD_LABELS, workloadFromPodName };

/** The namespace given to peers outside the mesh (ServiceEntry hosts, IPs, passthrough). */
export const EXTERNAL_NAMESPACE = 'external';

export interface PodRef {
  namespace: string;
  pod: string;
  /** The pod's labels, when the source carries them (absent: unknown, so the name is a fallback). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** False when `labels` may not be the pod's (a container's own labels): they name, but not for good. */
  labelsArePods?: boolean | undefined;
  /** A top-level workload name the shipper already resolved (e.g. OTel `k8s.deployment.name`). */
  workload?: string | undefined;
  /** Owner references the shipper resolved (Vector `pod_owner`, OTel `k8s.<kind>.name`). */
  owners?: readonly { kind: OwnerKind; name: string }[] | undefined;
}

export function withCluster(s: ServiceId, cluster: string | undefined): ServiceId {
  return cluster === undefined || cluster === '' ? s : { ...s, cluster };
}

/** The service a pod's records belong to, and the pod's origin for stage 1's join. */
export function podIdentity(ref: PodRef, cluster: string | undefined): { service: ServiceId; pod: PodOrigin } {
  const owners = ref.workload ? [{ kind: 'Deployment' as const, name: ref.workload }, ...(ref.owners ?? [])] : ref.owners;
  const w = resolveWorkload({ pod: ref.pod, labels: ref.labels, owners });
  const c = cluster === '' ? undefined : cluster;
  return {
    service: withCluster({ namespace: ref.namespace, name: w.name }, c),
    pod: { key: podKey(c, ref.namespace, ref.pod), labelled: w.labelled && ref.labelsArePods !== false },
  };
}

export function podService(ref: PodRef, cluster: string | undefined): ServiceId {
  return podIdentity(ref, cluster).service;
}

/** `host:port`, `[v6]:port`, bare host or bare IPv6 -> host. */
export function stripPort(hostPort: string): string {
  if (hostPort.startsWith('[')) {
    const end = hostPort.indexOf(']');
    return end > 0 ? hostPort.slice(1, end) : hostPort;
  }
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

/** An in-mesh Kubernetes service from `<svc>.<ns>.svc[.<domain>]`, else undefined. */
export function meshService(host: string): ServiceId | undefined {
  const a = host.indexOf('.');
  const b = a > 0 ? host.indexOf('.', a + 1) : -1;
  if (b <= a + 1) return undefined;
  const c = host.indexOf('.', b + 1);
  const third = c < 0 ? host.slice(b + 1) : host.slice(b + 1, c);
  if (third.toLowerCase() !== 'svc') return undefined;
  return { namespace: host.slice(a + 1, b).toLowerCase(), name: host.slice(0, a).toLowerCase() };
}

/** Any host (port allowed) as a peer: a mesh service or an external host. */
export function peerFromHost(hostPort: string): ServiceId | undefined {
  const host = stripPort(hostPort).toLowerCase();
  if (host === '') return undefined;
  return meshService(host) ?? { namespace: EXTERNAL_NAMESPACE, name: host };
}

const SPIFFE = /^spiffe:\/\/[^/]+\/ns\/([^/]+)\/sa\/([^/,\s]+)$/;

/** The first SPIFFE URI in a (possibly comma-separated, Envoy-joined) SAN list. */
export function serviceFromSpiffe(sans: string): ServiceId | undefined {
  for (const san of sans.split(',')) {
    const m = SPIFFE.exec(san.trim());
    if (m?.[1] && m[2]) return { namespace: m[1], name: m[2] };
  }
  return undefined;
}

/**
 * Longest part of a ServiceId, in UTF-8 bytes. 253 is the longest DNS name (RFC 1035), and so
 * the longest Kubernetes object name (a DNS subdomain), namespace (a 63-byte label) and Istio
 * host; workload label values are at most 63. Longer is not a name any source we read produces,
 * and the bound keeps keys (Kafka, Redis, alert ids) at most ~2.3 kB even fully escaped.
 */
export const MAX_IDENTITY_PART_BYTES = 253;
/** Characters of a part shown in a rejection reason. */
const EXCERPT_CHARS = 64;

// C0, DEL, C1; and, with the `u` flag, lone surrogates (a pair is one code point).
const BAD_CHAR = /[\p{Cc}\uD800-\uDFFF]/u;

/** UTF-8 length of a well-formed string, stopping early past `limit`. */
function utf8Bytes(s: string, limit: number): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= limit; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Non-empty, at most MAX_IDENTITY_PART_BYTES, printable ASCII only: a part `checkPart` accepts. */
function plainAscii(value: string): boolean {
  const n = value.length;
  if (n === 0 || n > MAX_IDENTITY_PART_BYTES) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

const excerpt = (s: string): string => JSON.stringify(s.length > EXCERPT_CHARS ? `${s.slice(0, EXCERPT_CHARS)}…` : s);

function checkPart(value: string, path: string): Result<string> {
  if (value === '') return fail('MW_DECODE_NO_IDENTITY', `${path}: empty`);
  if (value.length > MAX_IDENTITY_PART_BYTES || utf8Bytes(value, MAX_IDENTITY_PART_BYTES) > MAX_IDENTITY_PART_BYTES) {
    return fail('MW_DECODE_BAD_IDENTITY', `${path}: longer than ${MAX_IDENTITY_PART_BYTES} bytes: ${excerpt(value)}`);
  }
  if (BAD_CHAR.test(value)) return fail('MW_DECODE_BAD_IDENTITY', `${path}: control character or lone surrogate in ${excerpt(value)}`);
  return ok(value);
}

/**
 * Checks a ServiceId built by a decoder or read off the windows topic. `path` names where it
 * came from in reasons (`service`, `edges.out:shop/db.peer`, `(pod identity)`).
 */
export function validateServiceId(s: ServiceId, path: string): Result<ServiceId> {
  // Fast path, allocation-free (it runs once per record): printable-ASCII parts of a valid length.
  if (plainAscii(s.namespace) && plainAscii(s.name) && (s.cluster === undefined || plainAscii(s.cluster))) return ok(s);
  const parts: [string, string | undefined][] = [
    ['cluster', s.cluster],
    ['namespace', s.namespace],
    ['name', s.name],
  ];
  for (const [part, value] of parts) {
    if (value === undefined) continue;
    const r = checkPart(value, `${path}.${part}`);
    if (!r.ok) return r;
  }
  return ok(s);
}
