/**
 * The two stages' step functions, pure: the Kafka workers (src/runtime/ingest.ts,
 * src/runtime/detect.ts), `replay` (LocalPipeline) and the topology test driver all call
 * these, so every way of running meshwatch computes the same partials and alerts.
 *
 * ingestStep: one batch of raw records (text) → decode → pre-aggregate per (service,
 * window) → the partials to hand over, the records rejected (with their index and
 * Problem), the newest event time seen, the records skipped by design, and the
 * observations a bound refused. Stateless across calls (a fresh aggregator per batch).
 * With `align`, it handles records only up to a bound on event time (input alignment: a
 * source may run at most `aheadMs` ahead of the slowest one) and says how many it handled.
 *
 * detectStep: one batch of windows-topic messages, in order, into a stage-2 engine →
 * source watermarks observed, partials offered (each one's outcome returned, by index),
 * then every window past the watermark closed (`nowMs`: processing time, omitted by
 * replay; `final`: close everything, end of input). Precondition: the states of the
 * partials' services were adopted (`engine.missing` → store → `engine.adopt`).
 */
import { decode, decodeBytes } from '../decode/index.js';
import { type DecodeOptions, type DecodeResult } from '../decode/types.js';
import { type Attributor } from '../identity/attribution.js';
import { type Observation, eventTimeOf } from '../model.js';
import { type Problem } from '../result.js';
import { type AggregatorBound, type AggregatorOptions, WindowAggregator } from '../window/aggregator.js';
import { type WindowsMessage } from '../window/partial-codec.js';
import { type WindowPartial } from '../window/partial.js';
import { type AdvanceResult, type DetectEngine } from './engine.js';
import { type EventTimeGuard } from '../window/time-guard.js';

export interface IngestStepOptions {
  aggregator: AggregatorOptions;
  decode: DecodeOptions;
  /** Event-time plausibility, kept by the caller across batches (it remembers each source's time). */
  guard?: EventTimeGuard;
  /** The records' source partition (`topic/partition`, or `replay`). */
  source: string;
  /** Processing time (undefined in replay: only source-relative checks apply). */
  nowMs: number | undefined;
  /**
   * Input alignment: stop before the first record with an event time past
   * min(`lowMs`, the batch's first event time) + `aheadMs` (`consumed` says where). `lowMs` is
   * how far the slowest other source still holding windows open has got (Infinity: none).
   */
  align?: { lowMs: number; aheadMs: number };
}

export interface IngestStepResult {
  partials: WindowPartial[];
  rejected: { index: number; problem: Problem; decoder: string }[];
  /** Newest event time among the accepted observations (-Infinity: none). */
  reachedMs: number;
  observations: number;
  ignored: number;
  overflow: number;
  /** Observations pre-aggregation refused, by bound. */
  refused: Record<AggregatorBound, number>;
  /** Records handled, from the first: the rest (alignment cut them off) must be read again later. */
  consumed: number;
}

/** A record's observations, or the first event time the guard refuses (the whole record is rejected). */
function guarded(
  r: DecodeResult,
  opts: Omit<IngestStepOptions, 'aggregator'>,
): DecodeResult | { ok: false; error: { code: 'MW_EVENT_TIME_SKEW'; reason: string; decoder: string } } {
  if (!r.ok || !opts.guard) return r;
  const observations: readonly Observation[] = r.value.observations;
  for (const o of observations) {
    const p = opts.guard.check(opts.source, eventTimeOf(o), opts.nowMs);
    if (p) return { ok: false, error: { code: 'MW_EVENT_TIME_SKEW', reason: p.reason, decoder: r.value.decoder } };
  }
  return r;
}

/** One batch decoded and guarded: its observations with their record's index, and the records rejected. */
export interface DecodedBatch {
  items: { obs: Observation; index: number }[];
  rejected: IngestStepResult['rejected'];
  /** Newest event time among the accepted observations (-Infinity: none). */
  reachedMs: number;
  ignored: number;
  /** Records handled, from the first: the rest (alignment cut them off) must be read again later. */
  consumed: number;
}

/**
 * Records are text (replay's lines) or bytes (Kafka values: the size is checked before any
 * text decoding). Every observation passes the event-time guard before it reaches the
 * aggregator or `reachedMs`; a record with one refused is rejected whole (MW_EVENT_TIME_SKEW).
 */
export function decodeStep(records: readonly (string | Uint8Array | null)[], opts: Omit<IngestStepOptions, 'aggregator'>): DecodedBatch {
  const out: DecodedBatch = { items: [], rejected: [], reachedMs: -Infinity, ignored: 0, consumed: 0 };
  let limitMs = Infinity;
  for (let index = 0; index < records.length; index++) {
    const text = records[index] ?? null;
    const r = guarded(typeof text === 'string' ? decode(text, opts.decode) : decodeBytes(text, opts.decode), opts);
    if (!r.ok) {
      out.rejected.push({ index, problem: { code: r.error.code, reason: r.error.reason }, decoder: r.error.decoder });
      out.consumed = index + 1;
      continue;
    }
    if (opts.align && r.value.observations.length) {
      let newest = -Infinity;
      for (const o of r.value.observations) newest = Math.max(newest, eventTimeOf(o));
      if (limitMs === Infinity) limitMs = Math.min(opts.align.lowMs, eventTimeOf(r.value.observations[0]!)) + opts.align.aheadMs;
      if (newest > limitMs) break;
    }
    out.consumed = index + 1;
    out.ignored += r.value.ignored;
    for (const obs of r.value.observations) {
      out.items.push({ obs, index });
      const ts = eventTimeOf(obs);
      if (ts > out.reachedMs) out.reachedMs = ts;
    }
  }
  return out;
}

/** Pre-aggregates observations per (service, window): a fresh aggregator per call. */
export function aggregateStep(
  observations: readonly Observation[],
  opts: AggregatorOptions,
): Pick<IngestStepResult, 'partials' | 'overflow' | 'refused'> {
  const aggregator = new WindowAggregator(opts);
  for (const o of observations) aggregator.add(o);
  return { partials: aggregator.drain(), overflow: aggregator.overflow, refused: { ...aggregator.refused } };
}

/**
 * decodeStep → (with `attribution`: the pod join, identity/attribution.ts, with no shared table:
 * only what this process learned; `final` releases everything held) → aggregateStep.
 * `observations` counts what was decoded; the partials hold what was released.
 */
export function ingestStep(
  records: readonly (string | Uint8Array | null)[],
  opts: IngestStepOptions & { attribution?: { attributor: Attributor; nowMs: number; final?: boolean } },
): IngestStepResult {
  const d = decodeStep(records, opts);
  let ready: Observation[] = d.items.map((x) => x.obs);
  const a = opts.attribution;
  if (a) {
    // Replay's clock is event time: this batch's newest counts.
    const now = Math.max(a.nowMs, d.reachedMs);
    const clock = Number.isFinite(now) ? now : 0;
    ready = a.attributor.offer(
      d.items.map((x) => ({ obs: x.obs, source: opts.source })),
      clock,
    ).ready;
    ready.push(...a.attributor.expire(clock, a.final ?? false));
  }
  return {
    ...aggregateStep(ready, opts.aggregator),
    rejected: d.rejected,
    reachedMs: d.reachedMs,
    observations: d.items.length,
    ignored: d.ignored,
    consumed: d.consumed,
  };
}

export type Offered = 'accepted' | 'late' | 'refused' | 'duplicate' | 'watermark';

export interface DetectStepResult extends AdvanceResult {
  /** Per message, by index: what the engine did with it. */
  offered: Offered[];
  windowsClosed: number;
  late: number;
  /** Partials dropped as re-sent (their input range applied already). */
  duplicates: number;
  /** Windows closed before the watermark (a service past maxPendingWindows): data lost. */
  closedEarly: number;
}

export function detectStep(
  engine: DetectEngine,
  messages: readonly WindowsMessage[],
  opts: { nowMs?: number; final?: boolean } = {},
): DetectStepResult {
  const closedBefore = engine.stats.windows_closed;
  const earlyBefore = engine.stats.windows_closed_early;
  const offered: Offered[] = [];
  let late = 0;
  let duplicates = 0;
  for (const m of messages) {
    if (m.type === 'watermark') {
      engine.observeSource(m.source, m.eventTimeMs, m.caughtUp, m.atMs ?? opts.nowMs ?? 0);
      offered.push('watermark');
      continue;
    }
    const o = engine.offer(m.partial);
    if (o === 'late') late++;
    if (o === 'duplicate') duplicates++;
    offered.push(o);
  }
  const result = opts.final ? engine.flush() : engine.advance(opts.nowMs);
  return {
    ...result,
    offered,
    windowsClosed: engine.stats.windows_closed - closedBefore,
    late,
    duplicates,
    closedEarly: engine.stats.windows_closed_early - earlyBefore,
  };
}

/** Stage 2's processing-time close for a quiet partition (the idle timer): everything once the input is quiet. */
export function idleCloseStep(engine: DetectEngine, nowMs: number): DetectStepResult {
  return detectStep(engine, [], engine.inputQuiet(nowMs) ? { nowMs, final: true } : { nowMs });
}
