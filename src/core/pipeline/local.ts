/**
 * The whole pipeline in one process with in-memory state: decode → event-time guard → pre-aggregate →
 * merge/close windows → detect → alerts. Replay, backtests and scenario tests use it;
 * the Kafka runtime runs the same pieces split into two stages.
 */
import { type Alert } from '../alert/schema.js';
import { type DecodeOptions } from '../decode/types.js';
import { type AggregatorBound, type AggregatorOptions } from '../window/aggregator.js';
import { type WindowsMessage } from '../window/partial-codec.js';
import { ServiceAdmission } from './admission.js';
import { DetectEngine, type EngineParams, type EngineStats, admissionParamsOf } from './engine.js';
import { DEFAULT_TIME_GUARD, EventTimeGuard, type TimeGuardParams } from '../window/time-guard.js';
import { detectStep, ingestStep } from './steps.js';
import { type Incident } from '../incident/schema.js';
import { MemoryStormLedger, withStorms } from '../incident/ledger.js';
import { DEFAULT_STORM, type StormParams } from '../incident/storm.js';
import { type AttributionParams, Attributor, DEFAULT_ATTRIBUTION } from '../identity/attribution.js';
import { eventTimeOf } from '../model.js';

export interface LocalPipelineOptions {
  aggregator: AggregatorOptions;
  engine: EngineParams;
  decode: Omit<DecodeOptions, 'hint'> & Partial<Pick<DecodeOptions, 'hint'>>;
  /** Records between hand-overs from pre-aggregation to the engine. */
  batchRecords: number;
  /** Event-time plausibility (default DEFAULT_TIME_GUARD). */
  eventTime?: TimeGuardParams;
  /** The storm guard (default DEFAULT_STORM). */
  storm?: StormParams;
  /** The pod join (default DEFAULT_ATTRIBUTION); its clock is the newest event time seen. */
  attribution?: AttributionParams;
}

export interface LocalStats {
  records: number;
  observations: number;
  ignored: number;
  rejected: Record<string, number>;
  /** Observations pre-aggregation refused, by bound. */
  refused: Record<AggregatorBound, number>;
  engine: EngineStats;
}

/** The single source replay reports its progress as. */
export const REPLAY_SOURCE = 'replay';

export class LocalPipeline {
  readonly engine: DetectEngine;
  private readonly timeGuard: EventTimeGuard;
  readonly attributor: Attributor;
  private pending: string[] = [];
  private newestTs = -Infinity;
  private readonly storms: MemoryStormLedger;
  private incidents: Incident[] = [];
  readonly stats: LocalStats;

  constructor(private readonly opts: LocalPipelineOptions) {
    this.engine = new DetectEngine(opts.engine, new ServiceAdmission(admissionParamsOf(opts.engine)));
    this.timeGuard = new EventTimeGuard(opts.eventTime ?? DEFAULT_TIME_GUARD);
    this.storms = new MemoryStormLedger(opts.storm ?? DEFAULT_STORM);
    this.attributor = new Attributor(opts.attribution ?? DEFAULT_ATTRIBUTION);
    this.stats = {
      records: 0,
      observations: 0,
      ignored: 0,
      rejected: {},
      refused: { partials: 0, edges: 0, containers: 0, metrics: 0 },
      engine: this.engine.stats,
    };
  }

  /** Feeds one record (a line of text); returns the alerts this made due, if any. */
  push(line: string): Alert[] {
    this.stats.records++;
    this.pending.push(line);
    if (this.pending.length >= this.opts.batchRecords) return this.handOver(false);
    return [];
  }

  /** Closes everything (end of input) and returns the remaining alerts. */
  end(): Alert[] {
    return this.handOver(true);
  }

  /** The incident documents (service incidents with their storm, then storm incidents) made due since the last call. */
  takeIncidents(): Incident[] {
    const out = this.incidents;
    this.incidents = [];
    return out;
  }

  /** Stage 1 then stage 2 on the pending records: the same step functions as the Kafka workers. */
  private handOver(final: boolean): Alert[] {
    const records = this.pending;
    this.pending = [];
    const s1 = ingestStep(records, {
      aggregator: this.opts.aggregator,
      decode: { hint: 'auto', ...this.opts.decode },
      guard: this.timeGuard,
      source: REPLAY_SOURCE,
      nowMs: undefined,
      attribution: { attributor: this.attributor, nowMs: this.newestTs, final },
    });
    this.stats.observations += s1.observations;
    this.stats.ignored += s1.ignored;
    for (const [bound, n] of Object.entries(s1.refused) as [AggregatorBound, number][]) this.stats.refused[bound] += n;
    for (const r of s1.rejected) this.stats.rejected[r.problem.code] = (this.stats.rejected[r.problem.code] ?? 0) + 1;
    // How far the input has got: the guard's reference once confirmed, so that a hostile first
    // record (2099) does not carry the watermark before the guard has undone it.
    const reached = this.timeGuard.confirmedReferenceOf(REPLAY_SOURCE);
    if (reached !== undefined && reached > this.newestTs) this.newestTs = reached;
    // Observations held for their pod's name keep their windows open.
    const held = this.attributor.floor(REPLAY_SOURCE, eventTimeOf);
    const markMs = held === undefined ? this.newestTs : Math.min(this.newestTs, held.ts - 1);
    // One ordered input: its event time is the watermark (minus the allowed lateness).
    const messages: WindowsMessage[] = s1.partials.map((partial) => ({ type: 'partial', partial }));
    messages.push({
      v: 1,
      type: 'watermark',
      source: REPLAY_SOURCE,
      eventTimeMs: Number.isFinite(markMs) ? markMs : null,
      caughtUp: false,
    });
    const step = detectStep(this.engine, messages, { final });
    if (step.incidents.length || step.closed.length) {
      const r = this.storms.step(step.closed, step.incidents);
      if (step.incidents.length) this.incidents.push(...withStorms(step.incidents, r));
    }
    return step.alerts;
  }
}
