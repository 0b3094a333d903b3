/**
 * Stage 2 (`--role detect`): stateful per partition of `meshwatch.windows`. For each
 * assigned partition an engine holds the services of that partition; their state is
 * loaded from the store the first time a service is seen (one batched load per Kafka
 * batch). Per batch: merge partials → close windows past the watermark → publish alerts
 * (acks=all) → save changed state → commit. The committed offset never passes a partial
 * whose window is still open, so a crash replays exactly what is not yet in the store;
 * windows already closed drop the replayed partials as late, and alert ids are
 * deterministic, so a replay never opens a second incident.
 *
 * A processing-time timer closes the open windows of partitions that went quiet.
 */
import { type Consumer, type EachBatchPayload, type Kafka, type Message, type Producer } from 'kafkajs';
import { type Config } from '../config/schema.js';
import { engineParamsOf } from '../config/derive.js';
import { type Alert, AlertSchema } from '../core/alert/schema.js';
import { ServiceAdmission } from '../core/pipeline/admission.js';
import { type AdvanceResult, DetectEngine, admissionParamsOf } from '../core/pipeline/engine.js';
import { emptyServiceState } from '../core/pipeline/service-state.js';
import { parseServiceKey, serviceKey } from '../core/model.js';
import { parseWindowsMessage } from '../core/window/partial-codec.js';
import { type WindowPartial } from '../core/window/partial.js';
import { deadLetterOf } from '../sinks/kafka/dlq.js';
import { type StateStore } from '../stores/types.js';
import { type Counters } from '../telemetry/counters.js';
import { Mutex } from './mutex.js';

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
  /** Called for every alert after Kafka acknowledged it (demo and tests listen here). */
  onAlert?: (a: Alert) => void;
  now?: () => number;
}

export class DetectWorker {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly partitions = new Map<number, PartitionState>();
  private readonly mutex = new Mutex();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** Every raw input partition (`topic/partition`): each must report before windows close. */
  private rawSources: string[] = [];
  /** One admission for every engine of this process: the bound on services is per process. */
  private readonly admission: ServiceAdmission;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: Readonly<Config>,
    private readonly store: StateStore,
    private readonly counters: Counters,
    private readonly opts: DetectWorkerOptions = {},
  ) {
    this.consumer = kafka.consumer({ groupId: config.kafka.groups.detect, maxBytesPerPartition: 4 * 1024 * 1024 });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.now = opts.now ?? Date.now;
    this.admission = new ServiceAdmission(admissionParamsOf(engineParamsOf(config)));
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
    await this.producer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const mine = new Set(e.payload.memberAssignment[this.config.kafka.topics.windows] ?? []);
      void this.mutex.run(() => {
        for (const p of [...this.partitions.keys()]) if (!mine.has(p)) this.partitions.delete(p);
        return Promise.resolve();
      });
    });
    await this.consumer.subscribe({ topics: [this.config.kafka.topics.windows], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.mutex.run(() => this.onBatch(payload)),
    });
    const tick = Math.max(100, Math.min(this.config.window.idleCloseMs / 4, 5000));
    this.timer = setInterval(() => void this.mutex.run(() => this.closeIdle()).catch(() => undefined), tick);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer.disconnect();
    await this.mutex.run(() => Promise.resolve());
    await this.producer.disconnect();
  }

  private partition(p: number): PartitionState {
    let s = this.partitions.get(p);
    if (!s) {
      s = {
        engine: new DetectEngine(engineParamsOf(this.config), this.admission),
        open: new Map(),
        next: -1n,
        committed: -1n,
        lastDataAt: this.now(),
      };
      for (const source of this.rawSources) s.engine.expectSource(source, this.now());
      this.partitions.set(p, s);
    }
    return s;
  }

  private async onBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const ps = this.partition(batch.partition);
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
      });
      dead.push({ key: m.key ?? null, value: JSON.stringify(letter), headers: { 'meshwatch-error': r.error.code } });
    }
    this.counters.add('received', batch.messages.length, { stage: 'detect' });

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

    const result = ps.engine.advance(this.now());
    await this.publish(result, dead);
    resolveOffset(batch.lastOffset());
    await this.commit(batch.topic, batch.partition, ps);
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
    for (const [partition, ps] of this.partitions) {
      if (ps.open.size === 0 || now - ps.lastDataAt < this.config.window.idleCloseMs) continue;
      const result = ps.engine.inputQuiet(now) ? ps.engine.flush() : ps.engine.advance(now);
      await this.publish(result, []);
      await this.commit(this.config.kafka.topics.windows, partition, ps);
    }
  }

  private async publish(result: AdvanceResult, dead: Message[]): Promise<void> {
    const alerts = result.alerts.map((a) => AlertSchema.parse(a));
    const topicMessages = [];
    if (alerts.length) {
      topicMessages.push({
        topic: this.config.kafka.topics.alerts,
        messages: alerts.map((a) => ({ key: serviceKey(a.service), value: JSON.stringify(a), headers: { 'meshwatch-schema': a.schema } })),
      });
    }
    if (dead.length) topicMessages.push({ topic: this.config.kafka.topics.dlq, messages: dead });
    if (topicMessages.length) await this.producer.sendBatch({ topicMessages, acks: -1 });
    for (const a of alerts) {
      this.counters.add('alerts', 1, { kind: a.kind, status: a.status });
      this.opts.onAlert?.(a);
    }
    await this.store.save(result.dirty);
  }

  private async commit(topic: string, partition: number, ps: PartitionState): Promise<void> {
    for (const k of [...ps.open.keys()]) {
      const bar = k.lastIndexOf('|');
      if (!ps.engine.isPending(k.slice(0, bar), Number(k.slice(bar + 1)))) ps.open.delete(k);
    }
    let upTo = ps.next;
    for (const o of ps.open.values()) if (o < upTo) upTo = o;
    if (upTo > ps.committed && upTo >= 0n) {
      await this.consumer.commitOffsets([{ topic, partition, offset: upTo.toString() }]);
      ps.committed = upTo;
    }
  }
}
