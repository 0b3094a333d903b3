/**
 * Shared fixtures for the detector's unit tests: explicit parameters (never the defaults,
 * which are product tuning and may move), the per-window judge-then-learn loop the pipeline
 * runs, hand-built baselines and deterministic noise generators.
 */
import { type Baseline, emptyBaseline, learn } from '../../../src/core/baseline/index.js';
import { type Verdict, deviationOf, judge } from '../../../src/core/detect/deviation.js';
import { DEFAULT_DETECTION, type DetectionParams, type MetricPolicy } from '../../../src/core/params.js';

export const WINDOW_MS = 10_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** Windows of WINDOW_MS in an hour / a day. */
export const PER_HOUR = HOUR_MS / WINDOW_MS;
export const PER_DAY = DAY_MS / WINDOW_MS;
/** Monday 2024-01-01T00:00:00Z. */
export const MONDAY = Date.UTC(2024, 0, 1);

/**
 * The documented contract's values, spelled out so the tests do not follow tuning of the
 * defaults (DEFAULT_DETECTION only supplies fields these tests do not know about).
 */
export const P: DetectionParams = {
  ...DEFAULT_DETECTION,
  threshold: 4,
  strongThreshold: 8,
  persistWindows: 1,
  resolveWindows: 3,
  warmupWindows: 20,
  halfLifeWindows: 60,
  levelShiftWindows: 60,
  slowHalfLifeWindows: 8640,
  seasonality: 'auto',
  seasonMinDays: 2,
  tailQuantile: 0.999,
  surpriseThreshold: 4,
  cooldownWindows: 0,
  staleAfterWindows: 8640,
  metrics: {},
  defaultPolicy: { direction: 'both', absFloor: 0, relFloor: 0 },
};

export const NO_FLOORS: MetricPolicy = { direction: 'both', absFloor: 0, relFloor: 0 };

/** The deviation the pipeline feeds back to learn() for a verdict. */
export { deviationOf };
/** The z the pipeline feeds back to learn() for a verdict (0 when not judged). */
export const zOf = (v: Verdict): number => ('z' in v ? v.z : 0);

export interface Detected {
  b: Baseline;
  verdicts: Verdict[];
  statuses: Verdict['status'][];
}

/**
 * What the pipeline does per window: judge against the baseline, then learn with that verdict
 * (its deviation, z and surprise). Window i starts at t0 + i · windowMs.
 */
export function detect(
  xs: readonly number[],
  policy: MetricPolicy,
  p: DetectionParams = P,
  b0: Baseline = emptyBaseline(),
  t0 = 0,
  windowMs = WINDOW_MS,
): Detected {
  let b = b0;
  const verdicts: Verdict[] = [];
  xs.forEach((x, i) => {
    const ts = t0 + i * windowMs;
    const v = judge(b, x, ts, policy, p);
    verdicts.push(v);
    b = learn(b, x, ts, deviationOf(v), zOf(v), p, v.surprise);
  });
  return { b, verdicts, statuses: verdicts.map((v) => v.status) };
}

/** Learns xs as normal windows (deviation 0, not judged: z 0). */
export const learnAll = (xs: readonly number[], p: DetectionParams = P, b0: Baseline = emptyBaseline(), t0 = 0): Baseline =>
  xs.reduce((b, x, i) => learn(b, x, t0 + i * WINDOW_MS, 0, 0, p), b0);

/** Deterministic noise in [−1, 1] (period 11, mean 0, variance 0.4). */
export const noise = (i: number): number => (((i * 7919) % 11) - 5) / 5;
export const quiet = (n: number, level = 100, amplitude = 1): number[] => Array.from({ length: n }, (_, i) => level + amplitude * noise(i));

/** A seeded uniform generator in [0, 1) (mulberry32). */
export function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normal draws (Box–Muller). */
export function gaussian(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Seeded Student-t draws with `dof` degrees of freedom (heavy tails for small dof). */
export function studentT(seed: number, dof: number): () => number {
  const g = gaussian(seed);
  return () => {
    let chi2 = 0;
    for (let k = 0; k < dof; k++) chi2 += g() ** 2;
    return g() / Math.sqrt(chi2 / dof);
  };
}

/** A baseline in a given state: learned n windows, level (and slow) and σ, calm surprise history. */
export const baselineOf = (level: number, sigma: number, n = 30, extra: Partial<Baseline> = {}): Baseline => ({
  ...emptyBaseline(),
  n,
  lastWindowStart: n * WINDOW_MS,
  level,
  slow: level,
  variance: sigma * sigma,
  ...extra,
});
