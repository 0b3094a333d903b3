/**
 * What the clean mesh allows at best: the same tests meshwatch runs, by a detector that is TOLD
 * the true level and noise σ of every metric at every window (the mesh model's own values), so
 * it has nothing to learn and no estimation error. It bounds what any learned baseline can do
 * with these tests on this mesh: if the oracle cannot catch every injected spike without a
 * service paging twice, no baseline can.
 *
 *   npx tsx bench/quality/oracle.ts [--mesh-seed N] [--latency-scale log|linear] [--thresholds 3.8,4,4.2] [--json]
 *
 * Per threshold t (meshwatch's `detection.threshold`), a window fires when, on a side the metric
 * is watched (requests both ways, latency and CPU upward):
 *  - point: it and the window before are both ≥ t σ out (meshwatch's persistence of 2);
 *  - burst: it and the two before are each ≥ 1σ out and their sum of z is ≥ 1.15·t·√3 (the burst
 *    bar, 4.6 at t = 4, in standard deviations of an iid three-window sum).
 * z is (x − level) / σ, or on the log scale for latency (meshwatch's default) ln(x / level)/0.08.
 * Windows that fire within 3 windows of each other are one alert. Caught and false alerts are
 * counted as run.ts --clean-mesh --inject counts them.
 *
 * The matched filter goes one step further than meshwatch's tests: the three-window sum of z
 * alone, in standard deviations of an iid sum, with no point test and no per-window floor. For
 * a spike that lifts three windows by the same unknown amount over noise of known σ, that sum is
 * the uniformly most powerful test of one position (Neyman–Pearson): no other test with the same
 * false-alarm rate per window catches more such spikes. Its bar is set as high as it can be while
 * still catching every injected spike (the weakest spike's best sum), and its false alerts are
 * counted there. If a service pages twice even then, no threshold test on these windows meets
 * both targets on that mesh.
 */
import { parseArgs } from 'node:util';
import { BURST_AT_THRESHOLD, BURST_BAR, BURST_LEAST } from '../../src/core/detect/burst.js';
import { LAT_SIGMA_LOG, MESH_METRICS, type MeshMetric, buildMesh, localSigma } from './clean-mesh.js';
import { formatTable } from './common.js';
import { T0 } from './scenarios.js';

/** The burst bar per unit of threshold (meshwatch's own: 4.6 at threshold 4). */
const BURST_PER_THRESHOLD = BURST_BAR / BURST_AT_THRESHOLD;
const SPIKE_WINDOWS = 3;
/** Alerts this close to an injected spike (on its metric) are its own, not false ones. */
const SPIKE_SHADOW = 6;
const WATCH: Record<MeshMetric, readonly (1 | -1)[]> = { requests_per_s: [1, -1], latency_p99_ms: [1], cpu_cores: [1] };

/** Quiet sums this high are kept for the matched filter (its bar is always far above). */
const MATCHED_KEEP = 3.5;

interface MatchedFilter {
  /** The highest bar that still catches every injected spike: the weakest spike's best sum. */
  bar: number;
  /** The three weakest spikes, with their best standardized sum. */
  weakest: string[];
  falseAlerts: number;
  servicesOverOne: number;
  maxPerService: number;
}

/**
 * False alerts as run.ts counts them: firing windows of one series and side within
 * SPIKE_WINDOWS of each other are one alert; tallied per service.
 */
class FalseAlerts {
  private readonly lastFired = new Map<string, number>();
  private readonly perService = new Map<string, number>();

  fire(episode: string, service: string, w: number): void {
    const prev = this.lastFired.get(episode);
    this.lastFired.set(episode, w);
    if (prev !== undefined && w - prev <= SPIKE_WINDOWS) return;
    this.perService.set(service, (this.perService.get(service) ?? 0) + 1);
  }

  tally(): { falseAlerts: number; servicesOverOne: number; maxPerService: number } {
    const counts = [...this.perService.values()];
    return {
      falseAlerts: counts.reduce((s, n) => s + n, 0),
      servicesOverOne: counts.filter((n) => n > 1).length,
      maxPerService: Math.max(0, ...counts),
    };
  }
}

interface Outcome {
  threshold: number;
  caught: number;
  injected: number;
  falseAlerts: number;
  servicesOverOne: number;
  maxPerService: number;
  missed: string[];
}

function run(meshSeed: number, logLatency: boolean, thresholds: readonly number[]): { outcomes: Outcome[]; matched: MatchedFilter } {
  const windowMs = 60_000;
  const mesh = buildMesh({ services: 200, days: 7, windowMs, inject: true, spikeSigmas: [4, 10], meshSeed });
  const models = new Map(mesh.services.map((m) => [m.service, m]));
  /** The z of the two windows before, per series: [two back, one back]. */
  const last = new Map<string, [number, number]>();
  const caught = thresholds.map(() => new Set<string>());
  const falseAlerts = thresholds.map(() => new FalseAlerts());
  /** Matched filter: each spike's best standardized sum, and the quiet sums past MATCHED_KEEP. */
  const spikeBest = new Map<string, number>();
  const quietSums: { service: string; episode: string; w: number; sum: number }[] = [];
  for (const { ts, service, metric, value } of mesh.samples()) {
    const m = models.get(service);
    if (!m) continue;
    const { level, sigma } = localSigma(m, metric, ts, windowMs / 1000);
    const z =
      logLatency && metric === 'latency_p99_ms'
        ? (Math.log(value / level) + LAT_SIGMA_LOG ** 2 / 2) / LAT_SIGMA_LOG
        : (value - level) / sigma;
    const key = `${service} ${metric}`;
    const [z2, z1] = last.get(key) ?? [NaN, NaN];
    last.set(key, [z1, z]);
    const w = Math.round((ts - T0) / windowMs);
    const inj = m.injection;
    const sinceSpike = inj && inj.metric === metric ? w - inj.window : -1;
    for (const side of WATCH[metric]) {
      const [a, b, c] = [side * z2, side * z1, side * z];
      const sum = (a + b + c) / Math.sqrt(3);
      if (sinceSpike >= 0 && sinceSpike < SPIKE_WINDOWS && side === 1)
        spikeBest.set(service, Math.max(spikeBest.get(service) ?? -Infinity, sum));
      else if (sum >= MATCHED_KEEP && !(sinceSpike >= 0 && sinceSpike < SPIKE_SHADOW))
        quietSums.push({ service, episode: `${key} ${side}`, w, sum });
      thresholds.forEach((t, i) => {
        const point = c >= t && b >= t;
        const burst = Math.min(a, b, c) >= BURST_LEAST && a + b + c >= BURST_PER_THRESHOLD * t * Math.sqrt(3);
        if (!point && !burst) return;
        if (sinceSpike >= 0 && sinceSpike < SPIKE_WINDOWS && side === 1) caught[i]?.add(service);
        if (sinceSpike >= 0 && sinceSpike < SPIKE_SHADOW) return;
        falseAlerts[i]?.fire(`${key} ${side}`, service, w);
      });
    }
  }
  const outcomes = thresholds.map((threshold, i) => {
    const missed = mesh.services
      .filter((m) => m.injection && !caught[i]?.has(m.service))
      .map((m) => `${m.service} ${m.injection?.metric ?? ''} ${(m.injection?.sigmas ?? 0).toFixed(2)}σ`);
    return {
      threshold,
      caught: caught[i]?.size ?? 0,
      injected: mesh.services.length,
      ...(falseAlerts[i] ?? new FalseAlerts()).tally(),
      missed,
    };
  });
  return { outcomes, matched: matchedFilter(spikeBest, quietSums) };
}

function matchedFilter(
  spikeBest: ReadonlyMap<string, number>,
  quietSums: readonly { service: string; episode: string; w: number; sum: number }[],
): MatchedFilter {
  const weakest = [...spikeBest].sort((x, y) => x[1] - y[1]);
  const bar = weakest[0]?.[1] ?? Infinity;
  const alerts = new FalseAlerts();
  for (const q of quietSums) if (q.sum >= bar) alerts.fire(q.episode, q.service, q.w);
  return { bar, weakest: weakest.slice(0, 3).map(([service, sum]) => `${service} ${sum.toFixed(2)}`), ...alerts.tally() };
}

function main(): number {
  const { values } = parseArgs({
    options: {
      'mesh-seed': { type: 'string', default: '0' },
      'latency-scale': { type: 'string', default: 'log' },
      thresholds: { type: 'string', default: '3.8,3.9,4,4.1,4.2' },
      json: { type: 'boolean', default: false },
    },
  });
  const meshSeed = Number(values['mesh-seed']);
  if (!Number.isInteger(meshSeed) || meshSeed < 0) throw new Error(`--mesh-seed: expected an integer ≥ 0, got '${values['mesh-seed']}'`);
  const scale = values['latency-scale'];
  if (scale !== 'log' && scale !== 'linear') throw new Error(`--latency-scale: expected log or linear, got '${scale}'`);
  const thresholds = (values.thresholds ?? '').split(',').map(Number);
  if (thresholds.some((t) => !(t > 0))) throw new Error(`--thresholds: expected positive numbers, got '${values.thresholds}'`);
  const { outcomes: out, matched } = run(meshSeed, scale === 'log', thresholds);
  if (values.json) {
    console.log(JSON.stringify({ meshSeed, latencyScale: scale, metrics: MESH_METRICS, outcomes: out, matchedFilter: matched }, null, 2));
    return 0;
  }
  console.log(`oracle on clean mesh ${meshSeed} + injected spikes (true level and σ; latency on the ${scale} scale)\n`);
  console.log(
    formatTable(
      ['threshold', 'burst bar', 'caught', 'false alerts', 'services > 1', 'max', 'both targets'],
      out.map((o) => [
        o.threshold.toFixed(2),
        (BURST_PER_THRESHOLD * o.threshold).toFixed(2),
        `${o.caught} / ${o.injected}`,
        o.falseAlerts,
        o.servicesOverOne,
        o.maxPerService,
        o.caught === o.injected && o.maxPerService <= 1 ? 'yes' : 'no',
      ]),
    ),
  );
  for (const o of out) if (o.missed.length) console.log(`missed at ${o.threshold}: ${o.missed.join(', ')}`);
  console.log(
    `\nmatched filter (three-window sum alone, the most powerful test of one position): every spike caught up to bar ${matched.bar.toFixed(2)}` +
      ` (weakest: ${matched.weakest.join(', ')}); there: ${matched.falseAlerts} false alerts, ${matched.servicesOverOne} services > 1,` +
      ` max ${matched.maxPerService}, both targets ${matched.maxPerService <= 1 ? 'yes' : 'no'}`,
  );
  return 0;
}

try {
  process.exit(main());
} catch (e) {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
