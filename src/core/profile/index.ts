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
