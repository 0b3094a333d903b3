/** Resource profiles (pure): the declared-profile schema, Kubernetes quantities, resolved amounts. */
export {
  PROFILE_API_VERSION,
  PROFILE_KIND,
  PROFILE_MODES,
  RESOURCE_NAMES,
  SENSITIVITIES,
  ContainerProfileSchema,
  PeerRuleSchema,
  ProfileSpecSchema,
  ResourceProfileSchema,
  TrafficBudgetSchema,
  WorkloadRefSchema,
  workloadKey,
  type PeerRule,
  type ProfileMode,
  type ResourceProfile,
  type Sensitivity,
  type WorkloadRef,
} from './schema.js';
export { QUANTITY_MAX_CHARS, QUANTITY_PATTERN, parseBytes, parseCpuCores, parseQuantity, type QuantityInput } from './quantity.js';
export { containerResources, type ContainerResources, type ResourceAmounts } from './resolve.js';
export {
  BYTES_RATE_HISTOGRAM,
  CPU_HISTOGRAM,
  MEMORY_HISTOGRAM,
  RATE_HISTOGRAM,
  RATIO_HISTOGRAM,
  bucketCount,
  bucketOf,
  bucketStart,
  emptyHistogram,
  histogramAdd,
  histogramEmpty,
  histogramPercentile,
  histogramSubtract,
  type DecayingHistogram,
  type HistogramOptions,
} from './histogram.js';
export {
  DEFAULT_PROFILE_LEARN,
  containerNameOf,
  emptyLearnedProfile,
  learnProfile,
  type LearnedContainer,
  type LearnedPeer,
  type LearnedProfile,
  type ProfileLearnParams,
} from './learn.js';
export {
  DEFAULT_RECOMMEND,
  confidenceOf,
  recommend,
  type ContainerRecommendation,
  type Estimate,
  type Recommendation,
  type RecommendParams,
  type TrafficBudget,
} from './recommend.js';
export {
  DEFAULT_EXPORT,
  EXPORT_FORMATS,
  cpuQuantity,
  exportIstio,
  exportK8s,
  exportNetworkPolicy,
  exportProfile,
  memoryQuantity,
  type ExportFormat,
  type ExportOptions,
} from './export.js';
export { profileView, type ProfileView } from './view.js';
