/**
 * What every labelled scenario is made of: the seeded PRNG, times from T0, the labelled series
 * and the helpers that turn values into replay lines (scenarios.ts and scenarios-counts.ts).
 */
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Monday 2026-01-05T00:00:00Z. */
export const T0 = Date.UTC(2026, 0, 5);

// ---------------------------------------------------------------------------------------------
// PRNG
// ---------------------------------------------------------------------------------------------

/** FNV-1a over the parts: a 32-bit seed per (scenario, series). */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32 with Gaussian (Box–Muller) and Student-t draws. Deterministic per seed. */
export class Rng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Log-uniform in [lo, hi]. */
  logUniform(lo: number, hi: number): number {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Student-t with an integer number of degrees of freedom (heavy tails for small nu). */
  studentT(nu: number): number {
    let chi2 = 0;
    for (let i = 0; i < nu; i++) chi2 += this.normal() ** 2;
    return this.normal() / Math.sqrt(chi2 / nu);
  }

  /** 64 hex digits (container ids). */
  hex64(): string {
    let s = '';
    while (s.length < 64)
      s += Math.floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

export interface Interval {
  label: string;
  /** Epoch ms, included. */
  start: number;
  /** Epoch ms, excluded. */
  end: number;
  /** Whether an alert is expected here. */
  alert: boolean;
  /** false: alerts inside count neither as TP nor FP (learning, a deadline already missed). */
  scored: boolean;
}

export interface SeriesSpec {
  /** `quality/<scenario>-<k>`. */
  service: string;
  metric: string;
  /**
   * Only alerts on `metric` are scored: the series' input makes other metrics too (access logs
   * give every request metric), whose alerts are counted apart.
   */
  only?: true;
  intervals: Interval[];
  /** What was generated (level, noise σ, injected magnitude…), for the per-series report. */
  notes: Record<string, number | string>;
}

export interface ScenarioOptions {
  /** One sample per window of this length (meshwatch's `window.ms`). */
  windowMs: number;
  /** Series per scenario. */
  seeds: number;
}

export interface Built {
  spec: SeriesSpec;
  /** The record(s) of window i, or none. */
  line(i: number): string | undefined;
}

export const sig = (x: number): number => Number(x.toPrecision(7));

/** A canonical-sample series from a value per window. */
export function gaugeSeries(spec: SeriesSpec, values: Float64Array, windowMs: number): Built {
  return {
    spec,
    line: (i) => JSON.stringify({ ts: T0 + i * windowMs, service: spec.service, metric: spec.metric, value: sig(values[i] ?? 0) }),
  };
}

/** Spike magnitudes in σ spread evenly over [4, 10] across the seeds. */
export const magnitudeOf = (k: number, seeds: number): number => 4 + (6 * k) / Math.max(1, seeds - 1);

export const learning = (days: number): Interval => ({
  label: `learning (first ${days} days)`,
  start: T0,
  end: T0 + days * DAY_MS,
  alert: false,
  scored: false,
});
