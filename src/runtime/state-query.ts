/**
 * The StateQuery port (ports.ts) over a running stage 2: services held in memory by the detect
 * worker's engines are read there (their state as of their last closed window); any other
 * service is read from the state store (one load, nothing is held or written). Read-only: the
 * engines' states are immutable values that a closing window replaces, so a read never sees
 * one half-updated and never blocks the consume loop.
 *
 * Bounded: `services()` lists the services held in memory (at most bounds.maxServices per
 * process), in `serviceKey` order, one page at a time: at most `limit` (default 100, never more
 * than MAX_PAGE) after the key `after`. Services only the store knows are not listed (the store
 * has no listing), but `service(key)` finds them.
 *
 * `profile(key)` reads the same state: the learned profile and its recommendation, with the
 * VPA defaults (core/profile/view.ts).
 *
 * Failure: a store that cannot answer rejects `service()` with its MeshwatchError
 * (MW_STORE_UNAVAILABLE, MW_STORE_CODEC); `services()` never touches the store.
 */
import { type ServiceId, parseServiceKey, serviceKey } from '../core/model.js';
import { type ServiceState } from '../core/pipeline/service-state.js';
import { type ServiceView, type ViewParams, serviceView } from '../core/pipeline/service-view.js';
import { type ProfileView, profileView } from '../core/profile/view.js';
import { type StateStore } from '../stores/types.js';
import { type ServicePage, type StateQuery } from './ports.js';

/** What the query reads from the detect worker (DetectWorker implements it). */
export interface HeldStates {
  heldKeys(): string[];
  heldState(serviceKey: string): ServiceState | undefined;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

export class EngineStateQuery implements StateQuery {
  constructor(
    private readonly held: HeldStates,
    private readonly store: StateStore,
    private readonly params: ViewParams,
  ) {}

  services(page: ServicePage = {}): Promise<ServiceId[]> {
    const limit = Math.max(0, Math.min(Math.floor(page.limit ?? DEFAULT_PAGE), MAX_PAGE));
    const after = page.after;
    const keys = this.held
      .heldKeys()
      .filter((k) => after === undefined || k > after)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit);
    return Promise.resolve(keys.map((k) => this.held.heldState(k)?.service ?? parseServiceKey(k)));
  }

  async service(key: string): Promise<ServiceView | undefined> {
    // The key as serviceKey() writes it, whatever escaping the caller used.
    const k = serviceKey(parseServiceKey(key));
    const state = this.held.heldState(k) ?? (await this.store.load([k])).get(k);
    return state ? serviceView(state, this.params) : undefined;
  }

  async profile(key: string): Promise<ProfileView | undefined> {
    const k = serviceKey(parseServiceKey(key));
    const state = this.held.heldState(k) ?? (await this.store.load([k])).get(k);
    return state ? profileView(state) : undefined;
  }
}
