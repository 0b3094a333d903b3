/**
 * The storm ledger in memory (replay, tests, one process): the ledger state and the services
 * seen, stepped by stormStep. The Kafka runtime keeps the same state in the state store, where
 * every detect instance sees it (src/stores/redis/storm.ts). Pure and synchronous.
 */
import { type Incident } from './schema.js';
import { type StormLedgerState, type StormParams, type StormStepResult, emptyStormLedger, heldKey, stormStep } from './storm.js';

const SEEN_KEPT_MS = 3_600_000;

export class MemoryStormLedger {
  private state: StormLedgerState = emptyStormLedger();
  /** Service key → start of the last window it closed. */
  private readonly seen = new Map<string, number>();

  constructor(readonly params: StormParams) {}

  /**
   * One batch: the services that closed windows (key, window start) and the service incidents
   * it changed; `nowMs` (processing time) bounds the hold when `params.holdMs` is set.
   */
  step(closed: Iterable<readonly [string, number]>, incidents: readonly Incident[], nowMs = 0): StormStepResult {
    let newest = -Infinity;
    for (const [k, t] of closed) {
      if (t > (this.seen.get(k) ?? -Infinity)) this.seen.set(k, t);
      if (t > newest) newest = t;
    }
    // Services gone for an hour are forgotten, never sooner: a partition far ahead must not drop the others'.
    for (const [k, t] of this.seen) if (t <= newest - Math.max(this.params.windowMs, SEEN_KEPT_MS)) this.seen.delete(k);
    const seen = (t: number): number => {
      let n = 0;
      for (const s of this.seen.values()) if (s > t - this.params.windowMs) n++;
      return n;
    };
    const decided = (t: number): boolean => decidedOf([...this.seen.values()], t, this.params.windowMs);
    const r = stormStep(this.state, incidents, seen, this.params, { decided, nowMs });
    this.state = r.state;
    return r;
  }
}

/**
 * The storm decision of window start `t` is known when no service seen within the storm span
 * before `t` still lags behind it (`lastClosed` holds each service's last closed window start).
 * A partition far ahead (catching up) decides nothing for the others: they may still tip it.
 */
export const decidedOf = (lastClosed: readonly number[], t: number, windowMs: number): boolean =>
  !lastClosed.some((s) => s >= t - windowMs && s < t);

/**
 * What to publish after a step: the held documents it released, the batch's service incidents
 * that are not held, with their storm set, then the storm documents.
 */
export function withStorms(
  incidents: readonly Incident[],
  r: Pick<StormStepResult, 'storms' | 'stormOf'> & Partial<Pick<StormStepResult, 'held' | 'released'>>,
): Incident[] {
  const out = incidents
    .filter((i) => !r.held?.has(heldKey(i)))
    .map((i) => {
      const s = r.stormOf.get(i.id);
      return s ? { ...i, storm: s } : i;
    });
  return [...(r.released ?? []), ...out, ...r.storms];
}
