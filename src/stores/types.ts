/**
 * The state-store port: where stage 2 keeps each service's state between windows and
 * across restarts and rebalances. Implementations: Redis (production), memory (replay,
 * tests). Both pass the same contract suite (test/contract/state-store.ts).
 */
import { type PodEntry } from '../core/identity/attribution.js';
import { type ServiceState } from '../core/pipeline/service-state.js';

export interface StateStore {
  /**
   * States of these services (by `serviceKey()`); absent ones are simply missing. A stored
   * record that cannot be read rejects with MW_STORE_CODEC (not retriable), a store that does
   * not answer with MW_STORE_UNAVAILABLE (retriable). Returns copies: mutating them changes nothing stored.
   */
  load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>>;
  /**
   * Writes these states (one round trip, pipelined), each under its own key and this store's
   * prefix; saving the same state again changes nothing. A save writes every field of the state
   * but removes none: a metric baseline stored earlier and missing from the saved state stays
   * (states only gain baselines: closeServiceWindow never drops one).
   */
  save(states: readonly ServiceState[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The pod → workload table stage 1 joins pods through (core/identity/attribution.ts): shared by
 * every ingest instance, because the records of one pod arrive on any partition, so on any
 * instance. Entries are keyed by `podKey` (`[cluster:]namespace/pod`) and expire `ttlMs` after
 * their last write (a pod gone is forgotten; a live pod is re-published). Implementations: Redis
 * (one string per pod, SET PX / pipelined GET), memory (replay, tests, a single ingest process).
 * Both pass test/contract/pod-table.ts. `get` rejects with MW_STORE_UNAVAILABLE when the store
 * does not answer; a stored value that is not a plausible workload name is treated as absent.
 */
export interface PodTable {
  get(podKeys: readonly string[]): Promise<PodEntry[]>;
  put(entries: readonly PodEntry[]): Promise<void>;
  close(): Promise<void>;
}
