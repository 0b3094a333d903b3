/**
 * Scenario helpers for stage 2: hand-built WindowPartials of one service, 10 s windows,
 * and detection parameters sized for short stories (warm-up 20 windows).
 *
 * A CPU story is a list of cores per window: window i carries one cpu_usage_ns point of
 * one container in its middle, so the rate of window i (i ≥ 1) is exactly cores[i]
 * (window 0 only primes the counter). A window may also carry the container's working set
 * (memory_working_set_bytes, one gauge sample). Every window also carries a steady inbound
 * load (50 requests, 20 ms unless the window says otherwise, no errors), whose metrics are
 * flat and must never alert.
 *
 * The detection parameters are spelled out (not taken from DEFAULT_DETECTION, which is product
 * tuning): the stories' claims depend on them.
 */
import { type ServiceId, serviceKey } from '../../../src/core/model.js';
import { DEFAULT_DETECTION, DEFAULT_METRIC_POLICIES, type DetectionParams } from '../../../src/core/params.js';
import { type DetectEngine, type EngineParams } from '../../../src/core/pipeline/engine.js';
import { type WindowPartial, emptyPartial } from '../../../src/core/window/partial.js';
import { emptySketch, sketchAdd } from '../../../src/core/window/sketch.js';

export const SVC: ServiceId = { namespace: 'shop', name: 'checkout' };
export const WINDOW_MS = 10_000;
/** 2023-11-14T22:13:20.000Z, aligned to 10 s. */
export const T0 = 1_700_000_000_000;
export const windowAt = (i: number): number => T0 + i * WINDOW_MS;
export const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Persist 2, strong 8, resolve after 3 calm windows, warm-up 20, no cooldown; the stories are
 * shorter than seasonMinDays, so no seasonal offset ever applies.
 * (DEFAULT_DETECTION only supplies fields the stories do not know about.)
 */
export const DETECTION: DetectionParams = {
  ...DEFAULT_DETECTION,
  threshold: 4,
  strongThreshold: 8,
  persistWindows: 2,
  resolveWindows: 3,
  warmupWindows: 20,
  halfLifeWindows: 60,
  levelShiftWindows: 60,
  slowHalfLifeWindows: 8640,
  seasonality: 'auto',
  seasonMinDays: 2,
  tailQuantile: 0.999,
  surpriseThreshold: 4,
  // The stories judge each metric alone; corroboration has stories of its own.
  corroboration: 'off',
  cooldownWindows: 0,
  staleAfterWindows: 8640,
  metrics: {
    ...DEFAULT_METRIC_POLICIES,
    // the floors the CPU stories are sized for (σ_eff = 0.03 · 0.5 cores = 0.015)
    cpu_cores: { direction: 'up', absFloor: 0.005, relFloor: 0.03 },
    // a leak is the working set staying 5 % above its slow level
    memory_working_set_bytes: { direction: 'up', absFloor: 1024 * 1024, relFloor: 0.02, drift: 0.05 },
    requests_per_s: { direction: 'both', absFloor: 0.5, relFloor: 0.05 },
  },
  defaultPolicy: { direction: 'both', absFloor: 0, relFloor: 0.01 },
};

export const PARAMS: EngineParams = {
  detection: DETECTION,
  counterIdleWindows: 30,
  maxMetricsPerService: 64,
  maxPeersPerService: 1024,
  allowedLatenessMs: 2 * WINDOW_MS,
  maxPendingWindows: 32,
  maxServices: 1000,
  maxSourceLagMs: 600_000,
  sourceSilenceMs: 30_000,
  sourceIdleMs: 5_000,
};

/**
 * Quiet CPU: 0.5 cores ± 20 mcores (deterministic; σ ≈ 12.6 mcores). σ_eff is the cpu_cores
 * floor, 0.03 · 0.5 = 0.015, just above the noise.
 */
export const quietCores = (i: number): number => 0.5 + 0.02 * ((((i * 7919) % 11) - 5) / 5);
export const QUIET_LEVEL = 0.5;
export const SIGMA_EFF = 0.015;

export interface WindowSpec {
  /** CPU-seconds per second this window (cores); undefined: no container stats this window. */
  cores?: number;
  /** Working set of the container this window (bytes); undefined: no memory sample. */
  memory?: number;
  /** Outbound calls this window, one per peer. */
  calls?: ServiceId[];
  /** Steady inbound requests (default true). */
  load?: boolean;
  /** Latency of every inbound request this window, ms (default 20). */
  latencyMs?: number;
  service?: ServiceId;
}

/** Builds the partials of a story; the cpu counter is cumulative across the story's windows. */
export function story(specs: WindowSpec[], first = 0): WindowPartial[] {
  let cpuNs = 1e12;
  return specs.map((spec, k) => {
    const i = first + k;
    const p = emptyPartial(spec.service ?? SVC, windowAt(i), WINDOW_MS);
    if (spec.cores !== undefined) {
      cpuNs += Math.round(spec.cores * 1e9 * (WINDOW_MS / 1000));
      const point = { ts: windowAt(i) + WINDOW_MS / 2, v: cpuNs };
      p.containers['checkout-7d9f/app'] = { gauges: {}, counters: { cpu_usage_ns: { first: point, last: point } } };
    }
    if (spec.memory !== undefined) {
      const c = (p.containers['checkout-7d9f/app'] ??= { gauges: {}, counters: {} });
      c.gauges.memory_working_set_bytes = { n: 1, sum: spec.memory, min: spec.memory, max: spec.memory };
    }
    if (spec.load ?? true) {
      const latencyMs = emptySketch();
      sketchAdd(latencyMs, spec.latencyMs ?? 20, 50);
      p.requests = { n: 50, errors: 0, bytesIn: 50 * 400, bytesOut: 50 * 4000, latencyMs };
    }
    for (const peer of spec.calls ?? []) {
      p.edges[`out:${serviceKey(peer)}`] = { direction: 'outbound', peer, requests: 1, errors: 0, bytes: 1200 };
    }
    return p;
  });
}

/** n windows of quiet CPU (as windows 0..n−1). */
export const quiet = (n: number): WindowSpec[] => calm(n, 0);
/** n windows of quiet CPU, as windows from..from+n−1 (same noise as a quiet run at those indices). */
export const calm = (n: number, from: number): WindowSpec[] => Array.from({ length: n }, (_, i) => ({ cores: quietCores(from + i) }));
/** n windows at a fixed CPU. */
export const spike = (n: number, cores: number): WindowSpec[] => Array.from({ length: n }, () => ({ cores }));

/**
 * Offers a partial as the runtime would: the partial, then its source's watermark report
 * (one ordered source whose event time has reached the end of that window).
 */
export function feed(engine: DetectEngine, p: WindowPartial): ReturnType<DetectEngine['offer']> {
  const r = engine.offer(p);
  engine.observeSource('story', p.windowStart + p.windowMs, false);
  return r;
}
