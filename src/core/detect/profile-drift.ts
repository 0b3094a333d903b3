/**
 * Profile drift: a declared profile (any mode) that stays far from what meshwatch observes.
 * A stale profile is as unsafe as none: over-provisioned is cost, under-provisioned is the next
 * outage, peers never used widen the attack surface.
 *
 * "Observed" is what stage 2 already learns: the baseline level (baseline/level.ts) of
 * cpu_cores and memory_working_set_bytes, divided by the pods seen in the window (a service's
 * metrics sum its replicas; a profile declares one pod). Claims, per window, once the metric's
 * baseline has learned `warmupWindows` windows:
 *  - over-provisioned: the declared per-pod amount (limits, else requests) is at least
 *    `overProvisionedRatio` × the learned per-pod usage;
 *  - under-provisioned: the learned per-pod usage exceeds the declared requests (else limits)
 *    × `underProvisionedRatio`;
 *  - peers never used: declared outbound peers not called for `driftPeriodMs` (a peer never
 *    called counts from the first window the profile was in force for the service).
 * A resource condition fires after holding for `driftPeriodMs` of event time (episode key
 * `profile_drift:<metric>`; severity warning over, error under); the peer condition fires as
 * soon as a peer has gone unused that long (`profile_drift:edge`). Each stays open while its
 * condition holds and resolves after `resolveWindows` windows without it, or when the profile
 * is removed. A window without the metric's containers changes nothing.
 * O(containers + declared outbound peers ≤ 1024) per window.
 */
import { type Episode } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type ServiceId } from '../model.js';
import { policyFor } from '../params.js';
import { type EnforcedProfile, heldSince, podsOf } from '../profile/enforce.js';
import { type Detector, type ServiceWindow } from './detector.js';
import { type EpisodeBook } from './episode.js';
import { fromScale } from './scale.js';
import { scoreOf } from './score.js';
import { round } from './spike-drop.js';

const DRIFT = 'drift:';

function resource(
  w: ServiceWindow,
  book: EpisodeBook,
  metric: 'cpu_cores' | 'memory_working_set_bytes',
  high: number | undefined,
  low: number | undefined,
  pods: number,
): boolean {
  const b = w.baselines[metric];
  if (!b || b.n < w.d.warmupWindows || high === undefined || pods === 0) return false;
  const e = w.enforcement;
  const usage = Math.max(0, fromScale(policyFor(w.d, metric), b.level)) / pods;
  const over = high > 0 && high >= e.overProvisionedRatio * usage;
  const under = low !== undefined && usage > low * e.underProvisionedRatio;
  const sinceOver = heldSince(w.since, `${DRIFT}${metric}:over`, over, w.windowStart);
  const sinceUnder = heldSince(w.since, `${DRIFT}${metric}:under`, under, w.windowStart);
  const since = sinceOver ?? sinceUnder;
  const declared = over ? high : (low ?? high);
  const ratio = over ? high / Math.max(usage, Number.MIN_VALUE) : usage / Math.max(declared, Number.MIN_VALUE);
  book.step(
    `profile_drift:${metric}`,
    over || under,
    since !== undefined && w.windowStart - since >= e.driftPeriodMs,
    (): Episode => {
      const startsAt = since ?? w.windowStart;
      return {
        id: episodeId(w.svc, 'profile_drift', metric, startsAt),
        kind: 'profile_drift',
        metric,
        startsAt,
        calm: 0,
        severity: over ? 'warning' : 'error',
        score: scoreOf(ratio / (over ? e.overProvisionedRatio : e.underProvisionedRatio), 1),
        observed: usage,
        expected: { value: declared, lower: high / e.overProvisionedRatio, upper: (low ?? high) * e.underProvisionedRatio },
        basis: 'declared',
      };
    },
    {
      drift: over ? 'over-provisioned' : 'under-provisioned',
      declared_per_pod: declared,
      learned_per_pod: usage,
      ratio: round(ratio),
      pods,
      period_ms: e.driftPeriodMs,
    },
    usage,
  );
  return true;
}

function unusedPeers(w: ServiceWindow, book: EpisodeBook, declared: ReadonlyMap<string, ServiceId>): void {
  const period = w.enforcement.driftPeriodMs;
  const tracked = heldSince(w.since, `${DRIFT}peers:tracked`, true, w.windowStart) ?? w.windowStart;
  let unused = 0;
  let example: ServiceId | undefined;
  const names: string[] = [];
  for (const [key, peer] of declared) {
    const rec = w.peers[`out:${key}`];
    const idleSince = rec ? rec.lastSeen : tracked;
    if (w.windowStart - idleSince < period) continue;
    unused++;
    example ??= peer;
    if (names.length < 20) names.push(key);
  }
  book.step(
    'profile_drift:edge',
    unused > 0,
    unused > 0,
    (): Episode => ({
      id: episodeId(w.svc, 'profile_drift', 'edge', w.windowStart),
      kind: 'profile_drift',
      metric: 'edge',
      ...(example ? { peer: example } : {}),
      startsAt: w.windowStart,
      calm: 0,
      severity: 'warning',
      score: scoreOf(unused / Math.max(1, declared.size), 0.5),
      observed: unused,
      expected: null,
      basis: 'declared',
    }),
    { drift: 'peers never used', unused_peers: names.join(', '), declared_peers: declared.size, period_ms: period },
    unused,
  );
}

function checks(w: ServiceWindow, book: EpisodeBook, profile: EnforcedProfile): Set<string> {
  const checked = new Set<string>();
  const pods = podsOf(Object.keys(w.containers));
  const p = profile.pod;
  if (resource(w, book, 'cpu_cores', p.cpuLimitCores ?? p.cpuRequestCores, p.cpuRequestCores ?? p.cpuLimitCores, pods)) {
    checked.add('profile_drift:cpu_cores');
  }
  const [memHigh, memLow] = [p.memoryLimitBytes ?? p.memoryRequestBytes, p.memoryRequestBytes ?? p.memoryLimitBytes];
  if (resource(w, book, 'memory_working_set_bytes', memHigh, memLow, pods)) checked.add('profile_drift:memory_working_set_bytes');
  if (profile.outbound && profile.outbound.size > 0) {
    unusedPeers(w, book, profile.outbound);
    checked.add('profile_drift:edge');
  }
  return checked;
}

export const profileDriftDetector: Detector = {
  name: 'profile-drift',
  kinds: ['profile_drift'],
  window(w, book) {
    const profile = w.profile;
    const checked = profile ? checks(w, book, profile) : undefined;
    if (!profile) for (const k in w.since) if (k.startsWith(DRIFT)) delete w.since[k];
    for (const key in book.episodes) {
      const open = book.episodes[key];
      if (open?.kind !== 'profile_drift' || checked?.has(key)) continue;
      // No data for this metric in the window: hold; no profile (or no declared peers) any more: calm down.
      if (profile && open.metric !== 'edge') continue;
      book.step(key, false, false, () => open, {}, open.observed);
    }
  },
};
