/**
 * The per-metric threshold oracle of the nezha-dev bound (`nezha-bound.ts`): every series (service ×
 * metric) gets its own static threshold on its raw values, upward or downward, chosen with the
 * faults known. To catch fault f, some metric m of the injected service must fire in f's window,
 * so its threshold is at most the window's peak (or at least its trough); the cheapest such
 * catch is the fewest false-alarm episodes (the scorer's count, on that service) of "x ≥ the
 * window's peak" (or "x ≤ its trough") over the service's metrics and both directions.
 *
 * A service catching k of its faults is charged the k-th cheapest of those costs (as if every
 * metric's false alarms fell inside the dearest one's); an exact knapsack over the services then
 * gives the most faults, and the best F1, within the false-alarm budget. Optimistic twice over:
 * the union of several metrics' alarms is charged as its largest part, and nothing else fires.
 * (Episodes are not strictly monotone in the detections — a detection between two episodes can
 * join them — so a looser threshold is assumed to cost no fewer episodes than the peak's.)
 */
import { type Dataset, type Fault, type Service, SCOPES, SCORER, f1Of } from './nezha-bound-eval.js';

export interface Catch {
  /** False-alarm episodes on the service of the cheapest single-metric catch (Infinity: no sample in the window). */
  episodes: number;
  metric: string | null;
}

/**
 * The cheapest single-metric, single-threshold catch of fault `f` on its service `s`, whose
 * faults are `faults`; minutes where `usable` is 0 never fire (the null control's real faults).
 */
export function cheapestCatch(ds: Dataset, s: Service, f: Fault, faults: readonly Fault[] = s.faults, usable?: Uint8Array): Catch {
  const hi = f.end + SCORER.toleranceS * 1000;
  const segs = faults.map((x) => ({ start: x.start, end: x.end, fault: x }));
  let best: Catch = { episodes: Infinity, metric: null };
  for (const m of s.metrics) {
    let peak = -Infinity;
    let trough = Infinity;
    s.times.forEach((t, i) => {
      const x = m.values[i]!;
      if (t < f.start || t > hi || Number.isNaN(x)) return;
      peak = Math.max(peak, x);
      trough = Math.min(trough, x);
    });
    if (peak === -Infinity) continue;
    for (const [dir, fires] of [
      ['↑', (x: number) => x >= peak],
      ['↓', (x: number) => x <= trough],
    ] as const) {
      const pred = new Set<number>();
      m.values.forEach((x, i) => {
        if (!Number.isNaN(x) && fires(x) && (usable === undefined || usable[i])) pred.add(i);
      });
      const episodes = ds.scoreEntity(s.times, segs, pred, SCORER).fpEpisodes;
      if (episodes < best.episodes) best = { episodes, metric: `${m.name} ${dir}` };
    }
  }
  return best;
}

export interface OracleResult {
  scope: string;
  budget: number;
  segments: number;
  /** Best F1 within the budget, with its faults found and episodes. */
  f1: number;
  found: number;
  episodes: number;
  /** Most faults found within the budget. */
  maxFound: number;
}

/**
 * The null control: every fault's window moved, with the whole block of its system's faults, to
 * the fault-free rest of the day (block length + 30 min later; the real fault minutes never fire).
 * What the oracle "finds" there is what choosing one metric and threshold per fault in hindsight
 * finds in normal data: its selection effect.
 */
export function nullFaults(ds: Dataset): { faults: Fault[]; catches: Map<Fault, Catch> } {
  const faults: Fault[] = [];
  for (const sys of ['ob', 'tt'] as const) {
    const own = ds.faults.filter((f) => f.system === sys);
    const shift = Math.max(...own.map((f) => f.end)) - Math.min(...own.map((f) => f.start)) + 30 * 60_000;
    for (const f of own) faults.push({ ...f, start: f.start + shift, end: f.end + shift });
  }
  const catches = new Map<Fault, Catch>();
  for (const s of ds.services) {
    const own = faults.filter((f) => f.entity === s.id);
    for (const f of own) catches.set(f, cheapestCatch(ds, s, f, own, s.faultFree));
  }
  return { faults, catches };
}

export function perMetricOracle(ds: Dataset, faults: readonly Fault[], catches: ReadonlyMap<Fault, Catch>, maxFa: number): OracleResult[] {
  return SCOPES.map((scope) => {
    const services = ds.services.filter((s) => scope === 'all' || s.system === scope);
    const days = scope === 'all' ? ds.days.ob + ds.days.tt : ds.days[scope];
    const budget = Math.floor(maxFa * days);
    const segments = faults.filter((f) => services.some((s) => s.id === f.entity)).length;
    let dp = new Array<number>(budget + 1).fill(-Infinity);
    dp[0] = 0;
    for (const s of services) {
      const costs = faults
        .filter((f) => f.entity === s.id)
        .map((f) => catches.get(f)!.episodes)
        .sort((a, b) => a - b);
      const next = [...dp];
      for (let b = 0; b <= budget; b++) {
        if (dp[b] === -Infinity) continue;
        costs.forEach((c, k) => {
          if (b + c <= budget) next[b + c] = Math.max(next[b + c]!, dp[b]! + k + 1);
        });
      }
      dp = next;
    }
    let best = { f1: 0, found: 0, episodes: 0 };
    let maxFound = 0;
    dp.forEach((found, episodes) => {
      if (found === -Infinity) return;
      maxFound = Math.max(maxFound, found);
      const f1 = f1Of({ segments, detected: found, fp: episodes });
      if (f1 > best.f1) best = { f1, found, episodes };
    });
    return { scope, budget, segments, ...best, maxFound };
  });
}
