/**
 * Which nezha-dev faults show at all in a metric (`nezha-bound.ts`): for each fault, does any
 * metric leave the range (min..max) of its own fault-free samples during the fault window
 * ([start, end + 60 s], the scorer's)? Checked on the injected service (service level) and on any
 * service of the system (system level). The excess past the range is given in the series' robust
 * scale (MAD of its fault-free samples, `robustStats`), so "visible" by a hair is told apart from
 * a clear break-out.
 */
import { formatTable } from './common.js';
import { type Dataset, type Fault, type Service, SCORER } from './nezha-bound-eval.js';
import { type Catch } from './nezha-bound-oracle.js';
import { robustStats } from './nezha-bound-scores.js';

export interface FaultVisibility {
  service: string;
  type: string;
  start: string;
  /** The injected service's metric that leaves its fault-free range the most, and by how many scales (0: none does). */
  metric: string | null;
  excess: number;
  /** Metrics of the injected service outside their fault-free range in the window. */
  metricsOutside: number;
  /** Services of the system with ≥ 1 metric outside its fault-free range in the window. */
  servicesOutside: number;
  /** The cheapest single-metric threshold that catches it (`nezha-bound-oracle.ts`). */
  cheapest: Catch;
}

interface Range {
  min: number;
  max: number;
  scale: number;
}

function rangesOf(s: Service): (Range | undefined)[] {
  return s.metrics.map((m) => {
    const ref: number[] = [];
    m.values.forEach((x, i) => {
      if (s.faultFree[i] && !Number.isNaN(x)) ref.push(x);
    });
    if (ref.length === 0) return undefined;
    ref.sort((a, b) => a - b);
    return { min: ref[0]!, max: ref[ref.length - 1]!, scale: robustStats(ref).scale };
  });
}

/** The largest excess past the range (in scales) of each metric of `s` in the fault's window; -1 when inside. */
function excesses(s: Service, ranges: readonly (Range | undefined)[], f: Fault): number[] {
  const hi = f.end + SCORER.toleranceS * 1000;
  return s.metrics.map((m, k) => {
    const r = ranges[k];
    if (r === undefined) return -1;
    let e = -1;
    s.times.forEach((t, i) => {
      const x = m.values[i]!;
      if (t < f.start || t > hi || Number.isNaN(x)) return;
      if (x > r.max) e = Math.max(e, (x - r.max) / r.scale);
      else if (x < r.min) e = Math.max(e, (r.min - x) / r.scale);
    });
    return e;
  });
}

export function visibility(ds: Dataset, catches: ReadonlyMap<Fault, Catch>): FaultVisibility[] {
  const ranges = new Map(ds.services.map((s) => [s.id, rangesOf(s)]));
  return ds.faults.map((f) => {
    const own = ds.services.find((s) => s.id === f.entity)!;
    const e = excesses(own, ranges.get(own.id)!, f);
    let k = -1;
    e.forEach((v, i) => {
      if (v >= 0 && (k < 0 || v > e[k]!)) k = i;
    });
    const servicesOutside = ds.services.filter(
      (s) => s.system === f.system && excesses(s, ranges.get(s.id)!, f).some((v) => v >= 0),
    ).length;
    return {
      service: f.entity,
      type: f.type,
      start: new Date(f.start).toISOString().slice(0, 19),
      metric: k < 0 ? null : own.metrics[k]!.name,
      excess: k < 0 ? 0 : e[k]!,
      metricsOutside: e.filter((v) => v >= 0).length,
      servicesOutside,
      cheapest: catches.get(f)!,
    };
  });
}

export function visibilityReport(vis: readonly FaultVisibility[]): string {
  const byType = new Map<string, FaultVisibility[]>();
  for (const v of vis) byType.set(v.type, [...(byType.get(v.type) ?? []), v]);
  const count = (xs: readonly FaultVisibility[], p: (v: FaultVisibility) => boolean): string => `${xs.filter(p).length}/${xs.length}`;
  const rows = [...byType, ['all', vis] as const].map(([type, xs]) => [
    type,
    xs.length,
    count(xs, (v) => v.metric !== null),
    count(xs, (v) => v.metric !== null && v.excess >= 1),
    count(xs, (v) => v.metric !== null && v.excess >= 3),
    count(xs, (v) => v.servicesOutside > 0),
  ]);
  const out = [
    'VISIBILITY: faults whose window shows a metric outside the range of its own fault-free samples',
    formatTable(['fault type', 'faults', 'injected service: any', '≥ 1 scale past', '≥ 3 scales past', 'any service of the system'], rows),
    '',
    "per fault (excess past the fault-free range of the injected service's most-broken metric, in robust scales; the fewest",
    'false-alarm episodes on the injected service of any one metric threshold, up or down, that catches the fault)',
    formatTable(
      ['start (UTC)', 'service', 'type', 'metric', 'excess', 'metrics out', 'services out', 'cheapest catch (episodes)', 'by'],
      vis.map((v) => [
        v.start,
        v.service,
        v.type,
        v.metric ?? '-',
        v.metric === null ? '-' : v.excess.toFixed(1),
        v.metricsOutside,
        v.servicesOutside,
        v.cheapest.episodes,
        v.cheapest.metric ?? '-',
      ]),
    ),
  ];
  return out.join('\n');
}
