/**
 * Closes one window of one service: metrics → verdicts → baselines → episodes → alerts.
 * Pure: returns the next state and the alerts; nothing is mutated.
 *
 * Claims (per metric, see detect/deviation.ts for the band):
 *  - an episode fires when the metric has been anomalous in the same direction for
 *    `persistWindows` consecutive windows, or once with |z| ≥ `strongThreshold`;
 *  - it resolves after `resolveWindows` consecutive windows back inside the band;
 *  - at most one open episode per (service, kind, metric);
 *  - new_peer fires on the first outbound call to a peer not seen before, once the service
 *    has closed `warmupWindows` windows (before that, peers are learned silently), and
 *    resolves after `resolveWindows` windows without calls to that peer.
 */
import { type Alert } from '../alert/schema.js';
import { type Episode, buildAlert, severityOf } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type Baseline, emptyBaseline, learn } from '../baseline/baseline.js';
import { type VerdictStatus, judge } from '../detect/deviation.js';
import { serviceKey } from '../model.js';
import { type DetectionParams, policyFor } from '../params.js';
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
  const d = params.detection;
  const svc = serviceKey(prev.service);
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

  for (const [metric, x] of Object.entries(metrics)) {
    if (!Number.isFinite(x)) continue;
    let b = baselines[metric];
    if (!b) {
      if (Object.keys(baselines).length >= params.maxMetricsPerService) {
        overflow++;
        continue;
      }
      b = emptyBaseline();
    }
    if (p.windowStart <= b.lastWindowStart) continue;
    const policy = policyFor(d, metric);
    const v = judge(b, x, policy, d);
    verdicts[v.status] = (verdicts[v.status] ?? 0) + 1;
    const deviation = v.status === 'anomalous' ? (v.direction === 'up' ? 1 : -1) : 0;
    const band = 'band' in v ? v.band : { value: b.level, lower: -Infinity, upper: Infinity };
    const next = learn(b, x, p.windowStart, deviation, band, d);
    baselines[metric] = next;

    const firingKind = v.status === 'anomalous' ? (v.direction === 'up' ? 'spike' : 'drop') : undefined;
    for (const kind of ['spike', 'drop'] as const) {
      const key = `${kind}:${metric}`;
      const open = episodes[key];
      if (v.status === 'anomalous' && firingKind === kind) {
        const runLength = Math.abs(next.run) || Math.abs(b.run) + 1;
        if (open) {
          episodes[key] = { ...open, calm: 0 };
        } else if (runLength >= d.persistWindows || Math.abs(v.z) >= d.strongThreshold) {
          const startsAt = next.runStart >= 0 ? next.runStart : p.windowStart;
          const e: Episode = {
            id: episodeId(svc, kind, metric, startsAt),
            kind,
            metric,
            startsAt,
            calm: 0,
            severity: severityOf(kind, metric, v.score),
            score: v.score,
            observed: x,
            expected: { value: v.band.value, lower: v.band.lower, upper: v.band.upper },
          };
          episodes[key] = e;
          alerts.push(buildAlert('firing', e, { ...ctx, details: { z: round(v.z), windows_learned: b.n } }));
        }
      } else if (open) {
        const calm = open.calm + 1;
        if (calm >= d.resolveWindows) {
          delete episodes[key];
          alerts.push(buildAlert('resolved', { ...open, calm, observed: x }, ctx));
        } else {
          episodes[key] = { ...open, calm };
        }
      }
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
  };
  return { state, alerts, verdicts, overflow };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
