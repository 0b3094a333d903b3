/**
 * WindowPartial: everything one ingest instance saw of one service in one tumbling
 * window, as a mergeable value. Stage 1 builds partials from observations and sends
 * them keyed by service; stage 2 merges all partials of a (service, window) and closes
 * the window. `mergePartials` is associative and commutative (property-tested), so
 * any split of the input across instances, batches or restarts gives the same window.
 *
 * Units: ts/windowStart/windowMs in ms; bytes; latency ms; counters in their source
 * unit (cpu ns, bytes, periods).
 */
import {
  type ContainerGaugeName,
  type ContainerStats,
  type CounterName,
  type RequestRecord,
  type Sample,
  type ServiceId,
  serviceKey,
} from '../model.js';
import { type Sketch, emptySketch, sketchAdd, sketchMerge } from './sketch.js';

export interface GaugeStat {
  n: number;
  sum: number;
  min: number;
  max: number;
}

export interface CounterPoint {
  ts: number;
  v: number;
}

/** The first and last point of a cumulative counter within the window. */
export interface CounterSpan {
  first: CounterPoint;
  last: CounterPoint;
}

export interface ContainerPartial {
  gauges: Partial<Record<ContainerGaugeName, GaugeStat>>;
  counters: Partial<Record<CounterName, CounterSpan>>;
}

/** Requests the service served (inbound side of its sidecar). */
export interface RequestStats {
  n: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  latencyMs: Sketch;
}

/** Calls this service made to one peer (outbound) or received from one (inbound). */
export interface EdgeStat {
  direction: 'inbound' | 'outbound';
  peer: ServiceId;
  requests: number;
  errors: number;
  bytes: number;
}

export interface WindowPartial {
  v: 1;
  service: ServiceId;
  windowStart: number;
  windowMs: number;
  requests?: RequestStats;
  /** Canonical samples by metric name (gauges). */
  gauges: Record<string, GaugeStat>;
  containers: Record<string, ContainerPartial>;
  /** Keyed `out:<peer>` / `in:<peer>`. */
  edges: Record<string, EdgeStat>;
  /** Observations dropped by a bound (edges, containers, metrics) in this partial. */
  overflow: number;
  /**
   * The input it summarises: stage 1's raw source partition (`topic/partition`) and the offsets
   * of the records it handled for it (inclusive). Stage 2 applies a (service, window, source)
   * range once: a partial re-sent by a stage 1 that crashed before committing is dropped.
   * Absent on partials of no single batch (replay, held observations released by the timer).
   */
  input?: PartialInput;
}

export interface PartialInput {
  source: string;
  from: number;
  to: number;
}

export interface PartialBounds {
  maxEdges: number;
  maxContainers: number;
  maxMetrics: number;
}

/** The key of an edge in `WindowPartial.edges` (and of a peer in service state): `out:<peer key>` / `in:<peer key>`. */
export const edgeKey = (direction: EdgeStat['direction'], peer: ServiceId): string =>
  `${direction === 'inbound' ? 'in' : 'out'}:${serviceKey(peer)}`;

export const windowStartOf = (ts: number, windowMs: number): number => Math.floor(ts / windowMs) * windowMs;

export const emptyPartial = (service: ServiceId, windowStart: number, windowMs: number): WindowPartial => ({
  v: 1,
  service,
  windowStart,
  windowMs,
  gauges: {},
  containers: {},
  edges: {},
  overflow: 0,
});

export const gaugeOf = (x: number): GaugeStat => ({ n: 1, sum: x, min: x, max: x });

export const mergeGauge = (a: GaugeStat, b: GaugeStat): GaugeStat => ({
  n: a.n + b.n,
  sum: a.sum + b.sum,
  min: Math.min(a.min, b.min),
  max: Math.max(a.max, b.max),
});

/** Earlier wins; on a tie in time the smaller value (deterministic, so merge commutes). */
const earlier = (a: CounterPoint, b: CounterPoint): CounterPoint => (a.ts < b.ts || (a.ts === b.ts && a.v <= b.v) ? a : b);
/** Later wins; on a tie in time the larger value. */
const later = (a: CounterPoint, b: CounterPoint): CounterPoint => (a.ts > b.ts || (a.ts === b.ts && a.v >= b.v) ? a : b);

export const mergeSpan = (a: CounterSpan, b: CounterSpan): CounterSpan => ({
  first: earlier(a.first, b.first),
  last: later(a.last, b.last),
});

function mergeRecord<K extends string, V>(a: Partial<Record<K, V>>, b: Partial<Record<K, V>>, f: (x: V, y: V) => V): Partial<Record<K, V>> {
  const out: Partial<Record<K, V>> = { ...a };
  for (const k of Object.keys(b) as K[]) {
    const y = b[k] as V;
    const x = out[k];
    out[k] = x === undefined ? y : f(x, y);
  }
  return out;
}

const mergeContainer = (a: ContainerPartial, b: ContainerPartial): ContainerPartial => ({
  gauges: mergeRecord(a.gauges, b.gauges, mergeGauge),
  counters: mergeRecord(a.counters, b.counters, mergeSpan),
});

const mergeRequests = (a: RequestStats, b: RequestStats): RequestStats => ({
  n: a.n + b.n,
  errors: a.errors + b.errors,
  bytesIn: a.bytesIn + b.bytesIn,
  bytesOut: a.bytesOut + b.bytesOut,
  latencyMs: sketchMerge(a.latencyMs, b.latencyMs),
});

/**
 * The cluster is part of `serviceKey`, so partials and edges merged under one key always carry
 * the same identity. Merging two partials of different identities is a caller's mistake; the
 * result then still does not depend on argument order: the one that names a cluster wins, and
 * between two clusters the smaller.
 */
export function pickIdentity(a: ServiceId, b: ServiceId): ServiceId {
  if (a.cluster === b.cluster) return a;
  if (a.cluster === undefined) return b;
  if (b.cluster === undefined) return a;
  return a.cluster < b.cluster ? a : b;
}

const mergeEdge = (a: EdgeStat, b: EdgeStat): EdgeStat => ({
  direction: a.direction,
  peer: pickIdentity(a.peer, b.peer),
  requests: a.requests + b.requests,
  errors: a.errors + b.errors,
  bytes: a.bytes + b.bytes,
});

/**
 * Merges two partials of the same (service, window) into a new value. Bounds are not
 * applied here (the law must hold exactly); stage 1 applies them when it adds.
 */
export function mergePartials(a: WindowPartial, b: WindowPartial): WindowPartial {
  const out: WindowPartial = {
    v: 1,
    service: pickIdentity(a.service, b.service),
    windowStart: a.windowStart,
    windowMs: a.windowMs,
    gauges: mergeRecord(a.gauges, b.gauges, mergeGauge) as Record<string, GaugeStat>,
    containers: mergeRecord(a.containers, b.containers, mergeContainer) as Record<string, ContainerPartial>,
    edges: mergeRecord(a.edges, b.edges, mergeEdge) as Record<string, EdgeStat>,
    overflow: a.overflow + b.overflow,
  };
  const requests = a.requests && b.requests ? mergeRequests(a.requests, b.requests) : (a.requests ?? b.requests);
  if (requests) out.requests = requests;
  return out;
}

/* ---------- adding observations (stage 1, in place on an open partial) ---------- */

export function addSample(p: WindowPartial, s: Sample, bounds: PartialBounds): boolean {
  const g = p.gauges[s.metric];
  if (g) {
    p.gauges[s.metric] = mergeGauge(g, gaugeOf(s.value));
    return true;
  }
  if (Object.keys(p.gauges).length >= bounds.maxMetrics) {
    p.overflow++;
    return false;
  }
  p.gauges[s.metric] = gaugeOf(s.value);
  return true;
}

export function addContainerStats(p: WindowPartial, c: ContainerStats, bounds: PartialBounds): boolean {
  let cp = p.containers[c.container];
  if (!cp) {
    if (Object.keys(p.containers).length >= bounds.maxContainers) {
      p.overflow++;
      return false;
    }
    cp = { gauges: {}, counters: {} };
    p.containers[c.container] = cp;
  }
  for (const [name, v] of Object.entries(c.gauges) as [ContainerGaugeName, number][]) {
    const g = cp.gauges[name];
    cp.gauges[name] = g ? mergeGauge(g, gaugeOf(v)) : gaugeOf(v);
  }
  for (const [name, v] of Object.entries(c.counters) as [CounterName, number][]) {
    const point = { ts: c.ts, v };
    const span = cp.counters[name];
    cp.counters[name] = span ? mergeSpan(span, { first: point, last: point }) : { first: point, last: point };
  }
  return true;
}

export function addRequest(p: WindowPartial, r: RequestRecord, bounds: PartialBounds): boolean {
  const count = r.count ?? 1;
  const errors = r.isError ? count : 0;
  if (r.direction === 'inbound') {
    const q = (p.requests ??= { n: 0, errors: 0, bytesIn: 0, bytesOut: 0, latencyMs: emptySketch() });
    q.n += count;
    q.errors += errors;
    q.bytesIn += r.bytesReceived;
    q.bytesOut += r.bytesSent;
    const latencyCount = r.latencyCount ?? count;
    if (latencyCount > 0) sketchAdd(q.latencyMs, r.durationMs, latencyCount);
  }
  if (!r.peer) return true;
  const key = edgeKey(r.direction, r.peer);
  const e = p.edges[key];
  const bytes = r.bytesReceived + r.bytesSent;
  if (e) {
    e.requests += count;
    e.errors += errors;
    e.bytes += bytes;
    return true;
  }
  if (Object.keys(p.edges).length >= bounds.maxEdges) {
    p.overflow++;
    return false;
  }
  p.edges[key] = { direction: r.direction, peer: r.peer, requests: count, errors, bytes };
  return true;
}
