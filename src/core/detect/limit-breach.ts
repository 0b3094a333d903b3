/**
 * Limit breach: a workload under a declared profile in enforce mode using what the profile
 * does not give it. Limits come from the declared profile only (cAdvisor's Kafka driver sends
 * no container spec).
 *
 * Claims, per window (episode key `limit_breach:<metric>`, one per metric at a time):
 *  - memory_working_set_bytes: the container whose window-mean working set is the largest share
 *    of its declared memory limit (matched by container name; a one-container profile covers
 *    every container) reaches `memoryLimitRatio` (0.9): fires at once — an OOM kill does not
 *    wait; severity critical at or over the limit, else error;
 *  - cpu_throttled_ratio: a profile declaring a CPU limit and a window throttled in at least
 *    `cpuThrottledRatio` of its CFS periods, for `persistWindows` windows in a row;
 *  - requests_per_s, error_ratio, network_tx_bytes_per_s (bytes_out_per_s where no container
 *    network is seen): over the declared traffic budget for `persistWindows` windows in a row.
 * An open episode holds while the value stays above 95 % of its bar (no flapping at the bar)
 * and resolves after `resolveWindows` windows below it; a window without the metric changes
 * nothing; when the profile is removed or leaves enforce mode, open episodes resolve. A metric
 * whose profile sensitivity is `off` is not checked. O(containers of the window).
 */
import { type Episode } from '../alert/build.js';
import { episodeId } from '../alert/id.js';
import { type EnforcedProfile, declaredContainer, heldSince } from '../profile/enforce.js';
import { type Detector, type ServiceWindow } from './detector.js';
import { type EpisodeBook } from './episode.js';
import { scoreOf } from './score.js';
import { round } from './spike-drop.js';

const HOLD_SHARE = 0.95;

interface Check {
  metric: string;
  observed: number;
  /** The declared amount and the bar (the value that breaches). */
  declared: number;
  bar: number;
  /** Windows over the bar needed before firing. */
  persist: number;
  details: Record<string, string | number>;
}

function memoryCheck(w: ServiceWindow, profile: EnforcedProfile): Check | undefined {
  let worst: { id: string; ws: number; limit: number; name: string } | undefined;
  for (const [id, c] of Object.entries(w.containers)) {
    const g = c.gauges.memory_working_set_bytes;
    if (!g || g.n === 0) continue;
    const decl = declaredContainer(profile, id);
    const limit = decl?.limits.memoryBytes;
    if (!decl || limit === undefined || limit <= 0) continue;
    const ws = g.sum / g.n;
    if (!worst || ws / limit > worst.ws / worst.limit) worst = { id, ws, limit, name: decl.name };
  }
  if (!worst) return undefined;
  return {
    metric: 'memory_working_set_bytes',
    observed: worst.ws,
    declared: worst.limit,
    bar: w.enforcement.memoryLimitRatio * worst.limit,
    persist: 1,
    details: { container: worst.id, profile_container: worst.name, limit_ratio: round(worst.ws / worst.limit) },
  };
}

function checksOf(w: ServiceWindow, profile: EnforcedProfile): Check[] {
  const out: Check[] = [];
  const on = (metric: string): boolean => profile.sensitivity[metric] !== 'off';
  const mem = on('memory_working_set_bytes') ? memoryCheck(w, profile) : undefined;
  if (mem) out.push(mem);
  const throttled = w.metrics.cpu_throttled_ratio;
  const cpuLimited = [...profile.containers.values()].some((c) => c.limits.cpuCores !== undefined);
  if (throttled !== undefined && cpuLimited && on('cpu_throttled_ratio')) {
    const bar = w.enforcement.cpuThrottledRatio;
    out.push({ metric: 'cpu_throttled_ratio', observed: throttled, declared: bar, bar, persist: w.d.persistWindows, details: {} });
  }
  const t = profile.traffic;
  const budget = (metric: string, limit: number | undefined, key: string): void => {
    const x = w.metrics[metric];
    if (limit === undefined || x === undefined || !on(metric)) return;
    out.push({ metric, observed: x, declared: limit, bar: limit, persist: w.d.persistWindows, details: { budget: key } });
  };
  budget('requests_per_s', t.requestsPerS, 'requestsPerS');
  budget('error_ratio', t.errorRatio, 'errorRatio');
  budget(
    w.metrics.network_tx_bytes_per_s !== undefined ? 'network_tx_bytes_per_s' : 'bytes_out_per_s',
    t.egressBytesPerS,
    'egressBytesPerS',
  );
  return out;
}

function step(w: ServiceWindow, book: EpisodeBook, c: Check): void {
  const key = `limit_breach:${c.metric}`;
  const over = c.observed >= c.bar;
  const since = heldSince(w.since, `breach:${c.metric}`, over, w.windowStart);
  const trigger = since !== undefined && w.windowStart - since >= (c.persist - 1) * w.windowMs;
  book.step(
    key,
    c.observed >= HOLD_SHARE * c.bar,
    trigger,
    (): Episode => {
      const score = scoreOf(c.observed / Math.max(c.bar, Number.EPSILON), 1);
      const startsAt = since ?? w.windowStart;
      return {
        id: episodeId(w.svc, 'limit_breach', c.metric, startsAt),
        kind: 'limit_breach',
        metric: c.metric,
        startsAt,
        calm: 0,
        severity: c.observed >= c.declared ? 'critical' : 'error',
        score,
        observed: c.observed,
        expected: { value: c.declared, lower: 0, upper: c.bar },
        basis: 'declared',
      };
    },
    { ...c.details, declared: c.declared, bar: c.bar, mode: 'enforce' },
    c.observed,
  );
}

export const limitBreachDetector: Detector = {
  name: 'limit-breach',
  kinds: ['limit_breach'],
  window(w, book) {
    const profile = w.profile?.mode === 'enforce' ? w.profile : undefined;
    const checked = profile ? new Set<string>() : undefined;
    if (profile) {
      for (const c of checksOf(w, profile)) {
        checked?.add(`limit_breach:${c.metric}`);
        step(w, book, c);
      }
    }
    for (const key in book.episodes) {
      const open = book.episodes[key];
      if (open?.kind !== 'limit_breach' || checked?.has(key)) continue;
      // No data for this metric in the window: hold; no profile in force any more: calm down.
      if (profile) continue;
      delete w.since[`breach:${open.metric}`];
      book.step(key, false, false, () => open, {}, open.observed);
    }
  },
};
