/**
 * A declared profile as detection reads it (pure): per-container limits and requests in cores
 * and bytes, the per-pod sums, the traffic budgets, and the declared outbound peers as service
 * keys. Built once per profile when the set in force changes, never per window.
 *
 * Peers: a rule's workload without a cluster means the profile's own cluster (the cluster
 * meshwatch names the service with), so `{namespace: shop, name: payments}` in a profile of
 * `prod:shop/checkout` allows `prod:shop/payments`. Ports, methods and path prefixes are kept in
 * the profile but not checked here: the windows carry edges per peer, not per request.
 * Per-pod sums are set only when every declared container declares that amount (a partial sum
 * would understate the pod).
 */
import { type ServiceId, serviceKey } from '../model.js';
import { containerResources, type ContainerResources } from './resolve.js';
import { type ProfileMode, type ResourceProfile, type Sensitivity } from './schema.js';

export interface PodAmounts {
  cpuLimitCores?: number;
  cpuRequestCores?: number;
  memoryLimitBytes?: number;
  memoryRequestBytes?: number;
}

export interface EnforcedProfile {
  /** The profile's workload key (`serviceKey` of its metadata). */
  readonly key: string;
  readonly mode: ProfileMode;
  /** Declared containers by name. */
  readonly containers: ReadonlyMap<string, ContainerResources>;
  /** Sums over the declared containers (one pod). */
  readonly pod: Readonly<PodAmounts>;
  readonly traffic: Readonly<{ requestsPerS?: number; egressBytesPerS?: number; errorRatio?: number }>;
  /** Declared outbound peers by service key; undefined when the profile declares none (not the same as an empty list). */
  readonly outbound: ReadonlyMap<string, ServiceId> | undefined;
  readonly sensitivity: Readonly<Partial<Record<string, Sensitivity>>>;
}

/** Looks up the profile in force for a service key (the runtime swaps the set behind it). */
export interface ProfileLookup {
  get(serviceKey: string): EnforcedProfile | undefined;
}

function sumOf(list: readonly ContainerResources[], pick: (c: ContainerResources) => number | undefined): number | undefined {
  if (list.length === 0) return undefined;
  let sum = 0;
  for (const c of list) {
    const v = pick(c);
    if (v === undefined) return undefined;
    sum += v;
  }
  return sum;
}

/** The enforced form of a validated profile. */
export function enforcedProfile(p: ResourceProfile): EnforcedProfile {
  const list = containerResources(p);
  const pod: PodAmounts = {};
  const cpuLimit = sumOf(list, (c) => c.limits.cpuCores);
  const cpuRequest = sumOf(list, (c) => c.requests.cpuCores);
  const memLimit = sumOf(list, (c) => c.limits.memoryBytes);
  const memRequest = sumOf(list, (c) => c.requests.memoryBytes);
  if (cpuLimit !== undefined) pod.cpuLimitCores = cpuLimit;
  if (cpuRequest !== undefined) pod.cpuRequestCores = cpuRequest;
  if (memLimit !== undefined) pod.memoryLimitBytes = memLimit;
  if (memRequest !== undefined) pod.memoryRequestBytes = memRequest;
  const cluster = p.metadata.cluster;
  let outbound: Map<string, ServiceId> | undefined;
  if (p.spec.peers?.outbound !== undefined) {
    outbound = new Map();
    for (const rule of p.spec.peers.outbound) {
      const c = rule.workload.cluster ?? cluster;
      const peer: ServiceId =
        c === undefined ? { namespace: rule.workload.namespace, name: rule.workload.name } : { ...rule.workload, cluster: c };
      outbound.set(serviceKey(peer), peer);
    }
  }
  const t = p.spec.traffic ?? {};
  const traffic: { requestsPerS?: number; egressBytesPerS?: number; errorRatio?: number } = {};
  if (t.requestsPerS !== undefined) traffic.requestsPerS = t.requestsPerS;
  if (t.egressBytesPerS !== undefined) traffic.egressBytesPerS = t.egressBytesPerS;
  if (t.errorRatio !== undefined) traffic.errorRatio = t.errorRatio;
  return {
    key: serviceKey(p.metadata),
    mode: p.spec.mode,
    containers: new Map(list.map((c) => [c.name, c])),
    pod,
    traffic,
    outbound,
    sensitivity: { ...(p.spec.sensitivity ?? {}) },
  };
}

/**
 * The declared resources of one observed container, by its name (the last part of a
 * Kubernetes container id `namespace/pod/container`); a profile of exactly one container also
 * covers containers it cannot name (standalone Docker ids). Pod sandboxes (`POD`) have none.
 */
export function declaredContainer(profile: EnforcedProfile, containerId: string): ContainerResources | undefined {
  const slash = containerId.lastIndexOf('/');
  const name = slash < 0 ? containerId : containerId.slice(slash + 1);
  if (name === 'POD') return undefined;
  const named = profile.containers.get(name);
  if (named) return named;
  if (profile.containers.size === 1) return profile.containers.values().next().value;
  return undefined;
}

/** Pods among observed container ids (`namespace/pod/container`; an id without two slashes is its own pod). */
export function podsOf(containerIds: Iterable<string>): number {
  const pods = new Set<string>();
  for (const id of containerIds) {
    const slash = id.lastIndexOf('/');
    if (id.endsWith('/POD')) continue;
    pods.add(slash > 0 && id.indexOf('/') !== slash ? id.slice(0, slash) : id);
  }
  return pods.size;
}

/** How declared profiles are enforced (config `profiles.*`; units in the names). */
export interface EnforcementParams {
  /** limit_breach when a container's memory working set reaches this share of its declared limit. */
  memoryLimitRatio: number;
  /** limit_breach when a workload with a declared CPU limit is throttled in this share of CFS periods. */
  cpuThrottledRatio: number;
  /** profile_drift when the declared amount (limit, else request) is this many times the learned per-pod usage… */
  overProvisionedRatio: number;
  /** … or the learned per-pod usage exceeds the declared request (else limit) times this … */
  underProvisionedRatio: number;
  /** … for this long (event time); declared outbound peers uncalled this long are drift too. */
  driftPeriodMs: number;
}

export const DEFAULT_ENFORCEMENT: Readonly<EnforcementParams> = Object.freeze({
  memoryLimitRatio: 0.9,
  cpuThrottledRatio: 0.25,
  overProvisionedRatio: 4,
  underProvisionedRatio: 1,
  driftPeriodMs: 24 * 3600_000,
});

/**
 * The window start since which a condition has held, kept in `since` (the service's copy for
 * this window) under `key`; undefined (and forgotten) when it does not hold now.
 */
export function heldSince(since: Record<string, number>, key: string, holds: boolean, windowStart: number): number | undefined {
  if (!holds) {
    delete since[key];
    return undefined;
  }
  return (since[key] ??= windowStart);
}
