/**
 * Closes one window of one service: metrics → verdicts → baselines → detectors → alerts.
 * Pure: returns the next state and the alerts; nothing is mutated.
 *
 * For each metric of the window: a stale metric (back after `staleAfterWindows`) is learned and
 * not judged; any other is judged (detect/deviation.ts) and learned (baseline/learn.ts); once
 * every metric is judged, each is handed, with whether another signal of the service moves with
 * it (detect/corroboration.ts), to every detector's `metric` hook in order; then every
 * detector's `window` hook runs. The
 * detectors (detect/spike-drop.ts, leak.ts, new-peer.ts: their claims are there) decide when
 * an episode is active and when it triggers; one state machine (detect/episode.ts) fires, holds,
 * resolves and cools down every alert kind, at most one open episode per (service, kind,
 * metric or peer). The episodes' alerts of the window then move the service's incident
 * (incident/service.ts): the metrics of one service that break together are one incident.
 */
import { type Alert } from '../alert/schema.js';
import { domainOf } from '../alert/units.js';
import { type Baseline, emptyBaseline, learn } from '../baseline/index.js';
import { type Detector, type DetectorContext, type MetricWindow, type ServiceWindow } from '../detect/detector.js';
import { corroborationOf } from '../detect/corroboration.js';
import { type VerdictStatus, deviationOf, judge } from '../detect/deviation.js';
import { EpisodeBook } from '../detect/episode.js';
import { leakDetector } from '../detect/leak.js';
import { limitBreachDetector } from '../detect/limit-breach.js';
import { newPeerDetector } from '../detect/new-peer.js';
import { profileDriftDetector } from '../detect/profile-drift.js';
import { type Scale, scaleOf, toScale } from '../detect/scale.js';
import { spikeDropDetector } from '../detect/spike-drop.js';
import { hasAnyKey, serviceKey } from '../model.js';
import { type DetectionParams, detectionFor, policyFor } from '../params.js';
import { DEFAULT_ENFORCEMENT, type EnforcementParams, type ProfileLookup } from '../profile/enforce.js';
import { DEFAULT_PROFILE_LEARN, type ProfileLearnParams, emptyLearnedProfile, learnProfile } from '../profile/learn.js';
import { type WindowPartial } from '../window/partial.js';
import { closeWindow } from '../window/metrics.js';
import { type Incident } from '../incident/schema.js';
import { incidentStep } from '../incident/service.js';
import { type ServiceState } from './service-state.js';

export interface CloseParams {
  detection: DetectionParams;
  counterIdleWindows: number;
  maxMetricsPerService: number;
  maxPeersPerService: number;
  /** The declared profiles in force (none when absent) and how they are enforced (DEFAULT_ENFORCEMENT when absent). */
  profiles?: ProfileLookup;
  enforcement?: EnforcementParams;
  /** Learned-profile bounds and VPA memory/OOM settings (default DEFAULT_PROFILE_LEARN). */
  profile?: ProfileLearnParams;
}

export interface CloseOutcome {
  state: ServiceState;
  alerts: Alert[];
  /** The change of the service's incident this window made (incident/service.ts), if any. */
  incident: Incident | undefined;
  verdicts: Partial<Record<VerdictStatus, number>>;
  /** Metrics or peers refused by a bound. */
  overflow: number;
}

const freshBaseline = (scale: Scale): Baseline => (scale === 'log' ? { ...emptyBaseline(), scale } : emptyBaseline());

/** The detectors every window runs, in order (their alerts come out in this order per metric). */
export const DETECTORS: readonly Detector[] = [spikeDropDetector, leakDetector, newPeerDetector, limitBreachDetector, profileDriftDetector];

export function closeServiceWindow(prev: ServiceState, p: WindowPartial, params: CloseParams, detectors = DETECTORS): CloseOutcome {
  const svc = serviceKey(prev.service);
  const d = detectionFor(params.detection, svc);
  const { metrics, samples, counters } = closeWindow(p, prev.counters, { counterIdleWindows: params.counterIdleWindows });
  const baselines: Record<string, Baseline> = { ...prev.baselines };
  const verdicts: Partial<Record<VerdictStatus, number>> = {};
  const last: Record<string, number> = {};
  const judged: MetricWindow[] = [];
  let overflow = 0;
  const ctx: DetectorContext = { service: prev.service, svc, windowStart: p.windowStart, windowMs: p.windowMs, d };
  const book = new EpisodeBook(
    prev.episodes,
    prev.cooldowns,
    { service: prev.service, windowStart: p.windowStart, windowMs: p.windowMs },
    d,
  );

  // An established traffic baseline and a window with other data but no requests: that is 0 req/s.
  const rps = baselines.requests_per_s;
  if (metrics.requests_per_s === undefined && rps && rps.n >= d.warmupWindows && rps.level > 0) metrics.requests_per_s = 0;

  for (const metric in metrics) {
    const x = metrics[metric] as number;
    if (!Number.isFinite(x)) continue;
    const policy = policyFor(d, metric);
    const scale = scaleOf(policy);
    let b = baselines[metric];
    if (!b) {
      if (Object.keys(baselines).length >= params.maxMetricsPerService) {
        overflow++;
        continue;
      }
      b = freshBaseline(scale);
    }
    // A record learned on another scale (the metric's scale was reconfigured) describes other
    // numbers: the metric starts learning again.
    if ((b.scale ?? 'linear') !== scale) b = freshBaseline(scale);
    if (p.windowStart <= b.lastWindowStart) continue;
    // The baseline, the band and z live on the metric's scale; alerts speak its unit.
    const y = toScale(policy, x);
    last[metric] = x;
    if (b.n > 0 && p.windowStart - b.lastWindowStart > d.staleAfterWindows * p.windowMs) {
      // Back after a long gap: the baseline describes another time. Learn, do not judge.
      verdicts.stale = (verdicts.stale ?? 0) + 1;
      baselines[metric] = learn(b, y, p.windowStart, 0, 0, d);
      continue;
    }
    // Judged inside the metric's domain and, when the window has one, with its sample size.
    const v = judge(b, y, p.windowStart, policy, d, domainOf(metric), samples[metric]);
    verdicts[v.status] = (verdicts[v.status] ?? 0) + 1;
    const next = learn(b, y, p.windowStart, deviationOf(v), 'z' in v ? v.z : 0, d, v.surprise, v.counts);
    judged.push({ metric, x, y, policy, prev: b, next, verdict: v, corroborated: false });
    baselines[metric] = next;
  }
  // The detectors see each metric with the rest of the window judged: whether another signal of
  // the service moves with it (detect/corroboration.ts).
  const corroborated = d.corroboration === 'off' ? () => true : corroborationOf(judged);
  for (const m of judged) {
    m.corroborated = corroborated(m.metric);
    for (const det of detectors) det.metric?.(m, ctx, book);
    baselines[m.metric] = m.next;
  }

  // Spelled out, not spread from ctx: a spread plus more fields costs more than the whole
  // window's other bookkeeping (measured: −25 % replay throughput).
  const w: ServiceWindow = {
    service: prev.service,
    svc,
    windowStart: p.windowStart,
    windowMs: p.windowMs,
    d,
    edges: p.edges,
    windowsBefore: prev.windows,
    // Only an edge can add or touch a peer (detect/new-peer.ts): a window without edges shares
    // the record, which nothing changes in place.
    peers: hasAnyKey(p.edges) ? { ...prev.peers } : prev.peers,
    maxPeersPerService: params.maxPeersPerService,
    overflow: 0,
    profile: params.profiles?.get(svc),
    enforcement: params.enforcement ?? DEFAULT_ENFORCEMENT,
    metrics,
    containers: p.containers,
    baselines,
    since: { ...prev.since },
  };
  for (const det of detectors) det.window?.(w, book);
  overflow += w.overflow;
  const inc =
    prev.incident || book.alerts.length
      ? incidentStep(prev.incident, book.alerts, Object.keys(book.episodes).length, {
          service: prev.service,
          windowStart: p.windowStart,
          windowMs: p.windowMs,
        })
      : { state: undefined, incident: undefined };

  // Profile learning reads the same window: per-container CPU/memory, traffic, peers (profile/learn.ts).
  const profile = learnProfile(prev.profile ?? emptyLearnedProfile(), p, prev.counters, metrics, params.profile ?? DEFAULT_PROFILE_LEARN);

  const state: ServiceState = {
    v: 1,
    service: prev.service,
    lastWindowStart: p.windowStart,
    windows: prev.windows + 1,
    baselines,
    counters,
    peers: w.peers,
    episodes: book.episodes,
    cooldowns: book.cooldowns,
    last,
    profile,
  };
  // Written once it has held anything, so an emptied map replaces the stored one.
  if (prev.since !== undefined || Object.keys(w.since).length > 0) state.since = w.since;
  if (inc.state) state.incident = inc.state;
  return { state, alerts: book.alerts, incident: inc.incident, verdicts, overflow };
}
