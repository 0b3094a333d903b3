/**
 * Stage 1 (`--role ingest`): stateless. Consumes the raw topics, decodes each message
 * (the topic says which decoder), pre-aggregates per (service, window) and produces the
 * partials keyed by service to `meshwatch.windows`; undecodable messages go to
 * `meshwatch.dlq`. Per batch: produce partials and dead letters (acks=all), then commit
 * the batch's offsets — at least once, and a partial replayed after a crash merges in
 * stage 2 like any other (windows that already closed count it as late).
 *
 * Watermarks: stage 2 can only close a window once every raw source partition has moved
 * past it, so stage 1 reports, on every windows partition, each source partition's event
 * time after each batch; on assignment it registers its partitions (no time yet), and a
 * timer marks partitions that have no backlog as caught up (idle sources hold nothing open).
 */
import { type Admin, type Consumer, type EachBatchPayload, type Kafka, type Message, type Producer } from 'kafkajs';
import { type Config } from '../config/schema.js';
import { aggregatorOptionsOf, decodeOptionsOf } from '../config/derive.js';
import { decodeBytes } from '../core/decode/index.js';
import { type DecoderHint } from '../core/decode/types.js';
import { eventTimeOf, serviceKey } from '../core/model.js';
import { type SourceWatermark } from '../core/window/partial-codec.js';
import { WindowAggregator } from '../core/window/aggregator.js';
import { MeshwatchError } from '../errors.js';
import { deadLetterOf } from '../sinks/kafka/dlq.js';
import { type Counters } from '../telemetry/counters.js';

export class IngestWorker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly hints = new Map<string, DecoderHint>();
  private windowsPartitions = 1;
  /** Event time reached per raw source partition (`topic/partition`). */
  private readonly reached = new Map<string, number>();
  /** Assigned raw partitions, and when each last had a batch (processing time). */
  private assigned = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
  private timer: NodeJS.Timeout | undefined;
  /** One admin client for the worker's life (metadata at start, offsets on the idle timer). */
  private readonly admin: Admin;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Readonly<Config>,
    private readonly counters: Counters,
  ) {
    this.consumer = kafka.consumer({ groupId: config.kafka.groups.ingest, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.admin = kafka.admin();
    const t = config.kafka.topics;
    for (const topic of t.envoy) this.hints.set(topic, 'envoy');
    for (const topic of t.cadvisor) this.hints.set(topic, 'cadvisor');
    for (const topic of t.samples) this.hints.set(topic, 'sample');
  }

  async start(): Promise<void> {
    await this.admin.connect();
    const meta = await this.admin.fetchTopicMetadata({ topics: [this.config.kafka.topics.windows] });
    this.windowsPartitions = meta.topics[0]?.partitions.length ?? 1;
    await this.producer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const next = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) next.set(`${topic}/${partition}`, { topic, partition, lastBatchAt: 0 });
      }
      this.assigned = next;
      const marks = [...next.keys()].map((source) => this.mark(source, false));
      void this.sendMarks(marks).catch(() => undefined);
    });
    await this.consumer.subscribe({ topics: [...this.hints.keys()], fromBeginning: this.config.kafka.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.onBatch(payload),
    });
    const every = Math.max(500, this.config.ingest.flushIntervalMs);
    this.timer = setInterval(() => void this.markIdle(every).catch(() => undefined), every);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.disconnect();
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const aggregator = new WindowAggregator(aggregatorOptionsOf(this.config));
    const hint = this.hints.get(batch.topic) ?? 'auto';
    const dead: Message[] = [];
    const source = `${batch.topic}/${batch.partition}`;
    let reached = this.reached.get(source) ?? -Infinity;
    const opts = decodeOptionsOf(this.config, hint);
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) return;
      const r = decodeBytes(m.value, opts);
      if (r.ok) {
        for (const o of r.value.observations) {
          aggregator.add(o);
          const ts = eventTimeOf(o);
          if (ts > reached) reached = ts;
        }
        if (r.value.ignored) this.counters.add('dropped', r.value.ignored, { stage: 'ingest', reason: 'ignored' });
        continue;
      }
      if (this.config.ingest.onDecodeError === 'fail') {
        throw new MeshwatchError(r.error.code, `${batch.topic}/${batch.partition}@${m.offset}: ${r.error.reason}`);
      }
      this.counters.add('dropped', 1, { stage: 'ingest', reason: r.error.code });
      const letter = deadLetterOf({
        problem: r.error,
        decoder: r.error.decoder,
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        stage: 'ingest',
      });
      dead.push({ key: m.key ?? null, value: JSON.stringify(letter), headers: { 'meshwatch-error': r.error.code } });
    }
    this.counters.add('received', batch.messages.length, { stage: 'ingest' });
    if (aggregator.overflow) this.counters.add('dropped', aggregator.overflow, { stage: 'ingest', reason: 'MW_LIMIT_EXCEEDED' });

    const partials = aggregator.drain();
    const last = batch.lastOffset();
    if (Number.isFinite(reached)) this.reached.set(source, reached);
    // One message list for the windows topic, so each partition gets the partials first and
    // then the source's watermark (separate lists for one topic are not ordered).
    const windows: Message[] = partials.map((p) => ({ key: serviceKey(p.service), value: JSON.stringify(p) }));
    windows.push(...this.markMessages([this.mark(source, BigInt(last) + 1n >= BigInt(batch.highWatermark))]).messages);
    const topicMessages = [{ topic: this.config.kafka.topics.windows, messages: windows }];
    const a = this.assigned.get(source);
    if (a) a.lastBatchAt = Date.now();
    if (dead.length) topicMessages.push({ topic: this.config.kafka.topics.dlq, messages: dead });
    await this.producer.sendBatch({ topicMessages, acks: -1 });
    this.counters.add('sent', partials.length, { stage: 'ingest' });

    resolveOffset(last);
    await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    await heartbeat();
  }

  private mark(source: string, caughtUp: boolean): SourceWatermark {
    const t = this.reached.get(source);
    return { v: 1, type: 'watermark', source, eventTimeMs: t === undefined ? null : t, caughtUp };
  }

  private markMessages(marks: SourceWatermark[]): { topic: string; messages: Message[] } {
    const messages: Message[] = [];
    for (const m of marks) {
      const value = JSON.stringify(m);
      for (let partition = 0; partition < this.windowsPartitions; partition++) messages.push({ partition, key: m.source, value });
    }
    return { topic: this.config.kafka.topics.windows, messages };
  }

  private async sendMarks(marks: SourceWatermark[]): Promise<void> {
    if (marks.length) await this.producer.sendBatch({ topicMessages: [this.markMessages(marks)], acks: -1 });
  }

  /** Marks assigned partitions without a recent batch as caught up when their committed offset reached the end. */
  private async markIdle(quietMs: number): Promise<void> {
    const now = Date.now();
    const quiet = [...this.assigned.entries()].filter(([, a]) => now - a.lastBatchAt >= quietMs);
    if (quiet.length === 0) return;
    const topics = [...new Set(quiet.map(([, a]) => a.topic))];
    const committed = await this.admin.fetchOffsets({ groupId: this.config.kafka.groups.ingest, topics });
    const marks: SourceWatermark[] = [];
    for (const topic of topics) {
      const ends = await this.admin.fetchTopicOffsets(topic);
      const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
      for (const [source, a] of quiet) {
        if (a.topic !== topic) continue;
        const o = ends.find((x) => x.partition === a.partition);
        const c = BigInt(done.find((p) => p.partition === a.partition)?.offset ?? '-1');
        const at = c < 0n ? BigInt(o?.low ?? '0') : c;
        if (at >= BigInt(o?.high ?? '0')) marks.push(this.mark(source, true));
      }
    }
    await this.sendMarks(marks);
  }
}
