/**
 * Naming services from Kubernetes pods, Istio host names and SPIFFE identities; shared by the
 * cAdvisor and Envoy decoders so a pod gets the same ServiceId from both wherever they carry the
 * same metadata.
 *
 * - Workload of a pod: the first non-empty pod label of `WORKLOAD_LABELS`, else a workload name
 *   the shipper already resolved (OTel `k8s.deployment.name`, …), else the pod name with its
 *   controller suffix stripped (`workloadFromPodName`).
 * - Host names: `<svc>.<ns>.svc[.<domain>]` is an in-mesh service; anything else (ServiceEntry
 *   hosts, IPs) is `{ namespace: 'external', name: host }`.
 * - SPIFFE: `spiffe://<trust-domain>/ns/<ns>/sa/<sa>` -> `{ namespace: ns, name: sa }` (a service
 *   account, the best a certificate can say).
 * Pure string functions: no failure modes, `undefined` when nothing can be named.
 */
import { type ServiceId } from '../model.js';

export const WORKLOAD_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'] as const;

/** The namespace given to peers outside the mesh (ServiceEntry hosts, IPs, passthrough). */
export const EXTERNAL_NAMESPACE = 'external';

export interface PodRef {
  namespace: string;
  pod: string;
  labels?: Readonly<Record<string, string>> | undefined;
  /** A workload name resolved by the shipper (owner reference), used when no label names one. */
  workload?: string | undefined;
}

// Kubernetes' rand.SafeEncodeString alphabet (no vowels, no 0/1/3) plus the digits of pre-1.8
// decimal pod-template-hashes. Vowels in a segment mean it is part of a name, not a hash.
const DEPLOYMENT_POD = /^(.+)-[bcdfghjklmnpqrstvwxz0-9]{6,10}-[a-z0-9]{5}$/;
const STATEFUL_POD = /^(.+)-\d+$/;
const GENERATED_POD = /^(.+)-[a-z0-9]{5}$/;

/**
 * The workload of a pod from its name: Deployment `reviews-v1-5b4d8f7c9-x2x7k` -> `reviews-v1`,
 * CronJob `backup-28001234-x7k2p` -> `backup`, StatefulSet `web-0` -> `web`,
 * DaemonSet/Job `fluentd-abcde` -> `fluentd`; a name with no such suffix stays as it is.
 */
export function workloadFromPodName(pod: string): string {
  const m = DEPLOYMENT_POD.exec(pod) ?? STATEFUL_POD.exec(pod) ?? GENERATED_POD.exec(pod);
  return m?.[1] ?? pod;
}

export function workloadFromLabels(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  if (labels === undefined) return undefined;
  for (const key of WORKLOAD_LABELS) {
    const v = labels[key];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

export function withCluster(s: ServiceId, cluster: string | undefined): ServiceId {
  return cluster === undefined || cluster === '' ? s : { ...s, cluster };
}

export function podService(ref: PodRef, cluster: string | undefined): ServiceId {
  const name = workloadFromLabels(ref.labels) ?? (ref.workload || undefined) ?? workloadFromPodName(ref.pod);
  return withCluster({ namespace: ref.namespace, name }, cluster);
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
