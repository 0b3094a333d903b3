/**
 * Manifests from a recommendation (recommend.ts): plain objects, serialised by the caller.
 *
 * - `k8s`: per container a resources patch of the workload's pod template, in the two forms
 *   Goldilocks shows: Guaranteed (requests = limits = target) and Burstable (requests = lower
 *   bound, limits = upper bound; no limit where the upper bound is unknown).
 * - `istio`: a `security.istio.io/v1` AuthorizationPolicy selecting the workload, one rule per
 *   observed caller (inbound edge). A caller's `source.principals` is its mTLS identity when
 *   known, or `<trustDomain>/ns/<namespace>/sa/<name>` when the caller asks to assume service
 *   accounts named after workloads; otherwise the rule can only name the caller's namespace
 *   (`source.namespaces`), which admits more than the observed caller: such callers are listed in
 *   the annotation `meshwatch.io/widened-callers`. Methods and paths are not carried by the
 *   windows, so rules do not restrict operations. `action: AUDIT` by default (an ALLOW policy
 *   denies every caller not listed, so it is audited first), ALLOW on request.
 * - `networkpolicy`: a `networking.k8s.io/v1` NetworkPolicy for the workload, policyTypes
 *   Ingress and Egress; ingress from each observed caller and egress to each observed callee as
 *   `namespaceSelector` (kubernetes.io/metadata.name) + `podSelector` (the selector label), plus
 *   DNS egress to kube-dns (UDP and TCP 53). Peers it cannot express (outside the cluster, in
 *   another cluster) are listed in `meshwatch.io/unrepresented-peers`. Ports are not carried by
 *   the windows, so rules allow every port of the peer.
 * - `profile`: the learned profile as a declared ResourceProfile (schema.ts), mode `learn`:
 *   requests = target, limits = upper bound (memory and CPU), traffic budgets, the observed
 *   peers. It parses with ResourceProfileSchema, so it can be edited and declared back.
 */
import { EXTERNAL_NAMESPACE } from '../decode/identity.js';
import { type ServiceId } from '../model.js';
import { type LearnedPeer } from './learn.js';
import { type ContainerRecommendation, type Estimate, type Recommendation } from './recommend.js';
import { type PeerRule, PROFILE_API_VERSION, PROFILE_KIND, type ResourceProfile, WorkloadRefSchema } from './schema.js';

export const EXPORT_FORMATS = ['k8s', 'istio', 'networkpolicy', 'profile'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  /** Pod label whose value is the workload name (Istio injects service.istio.io/canonical-name). */
  selectorLabel: string;
  /** Kind of the workload the k8s patch targets. */
  workloadKind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** Which k8s forms to emit. */
  qos: 'guaranteed' | 'burstable' | 'both';
  istioAction: 'AUDIT' | 'ALLOW';
  trustDomain: string;
  /** Assume each caller's service account is named after its workload (when its principal is unknown). */
  assumeServiceAccounts: boolean;
  /** The cluster meshwatch runs for: peers in another cluster cannot be selected by a NetworkPolicy. */
  cluster?: string;
}

export const DEFAULT_EXPORT: Readonly<ExportOptions> = Object.freeze({
  selectorLabel: 'service.istio.io/canonical-name',
  workloadKind: 'Deployment',
  qos: 'both',
  istioAction: 'AUDIT',
  trustDomain: 'cluster.local',
  assumeServiceAccounts: false,
});

type Manifest = Record<string, unknown>;

/** CPU as Kubernetes millicores, rounded up (never below 1m). */
export const cpuQuantity = (cores: number): string => `${Math.max(1, Math.ceil(cores * 1000 - 1e-9))}m`;
/** Memory in Mi, rounded up (never below 1Mi). */
export const memoryQuantity = (bytes: number): string => `${Math.max(1, Math.ceil(bytes / 1048576 - 1e-9))}Mi`;

const policyName = (s: ServiceId): string => `${s.name}-meshwatch`.slice(0, 253);

function resources(requests: { cpu: number; mem: number }, limits: { cpu: number | null; mem: number | null } | undefined) {
  const out: Manifest = { requests: { cpu: cpuQuantity(requests.cpu), memory: memoryQuantity(requests.mem) } };
  if (limits) {
    const l: Record<string, string> = {};
    if (limits.cpu !== null) l.cpu = cpuQuantity(limits.cpu);
    if (limits.mem !== null) l.memory = memoryQuantity(limits.mem);
    if (Object.keys(l).length > 0) out.limits = l;
  }
  return out;
}

/** The Guaranteed and/or Burstable resource patches of the workload's containers. */
export function exportK8s(service: ServiceId, rec: Recommendation, o: ExportOptions = DEFAULT_EXPORT): Manifest[] {
  const forms: { qos: 'Guaranteed' | 'Burstable'; res: (c: ContainerRecommendation) => Manifest }[] = [];
  if (o.qos !== 'burstable') {
    forms.push({
      qos: 'Guaranteed',
      res: (c) => resources({ cpu: c.cpuCores.target, mem: c.memoryBytes.target }, { cpu: c.cpuCores.target, mem: c.memoryBytes.target }),
    });
  }
  if (o.qos !== 'guaranteed') {
    forms.push({
      qos: 'Burstable',
      res: (c) =>
        resources(
          { cpu: c.cpuCores.lowerBound, mem: c.memoryBytes.lowerBound },
          { cpu: c.cpuCores.upperBound, mem: c.memoryBytes.upperBound },
        ),
    });
  }
  return forms.map(({ qos, res }) => ({
    apiVersion: 'apps/v1',
    kind: o.workloadKind,
    metadata: { name: service.name, namespace: service.namespace, annotations: { 'meshwatch.io/qos': qos } },
    spec: { template: { spec: { containers: rec.containers.map((c) => ({ name: c.name, resources: res(c) })) } } },
  }));
}

const inCluster = (peer: ServiceId, o: ExportOptions): boolean => peer.namespace !== EXTERNAL_NAMESPACE && peer.cluster === o.cluster;
const peerLabel = (p: ServiceId): string => `${p.cluster === undefined ? '' : `${p.cluster}:`}${p.namespace}/${p.name}`;

/** The observed peers in one direction, in key order. */
const peersOf = (rec: Recommendation, direction: LearnedPeer['direction']): LearnedPeer[] =>
  rec.peers.filter((p) => p.direction === direction);

/** The Istio AuthorizationPolicy for the observed callers (AUDIT unless ALLOW is asked for). */
export function exportIstio(service: ServiceId, rec: Recommendation, o: ExportOptions = DEFAULT_EXPORT): Manifest {
  const widened: string[] = [];
  const rules = peersOf(rec, 'inbound')
    .filter((p) => p.peer.namespace !== EXTERNAL_NAMESPACE)
    .map((p) => {
      if (o.assumeServiceAccounts) {
        return { from: [{ source: { principals: [`${o.trustDomain}/ns/${p.peer.namespace}/sa/${p.peer.name}`] } }] };
      }
      widened.push(peerLabel(p.peer));
      return { from: [{ source: { namespaces: [p.peer.namespace] } }] };
    });
  const annotations: Record<string, string> = { 'meshwatch.io/generated-from': 'observed inbound calls' };
  if (widened.length > 0) annotations['meshwatch.io/widened-callers'] = widened.join(',');
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: policyName(service), namespace: service.namespace, annotations },
    spec: {
      selector: { matchLabels: { [o.selectorLabel]: service.name } },
      action: o.istioAction,
      // No observed caller: an ALLOW policy without rules denies everything, which is what was seen.
      ...(rules.length > 0 ? { rules } : {}),
    },
  };
}

const peerSelector = (p: ServiceId, o: ExportOptions): Manifest => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': p.namespace } },
  podSelector: { matchLabels: { [o.selectorLabel]: p.name } },
});

/** The NetworkPolicy for the observed peers, with DNS egress to kube-dns. */
export function exportNetworkPolicy(service: ServiceId, rec: Recommendation, o: ExportOptions = DEFAULT_EXPORT): Manifest {
  const unrepresented: string[] = [];
  const select = (direction: LearnedPeer['direction']): Manifest[] =>
    peersOf(rec, direction).flatMap((p) => {
      if (inCluster(p.peer, o)) return [peerSelector(p.peer, o)];
      unrepresented.push(`${direction === 'inbound' ? 'from' : 'to'} ${peerLabel(p.peer)}`);
      return [];
    });
  const from = select('inbound');
  const to = select('outbound');
  const dns = {
    to: [
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ],
    ports: [
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ],
  };
  const annotations: Record<string, string> = { 'meshwatch.io/generated-from': 'observed calls' };
  if (unrepresented.length > 0) annotations['meshwatch.io/unrepresented-peers'] = unrepresented.join(',');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policyName(service), namespace: service.namespace, annotations },
    spec: {
      podSelector: { matchLabels: { [o.selectorLabel]: service.name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: from.length > 0 ? [{ from }] : [],
      egress: [...(to.length > 0 ? [{ to }] : []), dns],
    },
  };
}

const bounded = (e: Estimate): number => e.upperBound ?? e.target;

/** The learned profile as a declared ResourceProfile (mode learn), ready to be edited and declared back. */
export function exportProfile(service: ServiceId, rec: Recommendation): ResourceProfile {
  const metadata = service.cluster === undefined ? { namespace: service.namespace, name: service.name } : { ...service };
  const rules = (direction: LearnedPeer['direction']): PeerRule[] =>
    peersOf(rec, direction).flatMap((p) => {
      const w = p.peer.cluster === undefined ? { namespace: p.peer.namespace, name: p.peer.name } : { ...p.peer };
      return WorkloadRefSchema.safeParse(w).success ? [{ workload: w }] : [];
    });
  const spec: ResourceProfile['spec'] = { mode: 'learn' };
  if (rec.containers.length > 0) {
    spec.containers = rec.containers.map((c) => ({
      name: c.name,
      resources: {
        requests: { cpu: cpuQuantity(c.cpuCores.target), memory: memoryQuantity(c.memoryBytes.target) },
        limits: { cpu: cpuQuantity(bounded(c.cpuCores)), memory: memoryQuantity(bounded(c.memoryBytes)) },
      },
    }));
  }
  const t = rec.traffic;
  const traffic: NonNullable<ResourceProfile['spec']['traffic']> = {};
  if (t.requestsPerS !== undefined) traffic.requestsPerS = round3(t.requestsPerS);
  if (t.egressBytesPerS !== undefined) traffic.egressBytesPerS = Math.ceil(t.egressBytesPerS);
  if (t.errorRatio !== undefined) traffic.errorRatio = Math.min(1, round3(t.errorRatio));
  if (Object.keys(traffic).length > 0) spec.traffic = traffic;
  const inbound = rules('inbound');
  const outbound = rules('outbound');
  spec.peers = { inbound, outbound };
  return { apiVersion: PROFILE_API_VERSION, kind: PROFILE_KIND, metadata, spec };
}

const round3 = (x: number): number => Math.ceil(x * 1000) / 1000;
