/**
 * The storm ledger in memory (replay, tests, one process): the ledger state and the services
 * seen, stepped by stormStep. The Kafka runtime keeps the same state in the state store, where
 * every detect instance sees it (src/stores/redis/storm.ts). Pure and synchronous.
 */
import { type Incident } from './schema.js';
import { type StormLedgerState, type StormParams, type StormStepResult, emptyStormLedger, stormStep } from './storm.js';

export class MemoryStormLedger {
  private state: StormLedgerState = emptyStormLedger();
  /** Service key → start of the last window it closed. */
  private readonly seen = new Map<string, number>();

  constructor(readonly params: StormParams) {}

  /** One batch: the services that closed windows (key, window start) and the service incidents it changed. */
  step(closed: Iterable<readonly [string, number]>, incidents: readonly Incident[]): StormStepResult {
    let newest = -Infinity;
    for (const [k, t] of closed) {
      if (t > (this.seen.get(k) ?? -Infinity)) this.seen.set(k, t);
      if (t > newest) newest = t;
    }
    for (const [k, t] of this.seen) if (t <= newest - this.params.windowMs) this.seen.delete(k);
    const seen = (t: number): number => {
      let n = 0;
      for (const s of this.seen.values()) if (s > t - this.params.windowMs) n++;
      return n;
    };
    const r = stormStep(this.state, incidents, seen, this.params);
    this.state = r.state;
    return r;
  }
}

/** The service incidents with their storm set, then the storm documents: what to publish. */
export function withStorms(incidents: readonly Incident[], r: Pick<StormStepResult, 'storms' | 'stormOf'>): Incident[] {
  const out = incidents.map((i) => {
    const s = r.stormOf.get(i.id);
    return s ? { ...i, storm: s } : i;
  });
  return [...out, ...r.storms];
}
