/**
 * Closes one window of one service: metrics → verdicts → baselines → episodes → alerts.
 * Pure: returns the next state and the alerts; nothing is mutated.
 *
 * Claims (per metric, see detect/deviation.ts for the band):
 *  - an episode fires when the metric has been anomalous in the same direction for
 *    `persistWindows` consecutive windows, or at once when the window is anomalous by the
 *    burst test (it already spans three windows) or by the drift test after 16 windows inside
 *    the band (its average spans many windows; right after an anomaly it still holds that
 *    anomaly's windows: see baseline/driftIsOwn), or when one anomalous window (by any test)
 *    is a record (RECORD_MARGIN beyond the largest deviation its normal windows and blips
 *    reached lately, after slowHalfLifeWindows / 8 judged windows: see baseline/isRecord) or
 *    has |z| ≥ max(`strongThreshold`, 2 × bar) in a series that does not blip;
 *  - it resolves after `resolveWindows` consecutive windows back inside the band;
 *  - at most one open episode per (service, kind, metric);
 *  - new_peer fires on the first outbound call to a peer not seen before, once the service
 *    has closed `warmupWindows` windows (before that, peers are learned silently), and
 *    resolves after `resolveWindows` windows without calls to that peer.
 */
import { type Alert } from '../alert/schema.js';
import { type Episode, buildAlert, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type Baseline, driftIsOwn, emptyBaseline, isRecord, learn } from '../baseline/baseline.js';
import { type Verdict, type VerdictStatus, barOf, deviationOf, hasWidth, judge, scoreOf } from '../detect/deviation.js';
import { fromScale, scaleOf, toScale } from '../detect/scale.js';
import { serviceKey } from '../model.js';
import { type DetectionParams, detectionFor, policyFor } from '../params.js';
import { type WindowPartial } from '../window/partial.js';
import { closeWindow } from '../window/metrics.js';
import { type ServiceState } from './service-state.js';

export interface CloseParams {
  detection: DetectionParams;
  counterIdleWindows: number;
  maxMetricsPerService: number;
  maxPeersPerService: number;
}

export interface CloseOutcome {
  state: ServiceState;
  alerts: Alert[];
  verdicts: Partial<Record<VerdictStatus, number>>;
  /** Metrics or peers refused by a bound. */
  overflow: number;
}

export function closeServiceWindow(prev: ServiceState, p: WindowPartial, params: CloseParams): CloseOutcome {
  const svc = serviceKey(prev.service);
  const d = detectionFor(params.detection, svc);
  const { metrics, counters } = closeWindow(p, prev.counters, { counterIdleWindows: params.counterIdleWindows });
  const baselines: Record<string, Baseline> = { ...prev.baselines };
  const episodes: Record<string, Episode> = { ...prev.episodes };
  const alerts: Alert[] = [];
  const verdicts: Partial<Record<VerdictStatus, number>> = {};
  let overflow = 0;
  const ctx = { service: prev.service, windowStart: p.windowStart, windowMs: p.windowMs };

  // An established traffic baseline and a window with other data but no requests: that is 0 req/s.
  const rps = baselines.requests_per_s;
  if (metrics.requests_per_s === undefined && rps && rps.n >= d.warmupWindows && rps.level > 0) metrics.requests_per_s = 0;

  const cooldowns: Record<string, number> = {};
  for (const [k, until] of Object.entries(prev.cooldowns)) if (until > p.windowStart) cooldowns[k] = until;

  /**
   * One step of the episode of `key`: fire when `trigger` holds and the key is not cooling
   * down; an open episode stays open while `active`, and resolves after resolveWindows
   * windows without it.
   */
  const step = (key: string, active: boolean, trigger: boolean, fire: () => Episode, details: Alert['details'], observed: number): void => {
    const open = episodes[key];
    if (open) {
      if (active) {
        if (open.calm !== 0) episodes[key] = { ...open, calm: 0 };
        return;
      }
      const calm = open.calm + 1;
      if (calm < d.resolveWindows) {
        episodes[key] = { ...open, calm };
        return;
      }
      delete episodes[key];
      if (d.cooldownWindows > 0) cooldowns[key] = p.windowStart + d.cooldownWindows * p.windowMs;
      alerts.push(buildAlert('resolved', { ...open, calm, observed }, ctx));
      return;
    }
    if (!trigger || cooldowns[key] !== undefined) return;
    const e = fire();
    episodes[key] = e;
    alerts.push(buildAlert('firing', e, { ...ctx, details }));
  };

  for (const [metric, x] of Object.entries(metrics)) {
    if (!Number.isFinite(x)) continue;
    const policy = policyFor(d, metric);
    const scale = scaleOf(policy);
    const fresh = (): Baseline => (scale === 'log' ? { ...emptyBaseline(), scale } : emptyBaseline());
    let b = baselines[metric];
    if (!b) {
      if (Object.keys(baselines).length >= params.maxMetricsPerService) {
        overflow++;
        continue;
      }
      b = fresh();
    }
    // A record learned on another scale (the metric's scale was reconfigured) describes other
    // numbers: the metric starts learning again.
    if ((b.scale ?? 'linear') !== scale) b = fresh();
    if (p.windowStart <= b.lastWindowStart) continue;
    // The baseline, the band and z live on the metric's scale; alerts speak its unit.
    const y = toScale(policy, x);
    if (b.n > 0 && p.windowStart - b.lastWindowStart > d.staleAfterWindows * p.windowMs) {
      // Back after a long gap: the baseline describes another time. Learn, do not judge.
      verdicts.stale = (verdicts.stale ?? 0) + 1;
      baselines[metric] = learn(b, y, p.windowStart, 0, 0, d);
      continue;
    }
    const v = judge(b, y, p.windowStart, policy, d);
    verdicts[v.status] = (verdicts[v.status] ?? 0) + 1;
    const next = learn(b, y, p.windowStart, deviationOf(v), v.status === 'insufficient-data' ? 0 : v.z, d, v.surprise);
    baselines[metric] = next;

    // One window is enough when its test already spans several windows (a burst; a drift the
    // series' own, not what an anomaly that just ended left behind), when it is a record, or
    // when it is strong in a series that does not blip.
    const atOnce =
      v.status === 'anomalous' &&
      (v.test === 'burst' ||
        (v.test === 'drift' && driftIsOwn(b)) ||
        isRecord(b, y - v.band.value, d) ||
        (Math.abs(v.z) >= Math.max(d.strongThreshold, 2 * barOf(b, d.threshold)) && (b.blips ?? 0) < BLIP_LIMIT));
    for (const kind of ['spike', 'drop'] as const) {
      const active = v.status === 'anomalous' && (v.direction === 'up') === (kind === 'spike');
      const runLength = Math.abs(next.run) || Math.abs(b.run) + 1;
      step(
        `${kind}:${metric}`,
        active,
        active && (runLength >= d.persistWindows || atOnce),
        () => {
          const a = v as Extract<Verdict, { status: 'anomalous' }>;
          const startsAt = next.runStart >= 0 ? next.runStart : p.windowStart;
          return {
            id: episodeId(svc, kind, metric, startsAt),
            kind,
            metric,
            startsAt,
            calm: 0,
            severity: severityOf(kind, metric, a.score),
            score: a.score,
            observed: x,
            expected: {
              value: fromScale(policy, a.band.value),
              lower: fromScale(policy, a.band.lower),
              upper: fromScale(policy, a.band.upper),
            },
          };
        },
        v.status === 'anomalous'
          ? { z: hasWidth(v.band) ? round(v.z) : null, test: v.test, windows_learned: b.n }
          : { z: null, windows_learned: b.n },
        x,
      );
    }

    // Runaway climb: the fast level stays `drift` above the slow one (leaks, filling disks).
    const drift = policy.drift ?? 0;
    if (drift > 0 && next.n >= d.warmupWindows) {
      const ref = fromScale(policy, next.leakRef ?? next.slow);
      const climb = fromScale(policy, next.level) - ref;
      const bar = drift * Math.abs(ref);
      const active = climb >= bar && climb > 0;
      const key = `leak:${metric}`;
      const holding = (next.leakRun ?? 0) >= d.persistWindows;
      baselines[metric] = { ...next, leakRun: active ? (b.leakRun ?? 0) + 1 : 0 };
      step(
        key,
        climb >= bar / 2,
        active && (baselines[metric].leakRun ?? 0) >= d.persistWindows && !holding,
        () => {
          const score = scoreOf(climb / Math.max(bar, Number.EPSILON), 1);
          return {
            id: episodeId(svc, 'leak', metric, p.windowStart),
            kind: 'leak',
            metric,
            startsAt: p.windowStart,
            calm: 0,
            severity: severityOf('leak', metric, score),
            score,
            observed: x,
            expected: { value: ref, lower: ref - bar, upper: ref + bar },
          };
        },
        { climb_ratio: round(climb / Math.max(Math.abs(ref), Number.EPSILON)), slow_level: ref },
        x,
      );
    }
  }

  const peers = { ...prev.peers };
  const warm = prev.windows >= d.warmupWindows;
  for (const [key, edge] of Object.entries(p.edges)) {
    const known = peers[key];
    if (known) {
      peers[key] = { ...known, lastSeen: p.windowStart, requests: known.requests + edge.requests };
      continue;
    }
    if (Object.keys(peers).length >= params.maxPeersPerService) {
      overflow++;
      continue;
    }
    peers[key] = { peer: edge.peer, direction: edge.direction, firstSeen: p.windowStart, lastSeen: p.windowStart, requests: edge.requests };
    if (warm && edge.direction === 'outbound') {
      const subject = serviceKey(edge.peer);
      const e: Episode = {
        id: episodeId(svc, 'new_peer', subject, p.windowStart),
        kind: 'new_peer',
        metric: 'edge',
        peer: edge.peer,
        startsAt: p.windowStart,
        calm: 0,
        severity: severityOf('new_peer', 'edge', 1),
        score: 1,
        observed: edge.requests,
        expected: null,
      };
      episodes[`new_peer:${subject}`] = e;
      alerts.push(
        buildAlert('firing', e, {
          ...ctx,
          details: { requests: edge.requests, errors: edge.errors, bytes: edge.bytes, known_peers: Object.keys(prev.peers).length },
        }),
      );
    }
  }
  for (const [key, open] of Object.entries(episodes)) {
    if (open.kind !== 'new_peer' || !open.peer) continue;
    if (p.edges[`out:${serviceKey(open.peer)}`]) {
      if (open.calm !== 0) episodes[key] = { ...open, calm: 0 };
      continue;
    }
    const calm = open.calm + 1;
    if (calm >= d.resolveWindows) {
      delete episodes[key];
      alerts.push(buildAlert('resolved', { ...open, calm, observed: 0 }, ctx));
    } else episodes[key] = { ...open, calm };
  }

  const state: ServiceState = {
    v: 1,
    service: prev.service,
    lastWindowStart: p.windowStart,
    windows: prev.windows + 1,
    baselines,
    counters,
    peers,
    episodes,
    cooldowns,
  };
  return { state, alerts, verdicts, overflow };
}

/**
 * A series with this many recent blips (see Baseline.blips; 2.5: three one-window anomalies
 * lately) needs persistence even for a strong window: its big single windows are its habit.
 */
const BLIP_LIMIT = 2.5;

const round = (x: number): number => Math.round(x * 1000) / 1000;
