/**
 * The whole pipeline in one process with in-memory state: decode → event-time guard →
 * pre-aggregate → merge/close windows → detect → alerts. Replay, backtests and scenario tests
 * use it; the Kafka runtime runs the same pieces split into two stages.
 *
 * Every observation's event time passes the guard as source "replay" (no processing time: only
 * the jump bound vs the input's recent event time applies). A record with any observation
 * refused is rejected whole (`stats.rejected.MW_EVENT_TIME_SKEW`) and contributes nothing: it
 * neither moves the watermark nor reaches a window.
 */
import { type Alert } from '../alert/schema.js';
import { decode } from '../decode/index.js';
import { type DecodeOptions } from '../decode/types.js';
import { type Observation, eventTimeOf } from '../model.js';
import { type Problem } from '../result.js';
import { type AggregatorBound, type AggregatorOptions, WindowAggregator } from '../window/aggregator.js';
import { DEFAULT_TIME_GUARD, EventTimeGuard, type TimeGuardParams } from '../window/time-guard.js';
import { ServiceAdmission } from './admission.js';
import { DetectEngine, type EngineParams, type EngineStats, admissionParamsOf } from './engine.js';

export interface LocalPipelineOptions {
  aggregator: AggregatorOptions;
  engine: EngineParams;
  decode: Omit<DecodeOptions, 'hint'> & Partial<Pick<DecodeOptions, 'hint'>>;
  /** Records between hand-overs from pre-aggregation to the engine. */
  batchRecords: number;
  /** Event-time plausibility (default DEFAULT_TIME_GUARD). */
  eventTime?: TimeGuardParams;
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

export class LocalPipeline {
  private readonly aggregator: WindowAggregator;
  private readonly timeGuard: EventTimeGuard;
  readonly engine: DetectEngine;
  private pendingRecords = 0;
  private newestTs = -Infinity;
  readonly stats: LocalStats;

  constructor(private readonly opts: LocalPipelineOptions) {
    this.aggregator = new WindowAggregator(opts.aggregator);
    this.engine = new DetectEngine(opts.engine, new ServiceAdmission(admissionParamsOf(opts.engine)));
    this.timeGuard = new EventTimeGuard(opts.eventTime ?? DEFAULT_TIME_GUARD);
    this.stats = { records: 0, observations: 0, ignored: 0, rejected: {}, refused: this.aggregator.refused, engine: this.engine.stats };
  }

  /** Feeds one record (a line of text); returns the alerts this made due, if any. */
  push(line: string): Alert[] {
    this.stats.records++;
    const r = decode(line, { hint: 'auto', ...this.opts.decode });
    const problem = r.ok ? this.timeProblem(r.value.observations) : r.error;
    if (problem !== undefined) {
      this.stats.rejected[problem.code] = (this.stats.rejected[problem.code] ?? 0) + 1;
    } else if (r.ok) {
      this.stats.ignored += r.value.ignored;
      for (const o of r.value.observations) {
        this.stats.observations++;
        this.aggregator.add(o);
        const ts = eventTimeOf(o);
        if (ts > this.newestTs) this.newestTs = ts;
      }
    }
    if (++this.pendingRecords >= this.opts.batchRecords) return this.handOver(false);
    return [];
  }

  private timeProblem(observations: readonly Observation[]): Problem | undefined {
    for (const o of observations) {
      const p = this.timeGuard.check('replay', eventTimeOf(o), undefined);
      if (p !== undefined) return p;
    }
    return undefined;
  }

  /** Closes everything (end of input) and returns the remaining alerts. */
  end(): Alert[] {
    return this.handOver(true);
  }

  private handOver(final: boolean): Alert[] {
    this.pendingRecords = 0;
    for (const p of this.aggregator.drain()) this.engine.offer(p);
    // One ordered input: its event time is the watermark (minus the allowed lateness).
    this.engine.observeSource('replay', this.newestTs, false);
    return (final ? this.engine.flush() : this.engine.advance()).alerts;
  }
}
