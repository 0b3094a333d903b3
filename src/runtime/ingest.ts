/**
 * Stage 1 (`--role ingest`): stateless. Runs the consume loop over the raw topics: per batch
 * the ingest step (src/core/pipeline/steps.ts: bytes size-checked, decoded with the topic's
 * decoder, event times guarded per source partition, pre-aggregated per (service, window)),
 * then the partials keyed by service go to `meshwatch.windows` (split into requests the
 * topic accepts) and rejected records to `meshwatch.dlq` (acks=all), then the batch's offsets
 * are committed: at least once, and a partial replayed after a crash merges in stage 2 like
 * any other (windows that already closed count it as late).
 *
 * Watermarks: stage 2 can only close a window once every raw source partition has moved
 * past it, so stage 1 reports, on every windows partition, each source partition's event
 * time after each batch; on assignment it registers its partitions (no time yet), and a
 * timer marks partitions that have no backlog as caught up (idle sources hold nothing open).
 */
import { type Config } from '../config/schema.js';
import { aggregatorOptionsOf, decodeOptionsOf, timeGuardParamsOf, topicDecodeOptionsOf, topicDecodersOf } from '../config/derive.js';
import { SeriesState } from '../core/decode/series-state.js';
import { type DecodeOptions, type DecoderHint } from '../core/decode/types.js';
import { serviceKey } from '../core/model.js';
import { EventTimeGuard } from '../core/window/time-guard.js';
import { ingestStep } from '../core/pipeline/steps.js';
import { type SourceWatermark } from '../core/window/partial-codec.js';
import { MeshwatchError } from '../errors.js';
import { type Counters } from '../telemetry/counters.js';
import { type ConsumeLoop } from './consume-loop.js';
import { type OutRecord, type RecordSink, type SourceBatch } from './ports.js';

export class IngestWorker {
  private readonly hints = new Map<string, DecoderHint>();
  private readonly decodeOptions = new Map<string, DecodeOptions>();
  /** Prometheus counters' last points (stage-1 state, bounded by ingest.maxSeries). */
  private readonly series: SeriesState;
  /** Event time reached per raw source partition (`topic/partition`). */
  private readonly reached = new Map<string, number>();
  /** Assigned raw partitions, and when each last had a batch (processing time). */
  private assigned = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** Event-time plausibility per source partition, across batches. */
  private readonly timeGuard: EventTimeGuard;

  constructor(
    private readonly loop: ConsumeLoop,
    private readonly sink: RecordSink,
    private readonly config: Readonly<Config>,
    private readonly counters: Counters,
    private readonly windowsPartitions: number,
  ) {
    this.timeGuard = new EventTimeGuard(timeGuardParamsOf(config));
    this.series = new SeriesState(config.ingest.maxSeries);
    for (const [topic, hint] of topicDecodersOf(config)) {
      this.hints.set(topic, hint);
      this.decodeOptions.set(topic, topicDecodeOptionsOf(config, topic, hint, this.series));
    }
  }

  /** The raw topics this worker reads (the source subscribes to them). */
  get topics(): string[] {
    return [...this.hints.keys()];
  }

  async start(): Promise<void> {
    this.loop.source.onAssignment((assignment) => {
      const next = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
      for (const [topic, partitions] of assignment) {
        if (!this.hints.has(topic)) continue;
        for (const partition of partitions) next.set(`${topic}/${partition}`, { topic, partition, lastBatchAt: 0 });
      }
      this.assigned = next;
      const marks = [...next.keys()].map((source) => this.mark(source, false));
      void this.sendMarks(marks).catch((e: unknown) => this.countError(e));
    });
    await this.loop.run((batch) => this.onBatch(batch));
    const every = Math.max(500, this.config.ingest.flushIntervalMs);
    this.timer = setInterval(() => void this.markIdle(every).catch((e: unknown) => this.countError(e)), every);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.loop.stop();
  }

  /** Timer and assignment reports are re-sent on the next tick: a failure is counted, not fatal. */
  private countError(e: unknown): void {
    this.counters.add('errors', 1, { stage: 'ingest', code: e instanceof MeshwatchError ? e.code : 'MW_KAFKA_UNAVAILABLE' });
  }

  private async onBatch(batch: SourceBatch): Promise<void> {
    if (!batch.isCurrent()) return;
    const hint = this.hints.get(batch.topic) ?? 'auto';
    const source = `${batch.topic}/${batch.partition}`;
    const step = ingestStep(
      batch.records.map((r) => r.value),
      {
        aggregator: aggregatorOptionsOf(this.config),
        decode: this.decodeOptions.get(batch.topic) ?? decodeOptionsOf(this.config, hint),
        guard: this.timeGuard,
        source,
        nowMs: Date.now(),
      },
    );
    const dead: OutRecord[] = step.rejected.map((x) => this.loop.reject(batch, batch.records[x.index]!, x.problem, x.decoder));
    if (step.ignored) this.counters.add('dropped', step.ignored, { stage: 'ingest', reason: 'ignored' });
    if (step.overflow) this.counters.add('dropped', step.overflow, { stage: 'ingest', reason: 'MW_LIMIT_EXCEEDED' });
    if (!batch.isCurrent()) return;

    const last = BigInt(batch.records[batch.records.length - 1]!.offset);
    const reached = Math.max(this.reached.get(source) ?? -Infinity, step.reachedMs);
    if (Number.isFinite(reached)) this.reached.set(source, reached);
    // One record list for the windows topic, so each partition gets the partials first and
    // then the source's watermark (sent in order, however many requests it takes).
    const windows: OutRecord[] = step.partials.map((p) => ({ key: serviceKey(p.service), value: JSON.stringify(p) }));
    windows.push(...this.markRecords([this.mark(source, last + 1n >= BigInt(batch.highWatermark))]));
    const a = this.assigned.get(source);
    if (a) a.lastBatchAt = Date.now();
    await this.sink.send(this.config.kafka.topics.windows, windows);
    if (dead.length) await this.loop.sendDeadLetters(dead);
    this.counters.add('sent', step.partials.length, { stage: 'ingest' });
    await this.loop.commit(batch.topic, batch.partition, last + 1n);
  }

  private mark(source: string, caughtUp: boolean): SourceWatermark {
    const t = this.reached.get(source);
    return { v: 1, type: 'watermark', source, eventTimeMs: t === undefined ? null : t, caughtUp, atMs: Date.now() };
  }

  private markRecords(marks: SourceWatermark[]): OutRecord[] {
    const out: OutRecord[] = [];
    for (const m of marks) {
      const value = JSON.stringify(m);
      for (let partition = 0; partition < this.windowsPartitions; partition++) out.push({ partition, key: m.source, value });
    }
    return out;
  }

  private async sendMarks(marks: SourceWatermark[]): Promise<void> {
    if (marks.length) await this.sink.send(this.config.kafka.topics.windows, this.markRecords(marks));
  }

  /**
   * Reports assigned partitions without a recent batch: caught up when their committed offset
   * reached the end, else not caught up — a backlog that built up since the last report (this
   * instance busy with other partitions) must hold stage 2's windows open, not let them close.
   */
  private async markIdle(quietMs: number): Promise<void> {
    const now = Date.now();
    const quiet = [...this.assigned.entries()].filter(([, a]) => now - a.lastBatchAt >= quietMs);
    if (quiet.length === 0) return;
    const positions = await this.loop.source.positions([...new Set(quiet.map(([, a]) => a.topic))]);
    const marks: SourceWatermark[] = [];
    for (const [source, a] of quiet) {
      const p = positions.find((x) => x.topic === a.topic && x.partition === a.partition);
      if (p) marks.push(this.mark(source, (p.committed ?? p.low) >= p.high));
    }
    await this.sendMarks(marks);
  }
}
