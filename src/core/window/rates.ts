/**
 * Cumulative counters → rates. Per container and counter, stage 2 keeps the last point
 * of the previous window; a window's increase is summed over the segments
 * prev → first → last. A segment whose value decreases is a counter reset (container
 * restart): the increase since the reset is the new value. A segment with Δt ≤ 0 is a
 * duplicate or reordering and adds nothing. The rate is increase / elapsed seconds and is
 * never negative. The first point of a container only primes the state (no rate).
 */
import { type CounterPoint, type CounterSpan } from './partial.js';

export interface Increase {
  /** Increase in the counter's unit (ns, bytes, periods). */
  delta: number;
  /** Elapsed time covered, ms. */
  elapsedMs: number;
}

function segment(from: CounterPoint, to: CounterPoint): Increase {
  const dt = to.ts - from.ts;
  if (dt <= 0) return { delta: 0, elapsedMs: 0 };
  const dv = to.v - from.v;
  return { delta: dv >= 0 ? dv : to.v, elapsedMs: dt };
}

/** The increase a window contributes, given the previous window's last point (if any). */
export function increaseOf(prev: CounterPoint | undefined, span: CounterSpan): Increase | undefined {
  const points: CounterPoint[] = [];
  if (prev && prev.ts < span.first.ts) points.push(prev);
  points.push(span.first);
  if (span.last.ts > span.first.ts) points.push(span.last);
  if (points.length < 2) return undefined;
  let delta = 0;
  let elapsedMs = 0;
  for (let i = 1; i < points.length; i++) {
    const s = segment(points[i - 1] as CounterPoint, points[i] as CounterPoint);
    delta += s.delta;
    elapsedMs += s.elapsedMs;
  }
  return elapsedMs > 0 ? { delta, elapsedMs } : undefined;
}

/** Per-second rate of an increase. */
export const perSecond = (inc: Increase): number => (inc.delta * 1000) / inc.elapsedMs;
