/**
 * The read-only view of one service's state (the StateQuery port, src/runtime/ports.ts): each
 * metric's value in the last closed window and the band the next window will be judged
 * against, and the open alert episodes. Pure: derived from a ServiceState and the detection
 * parameters, nothing is mutated.
 *
 * Claim: a metric's `expected` is exactly the band closeServiceWindow would judge the next
 * window (starting at lastWindowStart + windowMs) against, in the metric's unit: the same
 * per-service parameters (params.ts detectionFor), the same band (detect/deviation.ts bandOf)
 * on the metric's scale, converted back as an alert's `expected` is (detect/scale.ts). It is
 * null when that window would not be judged: fewer than `warmupWindows` windows learned, the
 * metric back after more than `staleAfterWindows` (learned, not judged), or its record learned
 * on another scale than the one now configured (learning restarts).
 */
import { domainOf } from '../alert/units.js';
import { bandOf } from '../detect/deviation.js';
import { fromScale, scaleOf } from '../detect/scale.js';
import { type ServiceId, serviceKey } from '../model.js';
import { type DetectionParams, detectionFor, policyFor } from '../params.js';
import { type ServiceState } from './service-state.js';

export interface MetricView {
  metric: string;
  /** The last closed window's value (null: the metric had none in that window). */
  value: number | null;
  /** The band the next window is judged against (null: it would not be judged; see above). */
  expected: { value: number; lower: number; upper: number } | null;
}

export interface ServiceView {
  service: ServiceId;
  windows: number;
  lastWindowStartMs: number;
  metrics: MetricView[];
  openEpisodes: { key: string; kind: string; since: number }[];
}

export interface ViewParams {
  detection: DetectionParams;
  windowMs: number;
}

export function serviceView(state: ServiceState, params: ViewParams): ServiceView {
  const d = detectionFor(params.detection, serviceKey(state.service));
  const nextStart = state.lastWindowStart + params.windowMs;
  const metrics = Object.entries(state.baselines)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([metric, b]): MetricView => {
      const policy = policyFor(d, metric);
      const judged =
        b.n >= d.warmupWindows &&
        (b.scale ?? 'linear') === scaleOf(policy) &&
        (b.n === 0 || nextStart - b.lastWindowStart <= d.staleAfterWindows * params.windowMs);
      const value = state.last?.[metric] ?? null;
      if (!judged) return { metric, value, expected: null };
      const { band } = bandOf(b, nextStart, policy, d, domainOf(metric));
      return {
        metric,
        value,
        expected: { value: fromScale(policy, band.value), lower: fromScale(policy, band.lower), upper: fromScale(policy, band.upper) },
      };
    });
  const openEpisodes = Object.entries(state.episodes)
    .map(([key, e]) => ({ key, kind: e.kind, since: e.startsAt }))
    .sort((a, b) => a.since - b.since || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { service: state.service, windows: state.windows, lastWindowStartMs: state.lastWindowStart, metrics, openEpisodes };
}
