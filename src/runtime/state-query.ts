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
 * VPA defaults (core/profile/view.ts). `peers(key)` too: its learned peers, a peer `new` while
 * its new_peer episode is open or a recent alert fired for it. `series(key)` and `alerts()`
 * read what this process kept in memory (runtime/recent.ts): nothing for a service another
 * process closes windows for, and nothing from before this process started.
 *
 * Failure: a store that cannot answer rejects `service()` with its MeshwatchError
 * (MW_STORE_UNAVAILABLE, MW_STORE_CODEC); `services()` never touches the store.
 */
import { type ServiceId, parseServiceKey, serviceKey } from '../core/model.js';
import { type ServiceState } from '../core/pipeline/service-state.js';
import { type ServiceView, type ViewParams, serviceView } from '../core/pipeline/service-view.js';
import { type ProfileView, profileView } from '../core/profile/view.js';
import { type StateStore } from '../stores/types.js';
import { type AlertSummary, type RecentAlerts, type RecentWindows, type ServiceSeries } from './recent.js';
import { type PeerView, type ServicePage, type StateQuery } from './ports.js';

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
    private readonly recent?: { windows: RecentWindows; alerts: RecentAlerts },
  ) {}

  private async stateOf(key: string): Promise<ServiceState | undefined> {
    // The key as serviceKey() writes it, whatever escaping the caller used.
    const k = serviceKey(parseServiceKey(key));
    return this.held.heldState(k) ?? (await this.store.load([k])).get(k);
  }

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
    const state = await this.stateOf(key);
    return state ? serviceView(state, this.params) : undefined;
  }

  async profile(key: string): Promise<ProfileView | undefined> {
    const state = await this.stateOf(key);
    return state ? profileView(state) : undefined;
  }

  series(key: string): Promise<ServiceSeries | undefined> {
    return Promise.resolve(this.recent?.windows.series(serviceKey(parseServiceKey(key))));
  }

  async peers(key: string): Promise<PeerView[] | undefined> {
    const state = await this.stateOf(key);
    if (!state) return undefined;
    const k = serviceKey(state.service);
    const alerted = new Set(
      (this.recent?.alerts.list({ service: k, limit: MAX_PAGE }) ?? []).flatMap((a) =>
        a.kind === 'new_peer' && a.status === 'firing' && a.peer ? [a.peer] : [],
      ),
    );
    for (const e of Object.values(state.episodes)) if (e.kind === 'new_peer' && e.peer) alerted.add(serviceKey(e.peer));
    return Object.values(state.peers)
      .map((p): PeerView => {
        const peer = serviceKey(p.peer);
        const isNew = p.direction === 'outbound' && alerted.has(peer);
        return { peer, direction: p.direction, firstSeen: p.firstSeen, lastSeen: p.lastSeen, requests: p.requests, new: isNew };
      })
      .sort(
        (a, b) => Number(b.new) - Number(a.new) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0) || (a.direction < b.direction ? -1 : 1),
      );
  }

  alerts(opts: { service?: string; limit?: number } = {}): Promise<AlertSummary[]> {
    const limit = Math.max(0, Math.min(Math.floor(opts.limit ?? DEFAULT_PAGE), MAX_PAGE));
    const service = opts.service === undefined ? undefined : serviceKey(parseServiceKey(opts.service));
    return Promise.resolve(this.recent?.alerts.list({ ...(service !== undefined ? { service } : {}), limit }) ?? []);
  }
}
