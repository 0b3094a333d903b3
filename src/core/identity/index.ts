export {
  type NamedBy,
  type OwnerKind,
  type ResolvedWorkload,
  type WorkloadFacts,
  OWNER_KINDS,
  WORKLOAD_LABELS,
  ownerFromRef,
  resolveWorkload,
  workloadFromLabels,
  workloadFromOwner,
  workloadFromPodName,
} from './resolve.js';
export {
  type AttributionParams,
  type AttributionStats,
  type Offered,
  type PodEntry,
  Attributor,
  DEFAULT_ATTRIBUTION,
} from './attribution.js';
