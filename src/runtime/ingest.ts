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
 *
 * Input alignment (as Kafka Streams and Flink align their inputs): one fetch of a sparse
 * topic can span hours of event time where one of a dense topic spans minutes, and stage 2
 * holds every window open until the slowest source has passed it. So a source partition may
 * run at most `ingest.alignWindows` windows ahead of the slowest other partition this
 * instance reads that still has a backlog: a batch is handled up to that bound, the rest is
 * re-read later (the consumer seeks back to the first record not handled), and a partition
 * that got ahead is paused until the others catch up. A partition not yet read (its time
 * unknown) keeps the ones ahead paused until it reports; a caught-up one holds nothing back.
 */
import { type Config } from '../config/schema.js';
import { aggregatorOptionsOf, decodeOptionsOf, timeGuardParamsOf } from '../config/derive.js';
import { type DecoderHint } from '../core/decode/types.js';
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
  /** Event time reached per raw source partition (`topic/partition`). */
  private readonly reached = new Map<string, number>();
  /** Assigned raw partitions, and when each last had a batch (processing time). */
  private assigned = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** Event-time plausibility per source partition, across batches. */
  private readonly timeGuard: EventTimeGuard;
  /** Whether each assigned source partition had no backlog at its last batch or report. */
  private readonly caughtUp = new Map<string, boolean>();
  /** Source partitions paused because they ran ahead of the others. */
  private readonly paused = new Set<string>();

  constructor(
    private readonly loop: ConsumeLoop,
    private readonly sink: RecordSink,
    private readonly config: Readonly<Config>,
    private readonly counters: Counters,
    private readonly windowsPartitions: number,
  ) {
    this.timeGuard = new EventTimeGuard(timeGuardParamsOf(config));
    const t = config.kafka.topics;
    for (const topic of t.envoy) this.hints.set(topic, 'envoy');
    for (const topic of t.cadvisor) this.hints.set(topic, 'cadvisor');
    for (const topic of t.samples) this.hints.set(topic, 'sample');
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
      this.caughtUp.clear();
      for (const source of this.paused) this.resumeSource(source);
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
    const aheadMs = this.config.ingest.alignWindows * this.config.window.ms;
    const step = ingestStep(
      batch.records.map((r) => r.value),
      {
        aggregator: aggregatorOptionsOf(this.config),
        decode: decodeOptionsOf(this.config, hint),
        guard: this.timeGuard,
        source,
        nowMs: Date.now(),
        align: { lowMs: this.slowestOther(source, false), aheadMs },
      },
    );
    const cut = step.consumed < batch.records.length;
    const dead: OutRecord[] = step.rejected.map((x) => this.loop.reject(batch, batch.records[x.index]!, x.problem, x.decoder));
    if (step.ignored) this.counters.add('dropped', step.ignored, { stage: 'ingest', reason: 'ignored' });
    if (step.overflow) this.counters.add('dropped', step.overflow, { stage: 'ingest', reason: 'MW_LIMIT_EXCEEDED' });
    if (!batch.isCurrent()) return;

    // The first offset not handled: the batch's end, or where alignment cut it.
    const next = cut ? BigInt(batch.records[step.consumed]!.offset) : BigInt(batch.records[batch.records.length - 1]!.offset) + 1n;
    const reached = Math.max(this.reached.get(source) ?? -Infinity, step.reachedMs);
    if (Number.isFinite(reached)) this.reached.set(source, reached);
    const caughtUp = !cut && next >= BigInt(batch.highWatermark);
    this.caughtUp.set(source, caughtUp);
    // One record list for the windows topic, so each partition gets the partials first and
    // then the source's watermark (sent in order, however many requests it takes).
    const windows: OutRecord[] = step.partials.map((p) => ({ key: serviceKey(p.service), value: JSON.stringify(p) }));
    windows.push(...this.markRecords([this.mark(source, caughtUp)]));
    const a = this.assigned.get(source);
    if (a) a.lastBatchAt = Date.now();
    await this.sink.send(this.config.kafka.topics.windows, windows);
    if (dead.length) await this.loop.sendDeadLetters(dead);
    this.counters.add('sent', step.partials.length, { stage: 'ingest' });
    if (step.consumed > 0) await this.loop.commit(batch.topic, batch.partition, next);
    if (cut) {
      this.loop.rewind(batch.topic, batch.partition, next);
      // Ahead of a source that is unknown yet or more than half the bound behind: wait for it.
      if (this.slowestOther(source, true) < reached - aheadMs / 2) this.pauseSource(source);
    }
    this.resumeCaughtUp(aheadMs);
  }

  /**
   * Event time of the slowest other assigned source partition with a backlog (Infinity: none).
   * `unknownHolds`: one not read yet counts as -Infinity (pausing waits for it); otherwise it is
   * left out (a bound from it would let nothing through before it reports).
   */
  private slowestOther(source: string, unknownHolds: boolean): number {
    let low = Infinity;
    for (const other of this.assigned.keys()) {
      if (other === source || this.caughtUp.get(other) === true) continue;
      const t = this.reached.get(other);
      if (t === undefined) {
        if (unknownHolds) return -Infinity;
        continue;
      }
      if (t < low) low = t;
    }
    return low;
  }

  private pauseSource(source: string): void {
    const a = this.assigned.get(source);
    if (!a || this.paused.has(source)) return;
    this.paused.add(source);
    this.counters.add('paused', 1, { stage: 'ingest', reason: 'alignment' });
    this.loop.source.pause(a.topic, [a.partition]);
  }

  private resumeSource(source: string): void {
    if (!this.paused.delete(source)) return;
    const [topic, partition] = [source.slice(0, source.lastIndexOf('/')), Number(source.slice(source.lastIndexOf('/') + 1))];
    this.loop.source.resume(topic, [partition]);
  }

  /** Resumes the paused partitions the others have caught up with (within half the bound). */
  private resumeCaughtUp(aheadMs: number): void {
    for (const source of [...this.paused]) {
      if (!this.assigned.has(source)) {
        this.paused.delete(source);
        continue;
      }
      const t = this.reached.get(source) ?? -Infinity;
      if (this.slowestOther(source, true) >= t - aheadMs / 2) this.resumeSource(source);
    }
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
      if (!p) continue;
      const caughtUp = !this.paused.has(source) && (p.committed ?? p.low) >= p.high;
      this.caughtUp.set(source, caughtUp);
      marks.push(this.mark(source, caughtUp));
    }
    this.resumeCaughtUp(this.config.ingest.alignWindows * this.config.window.ms);
    await this.sendMarks(marks);
  }
}
