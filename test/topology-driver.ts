/**
 * Topology test driver (after Kafka Streams' TopologyTestDriver): runs meshwatch's real
 * stage workers (IngestWorker, DetectWorker, their ConsumeLoops) over in-memory topics,
 * with the real wire codecs (partials and watermarks as JSON on the windows topic), the
 * memory state store, a memory alert sink and a fake clock (vitest fake timers drive the
 * workers' timers and Date.now). No broker, no Redis.
 *
 * In-memory semantics: one consumer group per source; a batch is up to `batchRecords`
 * records of one partition; commits and rewinds behave as the Kafka source's (a rewind
 * during a batch discards the rest of that batch's reading; a paused partition is not read
 * until resumed); a handler error that is
 * retriable re-reads the batch, any other is recorded as fatal and stops that source.
 */
import { topicDecodersOf } from '../src/config/derive.js';
import { vi } from 'vitest';
import { type Config } from '../src/config/schema.js';
import { type Alert } from '../src/core/alert/schema.js';
import { fnv1a64 } from '../src/core/alert/id.js';
import { MeshwatchError } from '../src/errors.js';
import { ConsumeLoop } from '../src/runtime/consume-loop.js';
import { DetectWorker } from '../src/runtime/detect.js';
import { IngestWorker } from '../src/runtime/ingest.js';
import {
  type AlertSink,
  type OutRecord,
  type PartitionPosition,
  type RecordSink,
  type RecordSource,
  type SourceBatch,
} from '../src/runtime/ports.js';
import { MemoryAlertSink } from '../src/sinks/memory/alerts.js';
import { MemoryStateStore } from '../src/stores/memory/store.js';
import { type StateStore } from '../src/stores/types.js';
import { Counters } from '../src/telemetry/counters.js';

interface StoredRecord {
  key: string | null;
  value: string;
  timestamp: string;
}

/** Topics as arrays of partitions of records. */
export class MemoryTopics implements RecordSink {
  readonly topics = new Map<string, StoredRecord[][]>();
  private roundRobin = 0;

  create(topic: string, partitions: number): void {
    if (!this.topics.has(topic))
      this.topics.set(
        topic,
        Array.from({ length: partitions }, () => []),
      );
  }

  partitionsOf(topic: string): StoredRecord[][] {
    const t = this.topics.get(topic);
    if (!t) throw new Error(`no topic ${topic}`);
    return t;
  }

  maxRecordBytes(): number {
    return 8 * 1024 * 1024;
  }

  send(topic: string, records: readonly OutRecord[]): Promise<void> {
    const parts = this.partitionsOf(topic);
    for (const r of records) {
      const p =
        r.partition ?? (r.key === null ? this.roundRobin++ % parts.length : Number(BigInt(`0x${fnv1a64(r.key)}`) % BigInt(parts.length)));
      parts[p]!.push({ key: r.key, value: r.value, timestamp: String(Date.now()) });
    }
    return Promise.resolve();
  }
}

class MemoryRecordSource implements RecordSource {
  private handler: ((b: SourceBatch) => Promise<void>) | undefined;
  private readonly listeners: ((a: ReadonlyMap<string, readonly number[]>) => void)[] = [];
  private readonly position = new Map<string, number>();
  private readonly committed = new Map<string, number>();
  private readonly rewound = new Set<string>();
  private readonly paused = new Set<string>();
  private running = false;

  constructor(
    private readonly topics: MemoryTopics,
    private readonly subscribed: readonly string[],
    private readonly batchRecords: number,
    private readonly onFatal: (e: unknown) => void,
    private readonly failCommit: (topic: string, partition: number) => boolean = () => false,
  ) {}

  onAssignment(listener: (a: ReadonlyMap<string, readonly number[]>) => void): void {
    this.listeners.push(listener);
  }

  run(handler: (b: SourceBatch) => Promise<void>): Promise<void> {
    this.handler = handler;
    this.running = true;
    const assigned = new Map(this.subscribed.map((t) => [t, this.topics.partitionsOf(t).map((_, i) => i)]));
    for (const l of this.listeners) l(assigned);
    return Promise.resolve();
  }

  /** Hands one batch of every partition with unread records to the handler; false when nothing was unread. */
  async pump(): Promise<boolean> {
    let worked = false;
    for (const topic of this.subscribed) {
      const parts = this.topics.partitionsOf(topic);
      for (let partition = 0; partition < parts.length; partition++) {
        if (!this.running || !this.handler) return worked;
        const id = `${topic}/${partition}`;
        if (this.paused.has(id)) continue;
        const records = parts[partition]!;
        const from = this.position.get(id) ?? this.committed.get(id) ?? 0;
        if (from >= records.length) continue;
        const upTo = Math.min(records.length, from + this.batchRecords);
        worked = true;
        this.position.set(id, upTo);
        this.rewound.delete(id);
        const batch: SourceBatch = {
          topic,
          partition,
          records: records.slice(from, upTo).map((r, i) => ({
            offset: String(from + i),
            key: r.key === null ? null : Buffer.from(r.key),
            value: Buffer.from(r.value),
            timestamp: r.timestamp,
          })),
          highWatermark: String(records.length),
          isCurrent: () => this.running && !this.rewound.has(id),
          heartbeat: () => Promise.resolve(),
        };
        try {
          await this.handler(batch);
        } catch (e) {
          if ((e as { retriable?: unknown }).retriable === true) {
            if (!this.rewound.has(id)) this.position.set(id, from);
          } else {
            this.running = false;
            this.onFatal(e);
          }
        }
      }
    }
    return worked;
  }

  commit(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    if (this.failCommit(topic, partition)) {
      return Promise.reject(new MeshwatchError('MW_KAFKA_UNAVAILABLE', `commit ${topic}/${partition}: injected failure`));
    }
    this.committed.set(`${topic}/${partition}`, Number(nextOffset));
    return Promise.resolve();
  }

  rewind(topic: string, partition: number, offset: bigint): void {
    const id = `${topic}/${partition}`;
    this.position.set(id, Number(offset));
    this.rewound.add(id);
  }

  pause(topic: string, partitions: readonly number[]): void {
    for (const p of partitions) this.paused.add(`${topic}/${p}`);
  }

  resume(topic: string, partitions: readonly number[]): void {
    for (const p of partitions) this.paused.delete(`${topic}/${p}`);
  }

  /** Partitions paused now (`topic/partition`). */
  pausedNow(): string[] {
    return [...this.paused];
  }

  positions(topics: readonly string[]): Promise<PartitionPosition[]> {
    return Promise.resolve(
      topics.flatMap((topic) =>
        this.topics.partitionsOf(topic).map((records, partition) => {
          const c = this.committed.get(`${topic}/${partition}`);
          return { topic, partition, committed: c === undefined ? null : BigInt(c), low: 0n, high: BigInt(records.length) };
        }),
      ),
    );
  }

  stop(): Promise<void> {
    this.running = false;
    return Promise.resolve();
  }
}

export interface DriverOptions {
  /** Partitions of every raw topic and of the windows topic. */
  partitions?: number;
  batchRecords?: number;
  store?: StateStore;
  alertSink?: AlertSink;
  /** Fake clock start (ms since the epoch). */
  startMs?: number;
  /** Injected commit failures of stage 2's source: true fails that commit. */
  failCommit?: (topic: string, partition: number) => boolean;
}

export class TopologyDriver {
  readonly topics = new MemoryTopics();
  readonly counters = new Counters();
  readonly store: StateStore;
  readonly sink: AlertSink;
  readonly alerts: Alert[] = [];
  readonly fatal: unknown[] = [];
  private readonly sources: MemoryRecordSource[] = [];
  private ingest: IngestWorker | undefined;
  private detect: DetectWorker | undefined;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly opts: DriverOptions = {},
  ) {
    this.store = opts.store ?? new MemoryStateStore();
    this.sink = opts.alertSink ?? new MemoryAlertSink();
  }

  async start(): Promise<void> {
    vi.useFakeTimers({ now: this.opts.startMs ?? Date.now() });
    const t = this.config.kafka.topics;
    const n = this.opts.partitions ?? 1;
    const raw = [...topicDecodersOf(this.config).keys()];
    for (const topic of [...raw, t.windows, t.alerts, t.dlq]) this.topics.create(topic, n);
    const batch = this.opts.batchRecords ?? 500;
    const onFatal = (e: unknown): void => void this.fatal.push(e);

    const detectSource = new MemoryRecordSource(this.topics, [t.windows], batch, onFatal, this.opts.failCommit);
    const ingestSource = new MemoryRecordSource(this.topics, raw, batch, onFatal);
    this.sources.push(ingestSource, detectSource);
    const loop = (stage: 'ingest' | 'detect', source: RecordSource): ConsumeLoop =>
      new ConsumeLoop({
        stage,
        source,
        sink: this.topics,
        dlqTopic: t.dlq,
        onReject: stage === 'ingest' ? this.config.ingest.onDecodeError : 'dlq',
        counters: this.counters,
      });
    const rawPartitions = raw.flatMap((topic) => this.topics.partitionsOf(topic).map((_, p) => `${topic}/${p}`));
    this.detect = new DetectWorker(
      loop('detect', detectSource),
      this.sink,
      this.store,
      this.config,
      this.counters,
      rawPartitions,
      (e: MeshwatchError) => void this.fatal.push(e),
      { onAlert: (a) => void this.alerts.push(a), now: () => Date.now(), backoffMs: { first: 0, max: 0 } },
    );
    this.ingest = new IngestWorker(loop('ingest', ingestSource), this.topics, this.config, this.counters, n);
    await this.detect.start();
    await this.ingest.start();
  }

  /** Appends raw records to an input topic (round robin over its partitions). */
  async pipeInput(topic: string, values: readonly string[]): Promise<void> {
    await this.topics.send(
      topic,
      values.map((value) => ({ key: null, value })),
    );
  }

  /** Runs both stages until no partition has unread records. */
  async drain(): Promise<void> {
    for (let i = 0; i < 100_000; i++) {
      let worked = false;
      for (const s of this.sources) worked = (await s.pump()) || worked;
      if (!worked) return;
    }
    throw new Error('topology did not settle');
  }

  /** Moves the fake clock on in steps, firing the workers' timers and draining after each. */
  async advance(ms: number, stepMs = 250): Promise<void> {
    for (let done = 0; done < ms; done += stepMs) {
      await vi.advanceTimersByTimeAsync(stepMs);
      await this.drain();
    }
  }

  async stop(): Promise<void> {
    await this.ingest?.stop();
    await this.detect?.stop();
    vi.useRealTimers();
  }
}
