/**
 * Stage 2 (`--role detect`): stateful per partition of `meshwatch.windows`, run as a cache
 * over durable state (like a Kafka Streams task). For each assigned partition an engine
 * holds the services of that partition; their state is loaded from the store the first
 * time a service is seen (one batched load per Kafka batch). Per batch: merge partials →
 * close windows past the watermark → deliver alerts (AlertSink) → save changed state →
 * commit. The committed offset never passes a partial whose window is still open, so the
 * store plus the topic from the committed offset rebuild the in-memory state exactly.
 *
 * Failure: when a delivery, load, save or commit fails (in the batch path or the idle-close
 * path), the partition's in-memory engine is thrown away and the consumer seeks back to the
 * last committed offset; the re-read reloads state from the store and closes the same
 * windows again, producing the same alerts with the same ids. Alerts the sink already
 * acknowledged (a save that failed after a delivery) are remembered (bounded) and not
 * delivered twice. Re-reads back off exponentially per partition (200 ms … 5 s). A
 * permanent delivery error (not retriable) is fatal. Every (re)join of the group drops all
 * partitions' state too: kafkajs restarts fetching at the committed offsets then.
 *
 * A processing-time timer closes the open windows of partitions that went quiet.
 */
import { type Consumer, type EachBatchPayload, type Kafka, type Message, type Producer } from 'kafkajs';
import { type Config } from '../config/schema.js';
import { engineParamsOf } from '../config/derive.js';
import { type Alert, AlertSchema } from '../core/alert/schema.js';
import { type AdvanceResult, DetectEngine } from '../core/pipeline/engine.js';
import { emptyServiceState } from '../core/pipeline/service-state.js';
import { parseServiceKey, serviceKey } from '../core/model.js';
import { parseWindowsMessage } from '../core/window/partial-codec.js';
import { type WindowPartial } from '../core/window/partial.js';
import { MeshwatchError } from '../errors.js';
import { deadLetterOf, payloadBytesFor } from '../sinks/kafka/dlq.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { type TopicCheck } from '../sources/kafka/topics.js';
import { KafkaAlertSink } from '../sinks/kafka/alerts.js';
import { type StateStore } from '../stores/types.js';
import { type Counters } from '../telemetry/counters.js';
import { type OnFatal, atPosition, reportCrashes } from './consume-loop.js';
import { Mutex } from './mutex.js';
import { type AlertSink } from './ports.js';

interface PartitionState {
  engine: DetectEngine;
  /** Partials still in open windows: `service|windowStart` → lowest offset. */
  open: Map<string, bigint>;
  /** Next offset to commit once nothing older is open. */
  next: bigint;
  committed: bigint;
  lastDataAt: number;
}

export interface DetectWorkerOptions {
  /** Called for every alert after the sink acknowledged it (demo and tests listen here). */
  onAlert?: (a: Alert) => void;
  /** Where alerts go (default: the alerts topic). */
  alertSink?: AlertSink;
  now?: () => number;
}

/** Alerts acknowledged by the sink, remembered so a re-read does not deliver them twice. */
const DELIVERED_MEMORY = 50_000;
const BACKOFF_MS = { first: 200, max: 5000 };

const deliveredKey = (a: Alert): string => `${a.id}|${a.status}|${a.window.start}`;

export class DetectWorker {
  private readonly consumer: Consumer;
  private readonly kafkaProducer: Producer;
  private readonly producer: BoundedProducer;
  private readonly sink: AlertSink;
  private readonly partitions = new Map<number, PartitionState>();
  /** Where a partition's re-read starts: its last commit, or the first offset read since assignment. */
  private readonly resumeAt = new Map<number, bigint>();
  /** Consecutive resets per partition (back-off). */
  private readonly failures = new Map<number, number>();
  private readonly delivered = new Set<string>();
  private readonly mutex = new Mutex();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Every raw input partition (`topic/partition`): each must report before windows close. */
  private rawSources: string[] = [];

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Readonly<Config>,
    private readonly store: StateStore,
    private readonly counters: Counters,
    private readonly topics: TopicCheck,
    private readonly onFatal: OnFatal,
    private readonly opts: DetectWorkerOptions = {},
  ) {
    this.consumer = kafka.consumer({ groupId: config.kafka.groups.detect, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.kafkaProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.producer = new BoundedProducer(
      this.kafkaProducer,
      {
        topicBytes: topics.topicBytes,
        defaultTopicBytes: topics.topicBytes.get(config.kafka.topics.alerts) ?? 1024 * 1024,
        maxRequestBytes: config.kafka.maxRequestBytes,
      },
      (topic) => this.counters.add('produce_requests', 1, { stage: 'detect', topic: topic === config.kafka.topics.dlq ? 'dlq' : 'alerts' }),
    );
    this.sink = opts.alertSink ?? new KafkaAlertSink(this.producer, config.kafka.topics.alerts);
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<void> {
    const t = this.config.kafka.topics;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [...t.envoy, ...t.cadvisor, ...t.samples] });
      this.rawSources = meta.topics.flatMap((m) => m.partitions.map((p) => `${m.name}/${p.partitionId}`));
    } finally {
      await admin.disconnect();
    }
    await this.kafkaProducer.connect();
    await this.consumer.connect();
    reportCrashes(this.consumer, 'detect', this.counters, this.onFatal);
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      // kafkajs fetches from the committed offsets after every join: state rebuilt from there.
      void this.mutex.run(() => {
        this.partitions.clear();
        this.resumeAt.clear();
        return Promise.resolve();
      });
    });
    await this.consumer.subscribe({ topics: [t.windows], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) =>
        this.mutex.run(() =>
          atPosition(payload.batch.topic, payload.batch.partition, payload.batch.firstOffset(), () => this.onBatch(payload)),
        ),
    });
    const tick = Math.max(100, Math.min(this.config.window.idleCloseMs / 4, 5000));
    this.timer = setInterval(() => void this.mutex.run(() => this.closeIdle()).catch((e: unknown) => this.fatal(e)), tick);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.disconnect();
    await this.mutex.run(() => Promise.resolve());
    await this.sink.close();
    await this.kafkaProducer.disconnect();
  }

  private partition(p: number, firstOffset: bigint): PartitionState {
    let s = this.partitions.get(p);
    if (!s) {
      if (!this.resumeAt.has(p)) this.resumeAt.set(p, firstOffset);
      const now = this.now();
      s = {
        engine: new DetectEngine(engineParamsOf(this.config)),
        open: new Map(),
        next: -1n,
        committed: this.resumeAt.get(p) ?? -1n,
        lastDataAt: now,
      };
      for (const source of this.rawSources) s.engine.expectSource(source, now);
      this.partitions.set(p, s);
    }
    return s;
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    const first = batch.messages[0];
    if (!first || !isRunning() || isStale()) return;
    const ps = this.partition(batch.partition, BigInt(first.offset));
    const dead: Message[] = [];
    const partials: { p: WindowPartial; offset: bigint }[] = [];
    for (const m of batch.messages) {
      const r = parseWindowsMessage(m.value ? m.value.toString('utf8') : '');
      if (r.ok) {
        if (r.value.type === 'partial') partials.push({ p: r.value.partial, offset: BigInt(m.offset) });
        else ps.engine.observeSource(r.value.source, r.value.eventTimeMs, r.value.caughtUp, this.now());
        continue;
      }
      this.counters.add('dropped', 1, { stage: 'detect', reason: r.error.code });
      const letter = deadLetterOf({
        problem: r.error,
        decoder: 'partial',
        topic: batch.topic,
        partition: batch.partition,
        offset: m.offset,
        timestamp: m.timestamp,
        key: m.key,
        value: m.value,
        stage: 'detect',
        maxPayloadBytes: payloadBytesFor(this.topics.topicBytes.get(this.config.kafka.topics.dlq) ?? 1024 * 1024),
      });
      dead.push({ key: m.key ?? null, value: JSON.stringify(letter), headers: { 'meshwatch-error': r.error.code } });
    }
    this.counters.add('received', batch.messages.length, { stage: 'detect' });

    const done = await this.guarded(batch.partition, async () => {
      const missing = ps.engine.missing(partials.map((x) => x.p));
      if (missing.length) {
        const loaded = await this.store.load(missing);
        for (const k of missing) ps.engine.adopt(loaded.get(k) ?? emptyServiceState(parseServiceKey(k)));
      }
      const lateBefore = ps.engine.stats.late_dropped;
      for (const { p, offset } of partials) {
        if (ps.engine.offer(p) !== 'accepted') continue;
        const k = `${serviceKey(p.service)}|${p.windowStart}`;
        const o = ps.open.get(k);
        if (o === undefined || offset < o) ps.open.set(k, offset);
      }
      this.counters.add('dropped', ps.engine.stats.late_dropped - lateBefore, { stage: 'detect', reason: 'MW_WINDOW_LATE' });
      ps.next = BigInt(batch.lastOffset()) + 1n;
      if (partials.length) ps.lastDataAt = this.now();

      const closedBefore = ps.engine.stats.windows_closed;
      const result = ps.engine.advance(this.now());
      this.counters.add('windows', ps.engine.stats.windows_closed - closedBefore, { stage: 'detect' });
      if (dead.length) await this.producer.send([{ topic: this.config.kafka.topics.dlq, messages: dead }]);
      await this.publish(result);
      await this.commit(batch.topic, batch.partition, ps);
    });
    if (!done) return; // state dropped, the consumer re-reads from the last commit
    resolveOffset(batch.lastOffset());
    await heartbeat();
  }

  /**
   * Processing-time close, for partitions with open windows and no data for idleCloseMs: the
   * watermark moves on with processing time (sources that went idle or silent stop holding
   * windows), and once the whole input is quiet the last windows close too. A partition that
   * merely waits on a slow ingest (its sources not caught up, or caught up moments ago and
   * still reporting) keeps its windows: closing them would drop that ingest's partials as late.
   */
  private async closeIdle(): Promise<void> {
    const now = this.now();
    for (const [partition, ps] of [...this.partitions]) {
      if (ps.open.size === 0 || now - ps.lastDataAt < this.config.window.idleCloseMs) continue;
      await this.guarded(partition, async () => {
        const closedBefore = ps.engine.stats.windows_closed;
        const result = ps.engine.inputQuiet(now) ? ps.engine.flush() : ps.engine.advance(now);
        this.counters.add('windows', ps.engine.stats.windows_closed - closedBefore, { stage: 'detect' });
        await this.publish(result);
        await this.commit(this.config.kafka.topics.windows, partition, ps);
      });
    }
  }

  /**
   * Runs one step of a partition; a retriable failure drops the partition's state and seeks
   * back to its last commit (after a back-off), answering false; a permanent one is thrown.
   */
  private async guarded(partition: number, step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      this.failures.delete(partition);
      return true;
    } catch (e) {
      const retriable = e instanceof MeshwatchError ? e.retriable : (e as { retriable?: unknown } | null)?.retriable === true;
      if (!retriable) throw e;
      const code = e instanceof MeshwatchError ? e.code : 'MW_KAFKA_UNAVAILABLE';
      this.counters.add('errors', 1, { stage: 'detect', code });
      this.counters.add('resets', 1, { stage: 'detect' });
      this.partitions.delete(partition);
      const n = (this.failures.get(partition) ?? 0) + 1;
      this.failures.set(partition, n);
      await sleep(Math.min(BACKOFF_MS.first * 2 ** (n - 1), BACKOFF_MS.max));
      const at = this.resumeAt.get(partition);
      if (at !== undefined && at >= 0n) {
        this.consumer.seek({ topic: this.config.kafka.topics.windows, partition, offset: at.toString() });
      }
      return false;
    }
  }

  /** Delivers the closed windows' alerts (those not acknowledged before), then saves the changed state. */
  private async publish(result: AdvanceResult): Promise<void> {
    const alerts = result.alerts.map((a) => AlertSchema.parse(a)).filter((a) => !this.delivered.has(deliveredKey(a)));
    if (alerts.length) {
      const d = await this.sink.deliver(alerts);
      if (!d.ok) throw d.retriable ? d.error : new MeshwatchError(d.error.code, d.error.message, { cause: d.error, retriable: false });
      for (const a of alerts) {
        this.remember(deliveredKey(a));
        this.counters.add('alerts', 1, { kind: a.kind, status: a.status });
        this.opts.onAlert?.(a);
      }
    }
    await this.store.save(result.dirty);
  }

  private remember(key: string): void {
    this.delivered.add(key);
    if (this.delivered.size > DELIVERED_MEMORY) {
      const oldest = this.delivered.values().next();
      if (!oldest.done) this.delivered.delete(oldest.value);
    }
  }

  private async commit(topic: string, partition: number, ps: PartitionState): Promise<void> {
    for (const k of [...ps.open.keys()]) {
      const bar = k.lastIndexOf('|');
      if (!ps.engine.isPending(k.slice(0, bar), Number(k.slice(bar + 1)))) ps.open.delete(k);
    }
    let upTo = ps.next;
    for (const o of ps.open.values()) if (o < upTo) upTo = o;
    if (upTo > ps.committed && upTo >= 0n) {
      try {
        await this.consumer.commitOffsets([{ topic, partition, offset: upTo.toString() }]);
      } catch (cause) {
        throw new MeshwatchError('MW_KAFKA_UNAVAILABLE', `commit ${topic}/${partition}@${upTo}: ${String(cause)}`, {
          cause,
          retriable: true,
        });
      }
      ps.committed = upTo;
      this.resumeAt.set(partition, upTo);
    }
  }

  private fatal(e: unknown): void {
    this.onFatal(
      e instanceof MeshwatchError
        ? e
        : new MeshwatchError('MW_KAFKA_CONSUMER_CRASHED', `detect idle close: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
    );
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
