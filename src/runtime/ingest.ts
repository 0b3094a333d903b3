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
 * Pod join (core/identity/attribution.ts): observations of a pod that no labelled source has
 * named yet are held (bounded, `identity.holdMs`) while the shared pod table (`PodTable`, Redis:
 * every instance sees every pod) is asked; the timer asks again and releases what expired. While
 * a source partition has observations held, its committed offset stays at the oldest held record
 * (a restart re-reads it) and its reported event time stays before the oldest held observation
 * (stage 2 keeps that window open). A pod table that fails is counted and only delays naming:
 * held observations leave under their fallback name after `holdMs`.
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
import {
  aggregatorOptionsOf,
  attributionParamsOf,
  clusterOfTopic,
  decodeOptionsOf,
  timeGuardParamsOf,
  topicDecodeOptionsOf,
  topicDecodersOf,
} from '../config/derive.js';
import { SeriesState } from '../core/decode/series-state.js';
import { type DecodeOptions, type DecoderHint } from '../core/decode/types.js';
import { Attributor } from '../core/identity/attribution.js';
import { type Observation, eventTimeOf } from '../core/model.js';
import { type WindowPartial } from '../core/window/partial.js';
import { MemoryPodTable } from '../stores/memory/pod-table.js';
import { type PodTable } from '../stores/types.js';
import { serviceKey } from '../core/model.js';
import { EventTimeGuard } from '../core/window/time-guard.js';
import { aggregateStep, decodeStep } from '../core/pipeline/steps.js';
import { type SourceWatermark } from '../core/window/partial-codec.js';
import { MeshwatchError } from '../errors.js';
import { log } from '../log.js';
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
  /** The pod join; `podTable` is shared by every ingest instance. */
  readonly attributor: Attributor;
  private readonly podTable: PodTable;
  /** Per source partition: the first offset not handled yet, and the offset committed. */
  private readonly readTo = new Map<string, bigint>();
  private readonly committedTo = new Map<string, bigint>();
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
    podTable?: PodTable,
  ) {
    this.timeGuard = new EventTimeGuard(timeGuardParamsOf(config));
    this.series = new SeriesState(config.ingest.maxSeries);
    for (const [topic, hint] of topicDecodersOf(config)) {
      this.hints.set(topic, hint);
      this.decodeOptions.set(topic, topicDecodeOptionsOf(config, topic, hint, this.series));
    }
    this.attributor = new Attributor(attributionParamsOf(config));
    this.podTable = podTable ?? new MemoryPodTable(config.identity.podTtlMs);
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
      const keep = new Set(next.keys());
      this.attributor.dropSources(keep);
      for (const source of [...this.readTo.keys()]) {
        if (keep.has(source)) continue;
        this.readTo.delete(source);
        this.committedTo.delete(source);
      }
      this.caughtUp.clear();
      for (const source of this.paused) this.resumeSource(source);
      const marks = [...next.keys()].map((source) => this.mark(source, false));
      void this.sendMarks(marks).catch((e: unknown) => this.countError(e));
    });
    await this.loop.run((batch) => this.onBatch(batch));
    const every = Math.max(500, this.config.ingest.flushIntervalMs);
    this.timer = setInterval(() => {
      void this.markIdle(every).catch((e: unknown) => this.countError(e));
      void this.loop.exclusive(() => this.releaseHeld()).catch((e: unknown) => this.countError(e));
    }, every);
  }

  /**
   * Drains: no partition is fetched any more, then the held observations the pod table can
   * name by now are sent and their offsets committed (a held one pins its partition's commit:
   * what the next instance re-reads from there it would send a second time), then the
   * consumer stops after the batch in hand.
   */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.loop
      .exclusive(async () => {
        for (const { topic, partition } of this.assigned.values()) this.loop.source.pause(topic, [partition]);
        await this.releaseHeld();
        const held = this.attributor.holding;
        if (held > 0)
          log().warn(`ingest stopping with ${held} observations held for their pod's name: the next instance reads them again`, { held });
      })
      .catch((e: unknown) => this.countError(e));
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
    const cluster = clusterOfTopic(this.config, batch.topic);
    const nowMs = Date.now();
    const aheadMs = this.config.ingest.alignWindows * this.config.window.ms;
    const step = decodeStep(
      batch.records.map((r) => r.value),
      {
        decode: {
          ...(this.decodeOptions.get(batch.topic) ?? decodeOptionsOf(this.config, hint)),
          ...(cluster === undefined ? {} : { cluster }),
        },
        guard: this.timeGuard,
        source,
        nowMs,
        align: { lowMs: this.slowestOther(source, false), aheadMs },
      },
    );
    const cut = step.consumed < batch.records.length;
    const dead: OutRecord[] = step.rejected.map((x) => this.loop.reject(batch, batch.records[x.index]!, x.problem, x.decoder));
    if (step.ignored) this.counters.add('dropped', step.ignored, { stage: 'ingest', reason: 'ignored' });
    const offered = step.items.map((x) => ({ obs: x.obs, source, offset: BigInt(batch.records[x.index]!.offset) }));
    const a = this.attributor.offer(offered, nowMs);
    const ready = [...a.ready, ...(await this.lookup(a.lookup, nowMs)), ...this.attributor.expire(nowMs)];
    await this.publish(a.publish);
    if (!batch.isCurrent()) return;

    // The first offset not handled: the batch's end, or where alignment cut it.
    const next = cut ? BigInt(batch.records[step.consumed]!.offset) : BigInt(batch.records[batch.records.length - 1]!.offset) + 1n;
    const reached = Math.max(this.reached.get(source) ?? -Infinity, step.reachedMs);
    if (Number.isFinite(reached)) this.reached.set(source, reached);
    this.readTo.set(source, next);
    const caughtUp = !cut && next >= BigInt(batch.highWatermark);
    this.caughtUp.set(source, caughtUp);
    // Each partial names the records it summarises: stage 2 drops it if a crash before the commit below re-sends it.
    const first = Number(batch.records[0]!.offset);
    const input = step.consumed > 0 ? { source, from: first, to: Number(next) - 1 } : undefined;
    const partials = this.aggregate(ready).map((p) => (input ? { ...p, input } : p));
    // One record list for the windows topic, so each partition gets the partials first and
    // then the source's watermark (sent in order, however many requests it takes).
    const windows: OutRecord[] = partials.map((p) => ({ key: serviceKey(p.service), value: JSON.stringify(p) }));
    windows.push(...this.markRecords([this.mark(source, caughtUp)]));
    const assigned = this.assigned.get(source);
    if (assigned) assigned.lastBatchAt = Date.now();
    await this.sink.send(this.config.kafka.topics.windows, windows);
    if (dead.length) await this.loop.sendDeadLetters(dead);
    this.counters.add('sent', partials.length, { stage: 'ingest' });
    // Up to the first record not handled (alignment may cut the batch), never past the oldest held one.
    await this.commitHeld(source);
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

  private aggregate(observations: readonly Observation[]): WindowPartial[] {
    const agg = aggregateStep(observations, aggregatorOptionsOf(this.config));
    if (agg.overflow) this.counters.add('dropped', agg.overflow, { stage: 'ingest', reason: 'MW_LIMIT_EXCEEDED' });
    return agg.partials;
  }

  /** Asks the shared pod table; a table that fails is counted and the observations stay held. */
  private async lookup(podKeys: readonly string[], nowMs: number): Promise<Observation[]> {
    if (podKeys.length === 0) return [];
    try {
      return this.attributor.known(await this.podTable.get(podKeys), nowMs);
    } catch (e: unknown) {
      this.countError(e);
      return [];
    }
  }

  private async publish(entries: Parameters<PodTable['put']>[0]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.podTable.put(entries);
    } catch (e: unknown) {
      this.countError(e);
    }
  }

  /** Commits a source partition up to its first record not handled, but never past its oldest held record. */
  private async commitHeld(source: string): Promise<void> {
    const readTo = this.readTo.get(source);
    if (readTo === undefined) return;
    const held = this.attributor.floor(source, eventTimeOf)?.offset;
    const to = held !== undefined && held < readTo ? held : readTo;
    const done = this.committedTo.get(source);
    if (done !== undefined && to <= done) return;
    const slash = source.lastIndexOf('/');
    await this.loop.commit(source.slice(0, slash), Number(source.slice(slash + 1)), to);
    this.committedTo.set(source, to);
  }

  /** Timer: asks the pod table again for held pods, releases what expired, sends it, commits what that freed. */
  private async releaseHeld(): Promise<void> {
    if (this.attributor.holding === 0) return;
    const nowMs = Date.now();
    const before = new Set(this.readTo.keys());
    const ready = [...(await this.lookup(this.attributor.waiting(), nowMs)), ...this.attributor.expire(nowMs)];
    if (ready.length === 0) return;
    const windows: OutRecord[] = this.aggregate(ready).map((p) => ({ key: serviceKey(p.service), value: JSON.stringify(p) }));
    windows.push(...this.markRecords([...before].map((source) => this.mark(source, false))));
    await this.sink.send(this.config.kafka.topics.windows, windows);
    for (const source of before) await this.commitHeld(source);
  }

  /** A source's event time, held before its oldest held observation (that window must stay open). */
  private mark(source: string, caughtUp: boolean): SourceWatermark {
    const reached = this.reached.get(source);
    const held = this.attributor.floor(source, eventTimeOf);
    const t = held === undefined || reached === undefined ? reached : Math.min(reached, held.ts - 1);
    return {
      v: 1,
      type: 'watermark',
      source,
      eventTimeMs: t === undefined ? null : t,
      caughtUp: caughtUp && held === undefined,
      atMs: Date.now(),
    };
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
