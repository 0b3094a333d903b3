/**
 * Stage-1 pre-aggregation: folds observations into open partials per (service, window)
 * and hands them out on `drain()`. Stateless across drains: a drained partial is final
 * for this instance, and whatever arrives later for the same window becomes another
 * partial that stage 2 merges (partials are mergeable, so flushing early is always safe).
 *
 * Bounded: at most `maxOpenPartials` open at once; past that an observation is refused
 * (counted as `overflow`) until the next drain. Within a partial, edges, containers and metric
 * names are bounded too (PartialBounds). `refused` counts every refusal by the bound that made it,
 * since start, so the runtime can log and count them per interval.
 */
import { type Observation, type ServiceId, serviceKey } from '../model.js';
import {
  type PartialBounds,
  type WindowPartial,
  addContainerStats,
  addRequest,
  addSample,
  emptyPartial,
  windowStartOf,
} from './partial.js';

export interface AggregatorOptions extends PartialBounds {
  windowMs: number;
  maxOpenPartials: number;
}

/** What an aggregator bound refuses: a new (service, window), or a new edge, container or metric name in one. */
export type AggregatorBound = 'partials' | 'edges' | 'containers' | 'metrics';

export class WindowAggregator {
  private open = new Map<string, WindowPartial>();
  /** Observations refused by a bound since the last drain. */
  overflow = 0;
  /** Observations refused since start, by bound. */
  readonly refused: Record<AggregatorBound, number> = { partials: 0, edges: 0, containers: 0, metrics: 0 };

  /** The ServiceId whose key was computed last, and that key. */
  private keyOf: ServiceId | undefined;
  private svcKey = '';

  constructor(private readonly opts: AggregatorOptions) {}

  get size(): number {
    return this.open.size;
  }

  add(obs: Observation): boolean {
    switch (obs.kind) {
      case 'sample': {
        const p = this.partialFor(obs.sample.service, obs.sample.ts);
        return p ? addSample(p, obs.sample, this.opts) || this.refuse('metrics') : this.refuse('partials');
      }
      case 'container': {
        const p = this.partialFor(obs.stats.service, obs.stats.ts);
        return p ? addContainerStats(p, obs.stats, this.opts) || this.refuse('containers') : this.refuse('partials');
      }
      case 'request': {
        const p = this.partialFor(obs.request.service, obs.request.ts);
        return p ? addRequest(p, obs.request, this.opts) || this.refuse('edges') : this.refuse('partials');
      }
    }
  }

  /** Hands out every open partial (ordered by window start) and starts afresh. */
  drain(): WindowPartial[] {
    const out = [...this.open.values()].sort((a, b) => a.windowStart - b.windowStart);
    this.open.clear();
    return out;
  }

  private refuse(bound: AggregatorBound): false {
    this.overflow++;
    this.refused[bound]++;
    return false;
  }

  private partialFor(service: ServiceId, ts: number): WindowPartial | undefined {
    const start = windowStartOf(ts, this.opts.windowMs);
    // A record's observations share one ServiceId object: its key is computed once.
    if (service !== this.keyOf) {
      this.keyOf = service;
      this.svcKey = serviceKey(service);
    }
    const key = `${this.svcKey}|${start}`;
    let p = this.open.get(key);
    if (!p) {
      if (this.open.size >= this.opts.maxOpenPartials) return undefined;
      p = emptyPartial(service, start, this.opts.windowMs);
      this.open.set(key, p);
    }
    return p;
  }
}
