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
import { aggregatorOptionsOf } from '../config/derive.js';
import { decode } from '../core/decode/index.js';
import { type DecoderHint } from '../core/decode/types.js';
import { eventTimeOf, serviceKey } from '../core/model.js';
import { type SourceWatermark } from '../core/window/partial-codec.js';
import { WindowAggregator } from '../core/window/aggregator.js';
import { MeshwatchError } from '../errors.js';
import { deadLetterOf, payloadBytesFor } from '../sinks/kafka/dlq.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { type TopicCheck } from '../sources/kafka/topics.js';
import { type Counters } from '../telemetry/counters.js';
import { type OnFatal, atPosition, reportCrashes } from './consume-loop.js';

export class IngestWorker {
  private readonly consumer: Consumer;
  private readonly kafkaProducer: Producer;
  private readonly producer: BoundedProducer;
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
    private readonly topics: TopicCheck,
    private readonly onFatal: OnFatal,
  ) {
    this.consumer = kafka.consumer({ groupId: config.kafka.groups.ingest, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.kafkaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = new BoundedProducer(
      this.kafkaProducer,
      {
        topicBytes: topics.topicBytes,
        defaultTopicBytes: topics.topicBytes.get(config.kafka.topics.windows) ?? 1024 * 1024,
        maxRequestBytes: config.kafka.maxRequestBytes,
      },
      (topic) =>
        this.counters.add('produce_requests', 1, { stage: 'ingest', topic: topic === config.kafka.topics.dlq ? 'dlq' : 'windows' }),
    );
    this.admin = kafka.admin();
    this.windowsPartitions = topics.windowsPartitions;
    const t = config.kafka.topics;
    for (const topic of t.envoy) this.hints.set(topic, 'envoy');
    for (const topic of t.cadvisor) this.hints.set(topic, 'cadvisor');
    for (const topic of t.samples) this.hints.set(topic, 'sample');
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.kafkaProducer.connect();
    await this.consumer.connect();
    reportCrashes(this.consumer, 'ingest', this.counters, this.onFatal);
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const next = new Map<string, { topic: string; partition: number; lastBatchAt: number }>();
      for (const [topic, partitions] of Object.entries(e.payload.memberAssignment)) {
        for (const partition of partitions) next.set(`${topic}/${partition}`, { topic, partition, lastBatchAt: 0 });
      }
      this.assigned = next;
      const marks = [...next.keys()].map((source) => this.mark(source, false));
      void this.sendMarks(marks).catch((e: unknown) => this.countError(e));
    });
    await this.consumer.subscribe({ topics: [...this.hints.keys()], fromBeginning: this.config.kafka.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        atPosition(payload.batch.topic, payload.batch.partition, payload.batch.firstOffset(), () => this.onBatch(payload)),
    });
    const every = Math.max(500, this.config.ingest.flushIntervalMs);
    this.timer = setInterval(() => void this.markIdle(every).catch((e: unknown) => this.countError(e)), every);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.disconnect();
    await this.kafkaProducer.disconnect();
    await this.admin.disconnect();
  }

  /** Timer and assignment reports are re-sent on the next tick: a failure is counted, not fatal. */
  private countError(e: unknown): void {
    this.counters.add('errors', 1, { stage: 'ingest', code: e instanceof MeshwatchError ? e.code : 'MW_KAFKA_UNAVAILABLE' });
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const aggregator = new WindowAggregator(aggregatorOptionsOf(this.config));
    const hint = this.hints.get(batch.topic) ?? 'auto';
    const dead: Message[] = [];
    const source = `${batch.topic}/${batch.partition}`;
    let reached = this.reached.get(source) ?? -Infinity;
    const opts = { hint, maxBytes: this.config.ingest.maxMessageBytes };
    for (const m of batch.messages) {
      if (!isRunning() || isStale()) return;
      const r = decode(m.value ? m.value.toString('utf8') : '', opts);
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
        maxPayloadBytes: payloadBytesFor(this.topics.topicBytes.get(this.config.kafka.topics.dlq) ?? 1024 * 1024),
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
    await this.producer.send(topicMessages);
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
    if (marks.length) await this.producer.send([this.markMessages(marks)]);
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
