/**
 * What the page shows over time, kept in the memory of a process that runs stage 2 (the
 * store keeps only each metric's last value): the recent closed windows of each service it
 * closed windows for, and the recent alerts it delivered.
 *
 * RecentWindows: per service a ring of its last `capacity` windows; per window and metric the
 * value and the band that window was judged against. That band is the one the previous window's
 * state gives for it (core/pipeline/service-view.ts: the band of the next window), so a window
 * that does not follow its predecessor directly (a gap) has none. O(metrics) per closed
 * window; a window at or before the newest one recorded (a partition re-read after a failure
 * closes the same windows again) is not recorded twice. Bounded: at most `maxServices`
 * services (the one updated longest ago is forgotten), `capacity` windows each; values are
 * 32-bit floats (4 per metric and window).
 *
 * RecentAlerts: the last `capacity` alerts delivered, newest first on reading.
 */
import { type Alert } from '../core/alert/schema.js';
import { type ServiceId, serviceKey } from '../core/model.js';
import { type ServiceState } from '../core/pipeline/service-state.js';
import { type ViewParams, serviceView } from '../core/pipeline/service-view.js';

export interface Band {
  value: number;
  lower: number;
  upper: number;
}

export interface SeriesPoint {
  /** Window start (ms since the epoch). */
  start: number;
  /** The window's value (null: the metric had none in that window). */
  value: number | null;
  /** The band the window was judged against (null: it was not judged, or the window before it is unknown). */
  expected: Band | null;
}

export interface ServiceSeries {
  service: ServiceId;
  windowMs: number;
  metrics: { metric: string; points: SeriesPoint[] }[];
}

/** One alert as the page lists it (the full document is on the alerts topic). */
export interface AlertSummary {
  id: string;
  service: string;
  kind: string;
  status: string;
  severity: string;
  metric: string;
  peer: string | null;
  windowStart: string;
  startsAt: string;
  summary: string;
}

/** Per window and metric: value, band value, lower, upper (NaN: none). */
const SLOT = 4;

interface Ring {
  service: ServiceId;
  starts: Float64Array;
  /** Index of the next slot to write; `size` slots are filled, ending just before it. */
  head: number;
  size: number;
  metrics: Map<string, Float32Array>;
  /** The band each metric's next window is judged against, from the newest state recorded. */
  next: Map<string, Band>;
}

export class RecentWindows {
  private readonly rings = new Map<string, Ring>();

  constructor(
    private readonly capacity: number,
    private readonly maxServices: number,
    private readonly params: ViewParams,
  ) {}

  /** Records each state as its service's newest window (states in close order). */
  record(states: readonly ServiceState[]): void {
    if (this.capacity <= 0) return;
    for (const s of states) this.recordOne(s);
  }

  private recordOne(state: ServiceState): void {
    const key = serviceKey(state.service);
    let ring = this.rings.get(key);
    const newest = ring && ring.size > 0 ? (ring.starts[(ring.head - 1 + this.capacity) % this.capacity] as number) : -Infinity;
    if (state.lastWindowStart <= newest) return;
    if (ring) this.rings.delete(key);
    else {
      ring = { service: state.service, starts: new Float64Array(this.capacity), head: 0, size: 0, metrics: new Map(), next: new Map() };
      if (this.rings.size >= this.maxServices) {
        const oldest = this.rings.keys().next();
        if (!oldest.done) this.rings.delete(oldest.value);
      }
    }
    this.rings.set(key, ring);
    const follows = newest + this.params.windowMs === state.lastWindowStart;
    const at = ring.head;
    ring.starts[at] = state.lastWindowStart;
    const view = serviceView(state, this.params);
    for (const m of view.metrics) {
      let slots = ring.metrics.get(m.metric);
      if (!slots) {
        slots = new Float32Array(this.capacity * SLOT).fill(NaN);
        ring.metrics.set(m.metric, slots);
      }
      const band = follows ? ring.next.get(m.metric) : undefined;
      slots.set([m.value ?? NaN, band?.value ?? NaN, band?.lower ?? NaN, band?.upper ?? NaN], at * SLOT);
    }
    // A metric the window did not learn has no value in it.
    for (const [metric, slots] of ring.metrics)
      if (!view.metrics.some((m) => m.metric === metric)) slots.fill(NaN, at * SLOT, at * SLOT + SLOT);
    ring.next = new Map(view.metrics.flatMap((m) => (m.expected ? [[m.metric, m.expected] as const] : [])));
    ring.head = (at + 1) % this.capacity;
    ring.size = Math.min(ring.size + 1, this.capacity);
  }

  /** A service's recent windows, oldest first; undefined when none were recorded. */
  series(key: string): ServiceSeries | undefined {
    const ring = this.rings.get(key);
    if (!ring) return undefined;
    const order = Array.from({ length: ring.size }, (_, i) => (ring.head - ring.size + i + this.capacity) % this.capacity);
    const num = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);
    const metrics = [...ring.metrics.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([metric, slots]) => ({
        metric,
        points: order.map((i): SeriesPoint => {
          const [value, ev, lo, hi] = [0, 1, 2, 3].map((j) => num(slots[i * SLOT + j]));
          return {
            start: ring.starts[i] as number,
            value: value ?? null,
            expected: ev != null && lo != null && hi != null ? { value: ev, lower: lo, upper: hi } : null,
          };
        }),
      }));
    return { service: ring.service, windowMs: this.params.windowMs, metrics };
  }
}

export class RecentAlerts {
  private readonly ring: AlertSummary[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  add(a: Alert): void {
    if (this.capacity <= 0) return;
    const summary: AlertSummary = {
      id: a.id,
      service: serviceKey(a.service),
      kind: a.kind,
      status: a.status,
      severity: a.severity,
      metric: a.metric,
      peer: a.peer ? serviceKey(a.peer) : null,
      windowStart: a.window.start,
      startsAt: a.startsAt,
      summary: a.summary,
    };
    if (this.ring.length < this.capacity) this.ring.push(summary);
    else this.ring[this.head] = summary;
    this.head = (this.head + 1) % this.capacity;
  }

  /** Newest first; only `service`'s when given; at most `limit`. */
  list(opts: { service?: string; limit: number }): AlertSummary[] {
    const out: AlertSummary[] = [];
    const n = this.ring.length;
    for (let i = 1; i <= n && out.length < opts.limit; i++) {
      const a = this.ring[(this.head - i + n) % n] as AlertSummary;
      if (opts.service === undefined || a.service === opts.service) out.push(a);
    }
    return out;
  }
}
