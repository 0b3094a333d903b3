/**
 * Event-time guard: a record's event time must be plausible before it may move any clock.
 *
 * Input: per record, its source ("topic/partition", or "replay"), its event time `tsMs` (epoch
 * ms) and processing time `nowMs` (undefined in replay). Output: undefined (accepted) or a
 * Problem `MW_EVENT_TIME_SKEW` whose reason names the bound and by how much it was missed.
 *
 * Claims:
 * - vs processing time (live only): reject `tsMs > nowMs + maxFutureMs` (default 15 min: clock
 *   skew between hosts) and `tsMs < nowMs - maxAgeMs` (default 7 days, Kafka's default
 *   retention; a backfill of older data raises it for its run);
 * - vs the source's recent event time (live and replay): reject a record more than `maxJumpMs`
 *   (default 1 h) ahead of or behind it. The reference is the newest accepted event time, so one
 *   accepted record moves it by at most `maxJumpMs`;
 * - re-anchoring: when `reanchorRecords` (default 16) CONSECUTIVE rejected-by-jump records of a
 *   source agree with each other (each within `maxJumpMs` of the one before it, so a source
 *   sampled every 5 min re-anchors as well as a dense one), the reference moves to the newest
 *   of them and the last one is accepted: a real gap in the data or a restarted producer is
 *   followed after a few records, while one or a few hostile records (2099, 1970) never move
 *   the clock. A record near the reference breaks the run. The first record of a source anchors
 *   it tentatively, so a hostile FIRST record is undone by the same rule; until `reanchorRecords`
 *   records in all stand behind the anchor (as many as a re-anchor needs), `confirmedReferenceOf`
 *   is undefined, so a watermark built on it cannot run ahead on a few records and close the
 *   windows of everything that follows.
 * Records refused vs processing time neither move the reference nor count toward a re-anchor.
 * A source whose consecutive records are normally further apart than `maxJumpMs` (a sparse
 * series sampled every 2 h) never re-anchors: raise `maxJumpMs` above its sampling interval.
 * Bounded: at most `maxSources` sources (default 10,000; sources are partitions), the oldest
 * entry evicted first and counted in `evictions`. Pure: no clock (time is a parameter).
 */
import { type Problem } from '../result.js';

export interface TimeGuardParams {
  maxFutureMs: number;
  maxAgeMs: number;
  maxJumpMs: number;
  reanchorRecords: number;
}

export const DEFAULT_TIME_GUARD: Readonly<TimeGuardParams> = {
  maxFutureMs: 15 * 60_000,
  maxAgeMs: 7 * 86_400_000,
  maxJumpMs: 3_600_000,
  reanchorRecords: 16,
};

interface SourceClock {
  /** Newest accepted event time. */
  refMs: number;
  /** The current run of consecutive records that disagree with `refMs`: count, last, newest. */
  runCount: number;
  runLastMs: number;
  runMaxMs: number;
  /** Records that agreed with a first-record anchor; the anchor is confirmed at `reanchorRecords` records. */
  agreed: number;
  confirmed: boolean;
}

/** Largest epoch ms a Date can show (±8.64e15). */
const DATE_LIMIT_MS = 8.64e15;

function at(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= DATE_LIMIT_MS ? new Date(ms).toISOString() : String(ms);
}

/** A duration for humans: `3d 4h`, `2h 5m`, `1m 30s`, `250 ms`. */
export function span(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const a = Math.abs(ms);
  if (a < 1000) return `${Math.round(a)} ms`;
  const s = Math.floor(a / 1000);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d >= 365) return `${Math.floor(d / 365)}y ${d % 365}d`;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

const skew = (reason: string): Problem => ({ code: 'MW_EVENT_TIME_SKEW', reason });

export class EventTimeGuard {
  private readonly sources = new Map<string, SourceClock>();
  /** Sources dropped to keep the map within `maxSources`. */
  evictions = 0;

  constructor(
    private readonly params: TimeGuardParams,
    private readonly maxSources = 10_000,
  ) {}

  /** The newest accepted event time of `source`, if it has one. */
  referenceOf(source: string): number | undefined {
    return this.sources.get(source)?.refMs;
  }

  /** The same once confirmed: `reanchorRecords` records stand behind it (a first record alone only anchors tentatively). */
  confirmedReferenceOf(source: string): number | undefined {
    const c = this.sources.get(source);
    return c?.confirmed ? c.refMs : undefined;
  }

  /**
   * One record's event time from source partition `source` ("topic/partition", or "replay").
   * `nowMs` is processing time (undefined in replay: only the source-relative checks apply).
   * Returns undefined when accepted (and updates the source's recent event time), else a
   * Problem { code: 'MW_EVENT_TIME_SKEW', reason } that says which bound and by how much.
   */
  check(source: string, tsMs: number, nowMs: number | undefined): Problem | undefined {
    const p = this.params;
    if (!Number.isFinite(tsMs)) return skew(`event time ${tsMs} is not a time`);
    if (nowMs !== undefined) {
      if (tsMs > nowMs + p.maxFutureMs)
        return skew(`event time ${at(tsMs)} is ${span(tsMs - nowMs)} ahead of processing time (limit ${span(p.maxFutureMs)})`);
      if (tsMs < nowMs - p.maxAgeMs)
        return skew(`event time ${at(tsMs)} is ${span(nowMs - tsMs)} behind processing time (limit ${span(p.maxAgeMs)})`);
    }
    const c = this.sources.get(source);
    if (c === undefined) {
      if (this.sources.size >= this.maxSources) this.evictOldest();
      this.sources.set(source, { refMs: tsMs, runCount: 0, runLastMs: 0, runMaxMs: 0, agreed: 1, confirmed: p.reanchorRecords <= 1 });
      return undefined;
    }
    const gap = tsMs - c.refMs;
    if (Math.abs(gap) <= p.maxJumpMs) {
      if (tsMs > c.refMs) c.refMs = tsMs;
      c.runCount = 0;
      if (!c.confirmed && ++c.agreed >= p.reanchorRecords) c.confirmed = true;
      return undefined;
    }
    // Disagrees with the reference: extend the run if it follows the run's last record, else
    // start a new one.
    if (c.runCount > 0 && Math.abs(tsMs - c.runLastMs) <= p.maxJumpMs) {
      c.runCount++;
      if (tsMs > c.runMaxMs) c.runMaxMs = tsMs;
    } else {
      c.runCount = 1;
      c.runMaxMs = tsMs;
    }
    c.runLastMs = tsMs;
    if (c.runCount >= p.reanchorRecords) {
      c.refMs = c.runMaxMs;
      c.runCount = 0;
      c.confirmed = true;
      return undefined;
    }
    return skew(
      `event time ${at(tsMs)} is ${span(gap)} ${gap > 0 ? 'ahead of' : 'behind'} source ${JSON.stringify(source.slice(0, 200))}'s ` +
        `recent event time ${at(c.refMs)} (limit ${span(p.maxJumpMs)}; ${p.reanchorRecords} agreeing records in a row re-anchor it)`,
    );
  }

  private evictOldest(): void {
    const oldest = this.sources.keys().next();
    if (oldest.done !== true) {
      this.sources.delete(oldest.value);
      this.evictions++;
    }
  }
}
