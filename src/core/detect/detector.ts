/**
 * The detector interface: what closeServiceWindow (core/pipeline/close-service-window.ts) runs
 * for each window of a service. A detector owns one or more alert kinds; it decides when their
 * episodes are active and when they trigger, and hands both to the one episode state machine
 * (detect/episode.ts), which fires, holds, resolves and cools down every kind alike.
 *
 *  - `metric` runs for every metric the window judged (not for a stale metric, which is only
 *    learned), in the window's metric order, after every metric's verdict and learning;
 *  - `window` runs once per window, after the metrics (edges, limits, whole-service checks).
 *
 * Detectors are pure and keep their state in the baseline record (a slice of their own, see
 * baseline/record.ts) or in the service state they are handed.
 */
import { type AlertKind } from '../alert/schema.js';
import { type Baseline } from '../baseline/record.js';
import { type ServiceId } from '../model.js';
import { type DetectionParams, type MetricPolicy } from '../params.js';
import { type EnforcedProfile, type EnforcementParams } from '../profile/enforce.js';
import { type PeerRecord } from '../pipeline/service-state.js';
import { type WindowPartial } from '../window/partial.js';
import { type Verdict } from './deviation.js';
import { type EpisodeBook } from './episode.js';

/** One service's window, as every detector sees it. */
export interface DetectorContext {
  readonly service: ServiceId;
  /** `serviceKey(service)`. */
  readonly svc: string;
  readonly windowStart: number;
  readonly windowMs: number;
  /** The detection parameters in force for this service. */
  readonly d: DetectionParams;
}

/** One judged metric of the window. */
export interface MetricWindow {
  metric: string;
  /** The value in the metric's unit (`x`) and on its baseline's scale (`y`: see detect/scale.ts). */
  x: number;
  y: number;
  policy: MetricPolicy;
  /** The record before this window. */
  prev: Baseline;
  /** The record after learning this window: a detector may replace it to update its own slice. */
  next: Baseline;
  verdict: Verdict;
  /** Whether a metric of another family of the service moves in this window (detect/corroboration.ts). */
  corroborated: boolean;
}

/** What the per-window hook may read and update besides the episodes. */
export interface ServiceWindow extends DetectorContext {
  readonly edges: WindowPartial['edges'];
  /** Windows the service had closed before this one. */
  readonly windowsBefore: number;
  /** The peers known so far (this window's copy) and the bound on them. */
  readonly peers: Record<string, PeerRecord>;
  readonly maxPeersPerService: number;
  /** Peers (or other entries) refused by a bound in this window. */
  overflow: number;
  /** The declared profile in force for this service, if any, and how it is enforced. */
  readonly profile: EnforcedProfile | undefined;
  readonly enforcement: EnforcementParams;
  /** This window's metric values and containers, and the baselines after learning it. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly containers: WindowPartial['containers'];
  readonly baselines: Readonly<Record<string, Baseline>>;
  /** Since when each enforcement condition has held (window starts; this window's copy). */
  readonly since: Record<string, number>;
}

export interface Detector {
  readonly name: string;
  readonly kinds: readonly AlertKind[];
  metric?(m: MetricWindow, ctx: DetectorContext, book: EpisodeBook): void;
  window?(w: ServiceWindow, book: EpisodeBook): void;
}
