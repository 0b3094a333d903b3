/**
 * The state-store port: where stage 2 keeps each service's state between windows and
 * across restarts and rebalances. Implementations: Redis (production), memory (replay,
 * tests). Both pass the same contract suite (test/contract/state-store.ts).
 */
import { type ServiceState } from '../core/pipeline/service-state.js';

export interface StateStore {
  /** States of these services (by `serviceKey()`); absent ones are simply missing. */
  load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>>;
  /** Writes these states (one round trip, pipelined). */
  save(states: readonly ServiceState[]): Promise<void>;
  close(): Promise<void>;
}
