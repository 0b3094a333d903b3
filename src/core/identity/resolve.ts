/**
 * The one precedence that names a workload, the same for every source (cAdvisor, access logs
 * through any shipper, OTLP, raw lines with identity fields):
 *
 *   1. `service.istio.io/canonical-name` pod label
 *   2. `app.kubernetes.io/name` pod label
 *   3. `app` pod label
 *   4. the owning workload: a Deployment (from a ReplicaSet owner `reviews-v1-5b7d8c9f4d`, or the
 *      pod name pattern), StatefulSet, DaemonSet, CronJob (from its Job `backup-28001234`), Job
 *   5. the pod name itself
 *
 * Steps 1–3 need the pod's labels. A source that carries them (a sandbox container's labels, a
 * shipper's `kubernetes.labels`/`pod_labels`, OTLP `k8s.pod.labels.*`) names the pod for good
 * (`labelled`); one that does not (a containerd app container, OTLP with only
 * `k8s.deployment.name`, a raw line with only `pod_name`) gets a fallback from steps 4–5, and
 * stage 1 joins it by pod to what a labelled source said (identity/attribution.ts), so a pod has
 * one name whatever reports it. The fallback is what a labelled source would say of a pod that
 * has none of the three labels, so a pod that never shows labels also keeps one name.
 *
 * Pure string functions; no failure modes (`validateServiceId` checks the result).
 */

/** Pod labels that name a workload, in precedence order. */
export const WORKLOAD_LABELS = ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app'] as const;

/** Owner kinds, in precedence order when a source names several (a CronJob's pod also names its Job). */
export const OWNER_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job'] as const;
export type OwnerKind = (typeof OWNER_KINDS)[number];

/** Which step of the precedence named a workload. */
export type NamedBy = 'canonical-name' | 'app.kubernetes.io/name' | 'app' | 'owner' | 'pod-name';

const LABEL_STEP: Readonly<Record<(typeof WORKLOAD_LABELS)[number], NamedBy>> = {
  'service.istio.io/canonical-name': 'canonical-name',
  'app.kubernetes.io/name': 'app.kubernetes.io/name',
  app: 'app',
};

/** What a source knows about the pod a record came from. */
export interface WorkloadFacts {
  pod: string;
  /** The pod's labels when the source carries them (undefined: not known, an empty map: none). */
  labels?: Readonly<Record<string, string>> | undefined;
  /** Owner references the source resolved (`k8s.deployment.name`, Vector `pod_owner`). */
  owners?: readonly { kind: OwnerKind; name: string }[] | undefined;
}

export interface ResolvedWorkload {
  name: string;
  by: NamedBy;
  /** The pod's labels were known, so this name is final (it teaches the pod table). */
  labelled: boolean;
}

// Kubernetes' rand.SafeEncodeString alphabet (no vowels, no 0/1/3) plus the digits of pre-1.8
// decimal pod-template-hashes. Vowels in a segment mean it is part of a name, not a hash.
const DEPLOYMENT_POD = /^(.+)-[bcdfghjklmnpqrstvwxz0-9]{6,10}-[a-z0-9]{5}$/;
const STATEFUL_POD = /^(.+)-\d+$/;
const GENERATED_POD = /^(.+)-[a-z0-9]{5}$/;
const REPLICASET = /^(.+)-[bcdfghjklmnpqrstvwxz0-9]{6,10}$/;
/** A CronJob's Job: `<cronjob>-<scheduled minute since the epoch>`. */
const CRONJOB_JOB = /^(.+)-\d{8,10}$/;

/**
 * The workload of a pod from its name: Deployment `reviews-v1-5b4d8f7c9-x2x7k` -> `reviews-v1`,
 * CronJob `backup-28001234-x7k2p` -> `backup`, StatefulSet `web-0` -> `web`,
 * DaemonSet/Job `fluentd-abcde` -> `fluentd`; a name with no such suffix stays as it is.
 */
export function workloadFromPodName(pod: string): string {
  let w = POD_WORKLOAD.get(pod);
  if (w === undefined) {
    const m = DEPLOYMENT_POD.exec(pod) ?? STATEFUL_POD.exec(pod) ?? GENERATED_POD.exec(pod);
    w = m?.[1] ?? pod;
    if (POD_WORKLOAD.size >= POD_MEMO_MAX) POD_WORKLOAD.clear();
    POD_WORKLOAD.set(pod, w);
  }
  return w;
}

/** Pod name -> workload, remembered: every record of a pod asks again (three regular expressions). Bounded. */
const POD_WORKLOAD = new Map<string, string>();
const POD_MEMO_MAX = 10_000;

/** The top-level workload of an owner reference: a ReplicaSet's Deployment, a scheduled Job's CronJob. */
export function workloadFromOwner(kind: OwnerKind, name: string): string {
  if (kind === 'ReplicaSet') return REPLICASET.exec(name)?.[1] ?? name;
  if (kind === 'Job') return CRONJOB_JOB.exec(name)?.[1] ?? name;
  return name;
}

/** The first workload label present (non-empty), with the step that named it. */
export function workloadFromLabels(labels: Readonly<Record<string, string>> | undefined): { name: string; by: NamedBy } | undefined {
  if (labels === undefined) return undefined;
  for (const key of WORKLOAD_LABELS) {
    const v = Object.hasOwn(labels, key) ? labels[key] : undefined;
    if (v !== undefined && v !== '') return { name: v, by: LABEL_STEP[key] };
  }
  return undefined;
}

/** Applies the precedence to what one source knows. */
export function resolveWorkload(facts: WorkloadFacts): ResolvedWorkload {
  const labelled = facts.labels !== undefined;
  if (facts.labels !== undefined) {
    for (const key of WORKLOAD_LABELS) {
      const v = Object.hasOwn(facts.labels, key) ? facts.labels[key] : undefined;
      if (v !== undefined && v !== '') return { name: v, by: LABEL_STEP[key], labelled };
    }
  }
  if (facts.owners !== undefined && facts.owners.length > 0) {
    for (const kind of OWNER_KINDS) {
      const owner = facts.owners.find((o) => o.kind === kind && o.name !== '');
      if (owner) return { name: workloadFromOwner(kind, owner.name), by: 'owner', labelled };
    }
  }
  const fromName = workloadFromPodName(facts.pod);
  return { name: fromName, by: fromName === facts.pod ? 'pod-name' : 'owner', labelled };
}

/** `ReplicaSet/reviews-v1-5b7d8c9f4d` (Vector `pod_owner`) -> an owner reference, else undefined. */
export function ownerFromRef(ref: string): { kind: OwnerKind; name: string } | undefined {
  const slash = ref.indexOf('/');
  if (slash <= 0) return undefined;
  const kind = ref.slice(0, slash);
  const name = ref.slice(slash + 1);
  return (OWNER_KINDS as readonly string[]).includes(kind) && name !== '' ? { kind: kind as OwnerKind, name } : undefined;
}
