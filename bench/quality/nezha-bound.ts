/**
 * What nezha-dev allows a detector of meshwatch's family: an upper bound, computed in hindsight.
 *
 *   npx tsx bench/quality/nezha-bound.ts [--shared DIR] [--max-fa-per-day 20] [--exclude-metrics REGEX] [--after-min N] [--json]
 *
 * The family: per-metric univariate deviation scores over each service's own metrics, one global
 * threshold. For every service and metric of the nezha-dev pod files (the metrics `meshwatch
 * replay` sees), each 1-minute sample gets a robust z (`nezha-bound-scores.ts`) against
 *
 *   - `rolling 30` / `rolling 120`: the median/MAD of the up to 30 / 120 samples before it
 *     (causal, from 5 samples on: faults start 2 minutes after the data);
 *   - `fault-free`: the median/MAD of the series' fault-free samples of the whole day (an oracle:
 *     it knows which minutes are normal and sees the future);
 *
 * each also with the scale floored at 5 % of the series' mean |x| over its fault-free minutes (`≥5%`,
 * as meshwatch's per-metric floors: without one, a series at 0 that moves has a z of 1e12).
 *
 * A service's score per minute is the max over its metrics' |z|, the mean of the top two, or the
 * count of metrics with |z| ≥ 3 (or ≥ 5). Every threshold on that score (a log grid from 1 to 1e15,
 * or each count) makes "a detection at every minute whose score is ≥ threshold"; those are scored
 * with `nezha-score.mjs`'s own rules (its `scoreEntity`, the same faults, tolerance, false-alarm
 * episodes and days; `score()` itself is run on one threshold as a cross-check). Reported per
 * system (each with its own best threshold) and overall (one threshold for both):
 *
 *   - the best service-level event F1 with ≤ 20 false-alarm episodes a day, and the best recall there;
 *   - the same at system level (a detection on any service of the system counts);
 *   - the per-service threshold oracle (service level): each service its own threshold, chosen
 *     with the faults known, the best F1 within the same false-alarm budget (an exact knapsack
 *     over the services' (found, false episodes) pairs); services without faults then never fire;
 *   - the per-metric threshold oracle (`nezha-bound-oracle.ts`): every service × metric its own
 *     raw threshold, up or down, chosen with the faults known (the loosest bound here), beside the
 *     same oracle on a null control: the fault block moved into the fault-free rest of the day;
 *   - visibility: for each fault, whether ANY metric of the injected service leaves the range
 *     (min..max) of its own fault-free samples during the fault window ([start, end + 60 s]).
 *     A fault inside that range on every metric is caught at service level by no threshold
 *     on these metrics without a false alarm on the same series' normal minutes.
 *
 * `--after-min N` takes the N minutes after each fault window out of the fault-free minutes too
 * (after-effects): for the `fault-free` reference, the visibility ranges and the null control.
 *
 * Every score here is an optimistic choice: the threshold, the reference window and the
 * aggregation are picked on the very faults they are scored on.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable, fromRepoRoot, runMain } from './common.js';
import { type Aggregate, aggregate, aggregateName, referenceZ, rollingZ } from './nezha-bound-scores.js';
import { type Dataset, type Outcome, SCOPES, crossCheck, evaluate, f1Of, faPerDay, loadDataset } from './nezha-bound-eval.js';
import { cheapestCatch, nullFaults, perMetricOracle } from './nezha-bound-oracle.js';
import { visibility, visibilityReport } from './nezha-bound-visibility.js';

type Scope = (typeof SCOPES)[number];
type Reference = ({ kind: 'rolling'; n: number } | { kind: 'fault-free' }) & { relFloor: number };
const refName = (r: Reference): string =>
  (r.kind === 'rolling' ? `rolling ${r.n}` : 'fault-free') + (r.relFloor > 0 ? ` ≥${r.relFloor * 100}%` : '');
const REFERENCES: Reference[] = [0, 0.05].flatMap((relFloor) => [
  { kind: 'rolling', n: 30, relFloor },
  { kind: 'rolling', n: 120, relFloor },
  { kind: 'fault-free', relFloor },
]);
const AGGREGATES: Aggregate[] = [{ kind: 'max' }, { kind: 'top2' }, { kind: 'count', over: 3 }, { kind: 'count', over: 5 }];
const MIN_HISTORY = 5;

/** Mean |x| of a series' fault-free samples: the unit of its `≥5%` floor (hindsight, like the whole bound). */
function meanAbsFaultFree(values: Float64Array, faultFree: Uint8Array): number {
  let sum = 0;
  let n = 0;
  values.forEach((x, i) => {
    if (faultFree[i] && !Number.isNaN(x)) {
      sum += Math.abs(x);
      n++;
    }
  });
  return n > 0 ? sum / n : 0;
}

/** Per service, per metric |z| against one reference. */
function zOf(ds: Dataset, ref: Reference): Map<string, Float64Array[]> {
  const out = new Map<string, Float64Array[]>();
  for (const s of ds.services) {
    out.set(
      s.id,
      s.metrics.map((m) => {
        const floor = ref.relFloor * meanAbsFaultFree(m.values, s.faultFree);
        return ref.kind === 'rolling' ? rollingZ(m.values, ref.n, MIN_HISTORY, floor) : referenceZ(m.values, s.faultFree, floor);
      }),
    );
  }
  return out;
}

/** 1 to 1e15, 20 a decade: a flat series' first change has a z of 1e9 and more (its scale is its floor). */
const LOG_GRID = Array.from({ length: 301 }, (_, k) => 10 ** (k / 20));

interface Point {
  threshold: number;
  outcome: Outcome;
}

interface Best {
  threshold: number;
  f1: number;
  recall: number;
  precision: number;
  faPerDay: number;
  detected: number;
  segments: number;
}
const bestOf = (
  points: readonly Point[],
  level: 'service' | 'system',
  scope: Scope,
  maxFa: number,
  by: 'f1' | 'recall',
): Best | undefined => {
  let best: Best | undefined;
  for (const p of points) {
    const t = p.outcome[level][scope];
    const fa = faPerDay(t);
    if (fa > maxFa) continue;
    const b: Best = {
      threshold: p.threshold,
      f1: f1Of(t),
      recall: t.detected / t.segments,
      precision: t.detected + t.fp > 0 ? t.detected / (t.detected + t.fp) : 0,
      faPerDay: fa,
      detected: t.detected,
      segments: t.segments,
    };
    if (best === undefined || b[by] > best[by] || (b[by] === best[by] && b.faPerDay < best.faPerDay)) best = b;
  }
  return best;
};

/**
 * Each service its own threshold (the faults known): the most faults found with exactly b false
 * episodes in all, for every b ≤ budget (a multiple-choice knapsack); the best F1 and recall.
 */
function perServiceOracle(
  ds: Dataset,
  points: readonly Point[],
  scope: Scope,
  maxFa: number,
): { f1: number; recall: number; fp: number; maxRecall: number } {
  const services = ds.services.filter((s) => scope === 'all' || s.system === scope);
  const days = scope === 'all' ? ds.days.ob + ds.days.tt : ds.days[scope];
  const budget = Math.floor(maxFa * days);
  const segments = services.reduce((a, s) => a + s.faults.length, 0);
  let dp = new Array<number>(budget + 1).fill(-Infinity);
  dp[0] = 0;
  for (const s of services) {
    const options = new Map<number, number>([[0, 0]]);
    for (const p of points) {
      const r = p.outcome.perService.get(s.id)!;
      if (r.fp <= budget && (options.get(r.fp) ?? -1) < r.detected) options.set(r.fp, r.detected);
    }
    const next = new Array<number>(budget + 1).fill(-Infinity);
    for (let b = 0; b <= budget; b++) {
      if (dp[b] === -Infinity) continue;
      for (const [fp, det] of options) if (b + fp <= budget) next[b + fp] = Math.max(next[b + fp]!, dp[b]! + det);
    }
    dp = next;
  }
  let best = { f1: 0, recall: 0, fp: 0, maxRecall: 0 };
  dp.forEach((det, fp) => {
    if (det === -Infinity) return;
    const f1 = f1Of({ segments, detected: det, fp });
    if (f1 > best.f1) best = { ...best, f1, recall: det / segments, fp };
    best.maxRecall = Math.max(best.maxRecall, det / segments);
  });
  return best;
}

interface VariantRow {
  variant: string;
  service: Record<
    string,
    {
      bestF1?: Best | undefined;
      bestRecall?: Best | undefined;
      bestF1AnyFa?: Best | undefined;
      perServiceOracle?: ReturnType<typeof perServiceOracle>;
    }
  >;
  system: Record<string, { bestF1?: Best | undefined; bestRecall?: Best | undefined }>;
}

/** The best of every variant, per level and scope: what the family allows at all. */
function headline(rows: readonly VariantRow[], maxFa: number): string {
  const table: (string | number)[][] = [];
  for (const level of ['service', 'system'] as const) {
    for (const scope of SCOPES) {
      const top = (by: 'bestF1' | 'bestRecall', key: 'f1' | 'recall'): VariantRow | undefined =>
        rows.reduce<VariantRow | undefined>(
          (a, r) => ((r[level][scope]?.[by]?.[key] ?? 0) > (a?.[level][scope]?.[by]?.[key] ?? -1) ? r : a),
          undefined,
        );
      const f = top('bestF1', 'f1');
      const r = top('bestRecall', 'recall');
      const bf = f?.[level][scope]?.bestF1;
      const br = r?.[level][scope]?.bestRecall;
      const o =
        level === 'service'
          ? rows.reduce<VariantRow | undefined>(
              (a, x) => ((x.service[scope]?.perServiceOracle?.f1 ?? 0) > (a?.service[scope]?.perServiceOracle?.f1 ?? -1) ? x : a),
              undefined,
            )
          : undefined;
      const oo = o?.service[scope]?.perServiceOracle;
      table.push([
        level,
        scope,
        bf ? `${f3(bf.f1)} (${bf.detected}/${bf.segments}, ${f1d(bf.faPerDay)}/day)` : 'n/a',
        f?.variant ?? '',
        br ? `${f3(br.recall)} (${f1d(br.faPerDay)}/day)` : 'n/a',
        r?.variant ?? '',
        oo ? `${f3(oo.f1)} / ${f3(oo.maxRecall)}` : '',
      ]);
    }
  }
  return (
    `BEST OF ALL VARIANTS with ≤ ${maxFa} false-alarm episodes/day\n` +
    formatTable(['level', 'scope', 'best F1', 'variant', 'best recall', 'variant', 'per-service oracle F1 / max recall'], table)
  );
}

const f3 = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(3));
const f1d = (x: number | undefined): string => (x === undefined ? 'n/a' : x.toFixed(1));
const thr = (x: number | undefined): string => (x === undefined ? 'n/a' : x >= 100 ? x.toFixed(0) : x.toFixed(2));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      shared: { type: 'string' },
      'max-fa-per-day': { type: 'string' },
      'exclude-metrics': { type: 'string' },
      'after-min': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx bench/quality/nezha-bound.ts [--shared DIR] [--max-fa-per-day 20] [--exclude-metrics REGEX] [--after-min N] [--json]',
    );
    return 0;
  }
  const shared = values.shared === undefined ? fromRepoRoot('../shared') : resolve(values.shared);
  const maxFa = values['max-fa-per-day'] === undefined ? 20 : Number(values['max-fa-per-day']);
  const exclude = values['exclude-metrics'] === undefined ? undefined : new RegExp(values['exclude-metrics']);
  const afterMin = values['after-min'] === undefined ? 0 : Number(values['after-min']);
  if (!(afterMin >= 0)) throw new Error('--after-min: expected minutes ≥ 0');
  const ds = await loadDataset(shared, exclude, afterMin);

  const rows: VariantRow[] = [];
  const serviceTable: (string | number)[][] = [];
  const systemTable: (string | number)[][] = [];
  let best: { variant: string; point: Point; scores: Map<string, Float64Array>; f1: number } | undefined;
  for (const ref of REFERENCES) {
    const zs = zOf(ds, ref);
    for (const agg of AGGREGATES) {
      const variant = `${refName(ref)}, ${aggregateName(agg)}`;
      const scores = new Map([...zs].map(([id, z]) => [id, aggregate(z, agg)]));
      const grid =
        agg.kind === 'count' ? Array.from({ length: Math.max(...ds.services.map((s) => s.metrics.length)) }, (_, k) => k + 1) : LOG_GRID;
      const points = grid.map((threshold) => ({ threshold, outcome: evaluate(ds, scores, threshold) }));
      const row: VariantRow = { variant, service: {}, system: {} };
      for (const scope of SCOPES) {
        const bf = bestOf(points, 'service', scope, maxFa, 'f1');
        const br = bestOf(points, 'service', scope, maxFa, 'recall');
        const bu = bestOf(points, 'service', scope, Infinity, 'f1');
        const oracle = perServiceOracle(ds, points, scope, maxFa);
        row.service[scope] = { bestF1: bf, bestRecall: br, bestF1AnyFa: bu, perServiceOracle: oracle };
        serviceTable.push([
          variant,
          scope,
          thr(bf?.threshold),
          f3(bf?.f1),
          f3(bf?.recall),
          f1d(bf?.faPerDay),
          f3(br?.recall),
          f3(bu?.f1),
          f1d(bu?.faPerDay),
          f3(oracle.f1),
          f3(oracle.recall),
          f3(oracle.maxRecall),
        ]);
        const sf = bestOf(points, 'system', scope, maxFa, 'f1');
        const sr = bestOf(points, 'system', scope, maxFa, 'recall');
        row.system[scope] = { bestF1: sf, bestRecall: sr };
        systemTable.push([variant, scope, thr(sf?.threshold), f3(sf?.f1), f3(sf?.recall), f1d(sf?.faPerDay), f3(sr?.recall)]);
        if (scope === 'all' && bf !== undefined && (best === undefined || bf.f1 > best.f1)) {
          best = { variant, point: points.find((p) => p.threshold === bf.threshold)!, scores, f1: bf.f1 };
        }
      }
      rows.push(row);
    }
  }
  const catches = new Map(
    ds.faults.map((f) => [
      f,
      cheapestCatch(
        ds,
        ds.services.find((s) => s.id === f.entity)!,
        f,
      ),
    ]),
  );
  const vis = visibility(ds, catches);
  const metricOracle = perMetricOracle(ds, ds.faults, catches, maxFa);
  const control = nullFaults(ds);
  const nullOracle = perMetricOracle(ds, control.faults, control.catches, maxFa);
  const check = best === undefined ? undefined : crossCheck(ds, best.scores, best.point.threshold);
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          maxFaPerDay: maxFa,
          days: ds.days,
          variants: rows,
          perMetricOracle: metricOracle,
          perMetricOracleNull: nullOracle,
          visibility: vis,
          crossCheck: check,
        },
        null,
        2,
      ),
    );
    return 0;
  }
  console.log(
    `nezha-dev hindsight bound: ${ds.services.length} services, ${ds.faults.length} faults, ${f1d(ds.days.ob * 24)} h ob + ${f1d(ds.days.tt * 24)} h tt; budget ≤ ${maxFa} false-alarm episodes/day\n`,
  );
  console.log(headline(rows, maxFa) + '\n');
  console.log(`SERVICE LEVEL (per system: its own best threshold; all: one threshold for both)`);
  console.log(
    formatTable(
      [
        'variant',
        'scope',
        'thr',
        `F1@≤${maxFa}`,
        'recall',
        'FA/day',
        `max recall@≤${maxFa}`,
        'F1 any FA',
        'FA/day',
        'per-svc oracle F1',
        'recall',
        'max recall',
      ],
      serviceTable,
    ),
  );
  console.log(`\nSYSTEM LEVEL (a detection on any service of the system counts)`);
  console.log(formatTable(['variant', 'scope', 'thr', `F1@≤${maxFa}`, 'recall', 'FA/day', `max recall@≤${maxFa}`], systemTable));
  if (best !== undefined) {
    const t = best.point.outcome.service.all;
    console.log(
      `\nbest overall service-level point: ${best.variant} ≥ ${thr(best.point.threshold)}: F1 ${f3(best.f1)}, ${t.detected}/${t.segments} found, ${t.fp} episodes (${f1d(faPerDay(t))}/day); by fault type: ` +
        Object.entries(t.byType)
          .map(([k, v]) => `${k} ${v.detected}/${v.segments}`)
          .join(', '),
    );
    const s = best.point.outcome.system.all;
    console.log(
      `  system level at that point: ${s.detected}/${s.segments} found, ${s.fp} episodes; by fault type: ` +
        Object.entries(s.byType)
          .map(([k, v]) => `${k} ${v.detected}/${v.segments}`)
          .join(', '),
    );
    console.log(
      `  cross-check with nezha-score.mjs score(): service ${check!.service.join(' found / ')} episodes, system ${check!.system.join(' found / ')} episodes` +
        ` (bound: ${t.detected} / ${t.fp}, ${s.detected} / ${s.fp})`,
    );
  }
  console.log(
    `\nPER-METRIC THRESHOLD ORACLE (service level; each service × metric its own raw threshold, up or down, chosen with the faults known)\n` +
      formatTable(
        ['windows', 'scope', 'budget (episodes)', 'faults', 'best F1', 'found', 'episodes', 'most found', 'max recall'],
        [...metricOracle.map((o) => ['faults', o] as const), ...nullOracle.map((o) => ['null control', o] as const)].map(([what, o]) => [
          what,
          o.scope,
          o.budget,
          o.segments,
          f3(o.f1),
          o.found,
          o.episodes,
          o.maxFound,
          f3(o.maxFound / o.segments),
        ]),
      ),
  );
  console.log('\n' + visibilityReport(vis));
  return 0;
}

runMain(main);
