/**
 * Everything stage 2 keeps about one service between windows. A plain JSON value,
 * versioned by `v`; the Redis store keeps it field by field (see src/stores/redis/keys.ts).
 */
import { type Episode } from '../alert/build.js';
import { type Baseline } from '../baseline/index.js';
import { type IncidentState } from '../incident/service.js';
import { type ServiceId } from '../model.js';
import { type LearnedProfile } from '../profile/learn.js';
import { type CounterState } from '../window/metrics.js';

export interface PeerRecord {
  peer: ServiceId;
  direction: 'inbound' | 'outbound';
  firstSeen: number;
  lastSeen: number;
  requests: number;
}

export interface ServiceState {
  v: 1;
  service: ServiceId;
  /** Start of the last window closed for this service; -1 before the first. */
  lastWindowStart: number;
  /** Windows closed so far. */
  windows: number;
  baselines: Record<string, Baseline>;
  counters: CounterState;
  /** Keyed like partial edges: `out:<peer>` / `in:<peer>`. */
  peers: Record<string, PeerRecord>;
  /** Open episodes keyed `<kind>:<metric or peer>`. */
  episodes: Record<string, Episode>;
  /** Episode keys that may not fire again before this window start (after a resolve). */
  cooldowns: Record<string, number>;
  /**
   * Each metric's value in the last closed window, in the metric's unit (metrics the window
   * learned; absent in records written before it existed). Read by the state query only.
   */
  last?: Record<string, number>;
  /**
   * Since when each declared-profile condition has held (window starts, keyed by condition:
   * `budget:requests_per_s`, `drift:cpu_cores:over`, …); absent in records written before it existed.
   */
  since?: Record<string, number>;
  /** The learned resource profile (core/profile/learn.ts); absent in records written before it existed. */
  profile?: LearnedProfile;
  /** The service's open incident (absent when none is open). */
  incident?: IncidentState;
}

export const emptyServiceState = (service: ServiceId): ServiceState => ({
  v: 1,
  service,
  lastWindowStart: -1,
  windows: 0,
  baselines: {},
  counters: {},
  peers: {},
  episodes: {},
  cooldowns: {},
});
