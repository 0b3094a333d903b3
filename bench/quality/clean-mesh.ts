/**
 * The clean mesh: many services for a simulated week, each with a daily cycle (random phase and
 * amplitude) and noise and NO anomaly, one canonical sample per window per metric
 * (`requests_per_s`, `latency_p99_ms`, `cpu_cores`). Every firing alert is a false positive;
 * the figure of merit is alerts per service per week.
 *
 * `inject`: the same mesh (the same noise, drawn from the same seeds) plus one upward spike per
 * service on one of its three metrics, of m·σ (m uniform in `spikeSigmas`, σ = the local noise
 * of that metric at that time), lasting 3 windows, at a random window after day 2. Caught = a
 * firing alert on that service and metric whose window starts within the spike's 3 windows.
 *
 * Noise model (per window of `windowMs`):
 *  - requests/s: level M·(1 + a·sin(2π(t − φ)/day)), M log-uniform 2..500 req/s, a 0.2..0.7;
 *    σ = sqrt(level/window_s + (0.03·level)²) (Poisson counting plus 3 % burstiness);
 *  - p99 latency: base 20..300 ms, rising with load by b·(level/M − 1), b 0..0.3; log-normal
 *    noise, σ ≈ 8 % of the value;
 *  - CPU: idle 0.02..0.1 cores + cost per request (0.05..1.5 cores at mean load); σ = 4 % + 2 mcores.
 */
import { DAY_MS, Rng, T0, seedOf } from './scenarios.js';
import { type Firing } from './common.js';

export const MESH_METRICS = ['requests_per_s', 'latency_p99_ms', 'cpu_cores'] as const;
export type MeshMetric = (typeof MESH_METRICS)[number];

export interface MeshOptions {
  services: number;
  days: number;
  windowMs: number;
  inject: boolean;
  /** Injected magnitude range in σ of the local noise, [lo, hi]. */
  spikeSigmas: readonly [number, number];
  /**
   * Which mesh: 0 is the reference mesh the results are quoted on; any other number draws
   * another mesh (other services, noise and spikes) from the same model, to see how much a
   * figure owes to one draw.
   */
  meshSeed: number;
}

export interface Injection {
  metric: MeshMetric;
  /** First window of the spike (index). */
  window: number;
  windows: number;
  sigmas: number;
  /** Start, epoch ms. */
  startMs: number;
  /** The spike relative to the local level, for the report. */
  pctOfLevel: number;
}

export interface ServiceModel {
  service: string;
  rpsMean: number;
  amp: number;
  phaseMs: number;
  latBase: number;
  latLoad: number;
  cpuIdle: number;
  cpuPerRps: number;
  injection: Injection | undefined;
}

/** One sample of the mesh, as a line of `lines()` carries it. */
export interface MeshSample {
  ts: number;
  service: string;
  metric: MeshMetric;
  value: number;
}

export interface Mesh {
  options: MeshOptions;
  windows: number;
  services: ServiceModel[];
  samples(): Generator<MeshSample>;
  /** The samples as NDJSON lines (what meshwatch replays). */
  lines(): Generator<string>;
}

/** σ of the p99 latency's log-normal noise (≈ 8 % of the value). */
export const LAT_SIGMA_LOG = 0.08;

const rpsLevel = (m: ServiceModel, t: number): number => m.rpsMean * (1 + m.amp * Math.sin((2 * Math.PI * (t - T0 - m.phaseMs)) / DAY_MS));
const rpsSigma = (level: number, windowS: number): number => Math.sqrt(level / windowS + (0.03 * level) ** 2);
const latLevel = (m: ServiceModel, rps: number): number => m.latBase * (1 + m.latLoad * (rps / m.rpsMean - 1));
const cpuLevel = (m: ServiceModel, rps: number): number => m.cpuIdle + m.cpuPerRps * rps;
const cpuSigma = (level: number): number => 0.04 * level + 0.002;

/** The level of a metric at time t and σ of its local noise (the unit of injected spikes). */
export function localSigma(m: ServiceModel, metric: MeshMetric, t: number, windowS: number): { level: number; sigma: number } {
  const rps = rpsLevel(m, t);
  switch (metric) {
    case 'requests_per_s':
      return { level: rps, sigma: rpsSigma(rps, windowS) };
    case 'latency_p99_ms': {
      const l = latLevel(m, rps);
      return { level: l, sigma: LAT_SIGMA_LOG * l };
    }
    case 'cpu_cores': {
      const c = cpuLevel(m, rps);
      return { level: c, sigma: cpuSigma(c) };
    }
  }
}

export function buildMesh(o: MeshOptions): Mesh {
  // Mesh 0 keeps the seeds it has always had, so its figures stay comparable.
  const seed = (stream: string, s: number): number => (o.meshSeed === 0 ? seedOf(stream, s) : seedOf(stream, o.meshSeed, s));
  const W = o.windowMs;
  const windowS = W / 1000;
  const windows = Math.round((o.days * DAY_MS) / W);
  const services: ServiceModel[] = [];
  for (let s = 0; s < o.services; s++) {
    const rng = new Rng(seed('clean-mesh', s));
    const rpsMean = rng.logUniform(2, 500);
    const m: ServiceModel = {
      service: `mesh/svc-${String(s).padStart(3, '0')}`,
      rpsMean,
      amp: rng.uniform(0.2, 0.7),
      phaseMs: rng.uniform(0, DAY_MS),
      latBase: rng.logUniform(20, 300),
      latLoad: rng.uniform(0, 0.3),
      cpuIdle: rng.uniform(0.02, 0.1),
      cpuPerRps: rng.logUniform(0.05, 1.5) / rpsMean,
      injection: undefined,
    };
    if (o.inject) {
      // A separate stream: the injected mesh keeps exactly the clean mesh's noise.
      const ri = new Rng(seed('clean-mesh-inject', s));
      const metric = MESH_METRICS[ri.int(0, MESH_METRICS.length - 1)] ?? 'requests_per_s';
      const window = ri.int(Math.round((2 * DAY_MS) / W), windows - 10);
      const sigmas = ri.uniform(o.spikeSigmas[0], o.spikeSigmas[1]);
      const startMs = T0 + window * W;
      const { level, sigma } = localSigma(m, metric, startMs, windowS);
      m.injection = { metric, window, windows: 3, sigmas, startMs, pctOfLevel: (100 * sigmas * sigma) / level };
    }
    services.push(m);
  }
  return {
    options: o,
    windows,
    services,
    *samples() {
      const noise = services.map((_, s) => new Rng(seed('clean-mesh-noise', s)));
      for (let i = 0; i < windows; i++) {
        const ts = T0 + i * W;
        for (let s = 0; s < services.length; s++) {
          const m = services[s] as ServiceModel;
          const rng = noise[s] as Rng;
          const inj = m.injection;
          const spiking = inj !== undefined && i >= inj.window && i < inj.window + inj.windows;
          const rps0 = rpsLevel(m, ts);
          let rps = Math.max(0, rps0 + rpsSigma(rps0, windowS) * rng.normal());
          const lat0 = latLevel(m, rps0);
          let lat = lat0 * Math.exp(LAT_SIGMA_LOG * rng.normal() - LAT_SIGMA_LOG ** 2 / 2);
          const cpu0 = cpuLevel(m, rps0);
          let cpu = Math.max(0, cpu0 + cpuSigma(cpu0) * rng.normal());
          if (spiking && inj) {
            const { sigma } = localSigma(m, inj.metric, ts, windowS);
            if (inj.metric === 'requests_per_s') rps += inj.sigmas * sigma;
            else if (inj.metric === 'latency_p99_ms') lat += inj.sigmas * sigma;
            else cpu += inj.sigmas * sigma;
          }
          const p = (metric: MeshMetric, value: number): MeshSample => ({
            ts,
            service: m.service,
            metric,
            value: Number(value.toPrecision(6)),
          });
          yield p('requests_per_s', rps);
          yield p('latency_p99_ms', lat);
          yield p('cpu_cores', cpu);
        }
      }
    },
    *lines() {
      for (const s of this.samples()) yield JSON.stringify(s);
    },
  };
}

export interface MeshReport {
  services: number;
  days: number;
  windowMs: number;
  firing: number;
  /** Firing alerts per service, scaled to 7 days (injected spikes' own catches excluded). */
  perServiceWeek: { mean: number; max: number; p95: number; servicesWithAlerts: number; servicesOverOne: number };
  /** The same, counting only alerts after the first 2 days. */
  perServiceWeekAfterDay2: { mean: number; max: number };
  byMetric: Record<string, number>;
  /** Every false alert (with --inject: every firing alert but the spikes' own catches). */
  falseAlerts: Firing[];
  injected?: {
    total: number;
    caught: number;
    caughtAnyMetric: number;
    late: number;
    delays: number[];
    byMetric: Record<string, { injected: number; caught: number }>;
    bySigmas: { range: string; injected: number; caught: number; medianPctOfLevel: number }[];
    /** The spikes not caught within their 3 windows. */
    missed: { service: string; metric: MeshMetric; sigmas: number; startMs: number }[];
  };
}

const quantile = (xs: number[], q: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

export function scoreMesh(mesh: Mesh, firing: readonly Firing[]): MeshReport {
  const o = mesh.options;
  const W = o.windowMs;
  const bySvc = new Map<string, Firing[]>();
  for (const f of firing) {
    const l = bySvc.get(f.service) ?? [];
    l.push(f);
    bySvc.set(f.service, l);
  }
  const weekScale = 7 / o.days;
  const day2 = T0 + 2 * DAY_MS;
  const counts: number[] = [];
  const countsAfter: number[] = [];
  const byMetric: Record<string, number> = {};
  const falseAlerts: Firing[] = [];
  let caught = 0;
  let caughtAny = 0;
  let late = 0;
  const delays: number[] = [];
  const missed: NonNullable<MeshReport['injected']>['missed'] = [];
  const injByMetric: Record<string, { injected: number; caught: number }> = {};
  const buckets = [
    { lo: 4, hi: 6 },
    { lo: 6, hi: 8 },
    { lo: 8, hi: 10.0001 },
  ].map((b) => ({ ...b, injected: 0, caught: 0, pcts: [] as number[] }));
  for (const m of mesh.services) {
    const alerts = (bySvc.get(m.service) ?? []).sort((a, b) => a.windowStartMs - b.windowStartMs);
    const inj = m.injection;
    let own: Firing | undefined;
    if (inj) {
      const until = inj.startMs + inj.windows * W;
      own = alerts.find((f) => f.metric === inj.metric && f.windowStartMs >= inj.startMs && f.windowStartMs < until);
      const any = alerts.find((f) => f.windowStartMs >= inj.startMs && f.windowStartMs < until);
      const lateHit = alerts.find((f) => f.metric === inj.metric && f.windowStartMs >= until && f.windowStartMs < until + 3 * W);
      const e = (injByMetric[inj.metric] ??= { injected: 0, caught: 0 });
      e.injected++;
      const bucket = buckets.find((b) => inj.sigmas >= b.lo && inj.sigmas < b.hi);
      if (bucket) {
        bucket.injected++;
        bucket.pcts.push(inj.pctOfLevel);
      }
      if (own) {
        caught++;
        e.caught++;
        if (bucket) bucket.caught++;
        delays.push((own.windowStartMs - inj.startMs) / W);
      } else {
        missed.push({ service: m.service, metric: inj.metric, sigmas: inj.sigmas, startMs: inj.startMs });
        if (lateHit) late++;
      }
      if (any) caughtAny++;
    }
    const others = alerts.filter((f) => f !== own);
    for (const f of others) byMetric[f.metric] = (byMetric[f.metric] ?? 0) + 1;
    falseAlerts.push(...others);
    counts.push(others.length * weekScale);
    countsAfter.push(others.filter((f) => f.windowStartMs >= day2).length * (7 / Math.max(1e-9, o.days - 2)));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const report: MeshReport = {
    services: o.services,
    days: o.days,
    windowMs: W,
    firing: firing.length,
    perServiceWeek: {
      mean: mean(counts),
      max: Math.max(0, ...counts),
      p95: quantile(counts, 0.95),
      servicesWithAlerts: counts.filter((c) => c > 0).length,
      servicesOverOne: counts.filter((c) => c > 1).length,
    },
    perServiceWeekAfterDay2: { mean: mean(countsAfter), max: Math.max(0, ...countsAfter) },
    byMetric,
    falseAlerts,
  };
  if (o.inject) {
    report.injected = {
      total: mesh.services.length,
      caught,
      caughtAnyMetric: caughtAny,
      late,
      delays,
      byMetric: injByMetric,
      bySigmas: buckets.map((b) => ({
        range: `${b.lo}σ–${Math.round(b.hi)}σ`,
        injected: b.injected,
        caught: b.caught,
        medianPctOfLevel: quantile(b.pcts, 0.5),
      })),
      missed,
    };
  }
  return report;
}
