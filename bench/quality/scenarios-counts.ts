/**
 * Scenarios about how much data a window stands on, and about exact daily patterns:
 *
 *  - `low-count-errors`: a quiet service (4–20 requests a window) whose requests fail now and
 *    then (0.2 %), as Istio's JSON access log writes them (one line per request, the callee named
 *    by the mTLS SNI), so the error ratio, the request rate and the latency quantiles go through
 *    the real access-log path with their counts; on day 2, 40 % of 50–80 requests a window fail
 *    for 3–6 windows. Only `error_ratio` alerts are scored (the request rate and latency follow
 *    the incident; their alerts are listed apart).
 *  - `daily-cycle-noiseless-5m`, `daily-cycle-noiseless-10s`: a business-day pattern with no
 *    noise at all, at 5-minute and at 10-second windows.
 */
import {
  type Built,
  DAY_MS,
  HOUR_MS,
  type Interval,
  type ScenarioOptions,
  Rng,
  T0,
  gaugeSeries,
  learning,
  seedOf,
  sig,
} from './scenario-kit.js';

const NAMESPACE = 'quality';

/** One inbound request as Istio's JSON access log writes it (formats.md §3.3). */
function inboundLine(service: string, ts: number, status: number, durationMs: number): string {
  return JSON.stringify({
    start_time: new Date(ts).toISOString(),
    method: 'GET',
    path: '/api',
    protocol: 'HTTP/1.1',
    response_code: status,
    response_flags: '-',
    bytes_received: 0,
    bytes_sent: status === 200 ? 2048 : 95,
    duration: durationMs,
    upstream_cluster: 'inbound|8080||',
    requested_server_name: `outbound_.8080_._.${service}.${NAMESPACE}.svc.cluster.local`,
    authority: `${service}:8080`,
  });
}

/** Baseline error ratio of `low-count-errors`. */
const BASE_ERROR_RATIO = 0.002;
/** Error ratio during its incident. */
const INCIDENT_ERROR_RATIO = 0.4;

/**
 * 2 days of a quiet service: 4–20 requests a window, each failing (503) with probability 0.2 %,
 * latency log-normal around 20–60 ms; on day 2 between 12:00 and 18:00, 3–6 windows of 50–80
 * requests of which each fails with probability 40 %.
 */
export function lowCountErrors(k: number, o: ScenarioOptions): Built {
  const W = o.windowMs;
  const name = `low-count-errors-${k}`;
  const setup = new Rng(seedOf('low-count-errors', k));
  const latencyMs = setup.uniform(20, 60);
  const dur = setup.int(3, 6);
  const start = setup.int(Math.round((DAY_MS + 12 * HOUR_MS) / W), Math.round((DAY_MS + 18 * HOUR_MS) / W));
  const anomaly: Interval = {
    label: `${100 * INCIDENT_ERROR_RATIO} % errors over 50–80 requests × ${dur} windows`,
    start: T0 + start * W,
    end: T0 + (start + dur) * W,
    alert: true,
    scored: true,
  };
  return {
    spec: {
      service: `${NAMESPACE}/${name}`,
      metric: 'error_ratio',
      only: true,
      intervals: [anomaly],
      notes: { requests: '4–20 a window', error_pct: 100 * BASE_ERROR_RATIO, latency_ms: sig(latencyMs), incident_windows: dur },
    },
    line: (i) => {
      // Each window from its own seed: the same lines however often they are generated.
      const rng = new Rng(seedOf('low-count-errors', k, i));
      const incident = i >= start && i < start + dur;
      const requests = incident ? rng.int(50, 80) : rng.int(4, 20);
      const ratio = incident ? INCIDENT_ERROR_RATIO : BASE_ERROR_RATIO;
      const lines: string[] = [];
      for (let r = 0; r < requests; r++) {
        const ts = T0 + i * W + Math.floor(rng.next() * W);
        const status = rng.next() < ratio ? 503 : 200;
        lines.push(inboundLine(name, ts, status, Math.max(1, Math.round(latencyMs * Math.exp(0.3 * rng.normal())))));
      }
      return lines.join('\n');
    },
  };
}

/** 0 → 1 along a raised cosine between `from` and `to` (hours of the day). */
const ramp = (h: number, from: number, to: number): number =>
  h <= from ? 0 : h >= to ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * (h - from)) / (to - from));

/**
 * A business day in requests/s, exactly the same every day: `night` until 06:00, rising to
 * `day` by 09:00, falling back from 18:00 to 21:00.
 */
const businessDay = (t: number, night: number, day: number): number => {
  const h = ((((t - T0) % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  return night + (day - night) * (ramp(h, 6, 9) - ramp(h, 18, 21));
};

/** 7 days of the noiseless business day (per series night 40–120, day 3–5 × night); days 1–2 learning. */
export function noiselessCycle(name: string, k: number, o: ScenarioOptions): Built {
  const W = o.windowMs;
  const n = Math.round((7 * DAY_MS) / W);
  const rng = new Rng(seedOf(name, k));
  const night = rng.uniform(40, 120);
  const day = night * rng.uniform(3, 5);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = businessDay(T0 + i * W, night, day);
  return gaugeSeries(
    {
      service: `${NAMESPACE}/${name}-${k}`,
      metric: 'requests_per_s',
      intervals: [learning(2)],
      notes: { night: sig(night), day: sig(day), noise: 'none', window_s: W / 1000 },
    },
    values,
    W,
  );
}
