/**
 * The RecordSource over a kafkajs consumer group: eachBatch with manual resolution and
 * commits (autoCommit off), so an offset is committed only when the runtime says its
 * effects are durable. `rewind` is kafkajs's seek: batches of that partition already
 * fetched are skipped (isStale) and reading restarts at the offset. A batch is resolved
 * after its handler returns unless it was rewound meanwhile.
 *
 * Failure: handler errors are re-raised naming topic/partition/offset with their code,
 * cause and retriability (kafkajs's own errors pass unchanged: it handles rebalances).
 * kafkajs retries retriable ones (re-reading the batch) and restarts the consumer after
 * too many; a CRASH it will not restart from is reported once to `onFatal` as a
 * MeshwatchError carrying the original MW code (else MW_KAFKA_CONSUMER_CRASHED).
 */
import { type Admin, type Consumer, type Kafka } from 'kafkajs';
import { MeshwatchError } from '../../errors.js';
import { type PartitionPosition, type RecordSource, type SourceBatch } from '../../runtime/ports.js';
import { type Counters, type Stage } from '../../telemetry/counters.js';

export interface KafkaSourceOptions {
  groupId: string;
  topics: readonly string[];
  fromBeginning: boolean;
  stage: Stage;
  counters: Counters;
  onFatal: (e: MeshwatchError) => void;
  maxBytesPerPartition?: number;
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** The longest a fetch waits for data (Kafka's `fetch.max.wait.ms` default). */
const FETCH_MAX_WAIT_MS = 500;

export class KafkaRecordSource implements RecordSource {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private adminConnected = false;
  private readonly assignmentListeners: ((a: ReadonlyMap<string, readonly number[]>) => void)[] = [];
  /**
   * Where a rewound partition must resume. kafkajs fetches ahead of the handler, so a batch
   * fetched before the seek can still arrive after it; only one starting at this offset is read.
   */
  private readonly rewoundTo = new Map<string, bigint>();

  constructor(
    kafka: Kafka,
    private readonly opts: KafkaSourceOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 4 * 1024 * 1024,
      // A fetch waits at most this long for data (kafkajs' default is 5 s, Kafka's consumers use
      // 500 ms): a stop waits for the fetch in flight, so this bounds how long a drain idles.
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    this.admin = kafka.admin();
  }

  onAssignment(listener: (a: ReadonlyMap<string, readonly number[]>) => void): void {
    this.assignmentListeners.push(listener);
  }

  async run(handler: (batch: SourceBatch) => Promise<void>): Promise<void> {
    await this.consumer.connect();
    this.reportCrashes();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.rewoundTo.clear();
      const assigned = new Map(Object.entries(e.payload.memberAssignment));
      for (const l of this.assignmentListeners) l(assigned);
    });
    await this.consumer.subscribe({ topics: [...this.opts.topics], fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }) => {
        if (!isRunning() || isStale()) return;
        const tp = `${batch.topic}/${batch.partition}`;
        const want = this.rewoundTo.get(tp);
        if (want !== undefined) {
          // Fetched before the rewind took effect (kafkajs fetches ahead): skip it; the next
          // fetch starts at the rewind's offset.
          if (fetchedAt(batch) !== want) return;
          this.rewoundTo.delete(tp);
        }
        const messages = batch.messages;
        const first = messages[0];
        if (!first) return;
        const view: SourceBatch = {
          topic: batch.topic,
          partition: batch.partition,
          records: messages.map((m) => ({ offset: m.offset, key: m.key ?? null, value: m.value, timestamp: m.timestamp })),
          highWatermark: batch.highWatermark,
          isCurrent: () => isRunning() && !isStale(),
          heartbeat,
        };
        await atPosition(batch.topic, batch.partition, first.offset, () => handler(view));
        if (!isStale()) resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
  }

  async commit(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]);
    } catch (cause) {
      throw new MeshwatchError('MW_KAFKA_UNAVAILABLE', `commit ${topic}/${partition}@${nextOffset}: ${describe(cause)}`, {
        cause,
        retriable: true,
      });
    }
  }

  rewind(topic: string, partition: number, offset: bigint): void {
    this.rewoundTo.set(`${topic}/${partition}`, offset);
    this.consumer.seek({ topic, partition, offset: offset.toString() });
  }

  pause(topic: string, partitions: readonly number[]): void {
    this.consumer.pause([{ topic, partitions: [...partitions] }]);
  }

  resume(topic: string, partitions: readonly number[]): void {
    this.consumer.resume([{ topic, partitions: [...partitions] }]);
  }

  async positions(topics: readonly string[]): Promise<PartitionPosition[]> {
    if (!this.adminConnected) {
      await this.admin.connect();
      this.adminConnected = true;
    }
    const committed = await this.admin.fetchOffsets({ groupId: this.opts.groupId, topics: [...topics] });
    const out: PartitionPosition[] = [];
    for (const topic of topics) {
      const ends = await this.admin.fetchTopicOffsets(topic);
      const done = committed.find((t) => t.topic === topic)?.partitions ?? [];
      for (const e of ends) {
        const c = BigInt(done.find((p) => p.partition === e.partition)?.offset ?? '-1');
        out.push({ topic, partition: e.partition, committed: c < 0n ? null : c, low: BigInt(e.low), high: BigInt(e.high) });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    if (this.adminConnected) await this.admin.disconnect();
  }

  private reportCrashes(): void {
    const { stage, counters, onFatal } = this.opts;
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      const cause: unknown = e.payload.error;
      // kafkajs wraps a handler's error (KafkaJSNonRetriableError, keeping its message): find ours.
      const code = meshwatchErrorIn(cause)?.code ?? 'MW_KAFKA_CONSUMER_CRASHED';
      counters.add('errors', 1, { stage, code });
      if (e.payload.restart) return;
      onFatal(
        new MeshwatchError(code, `${stage} consumer (group ${e.payload.groupId}) stopped: ${describe(cause)}`, { cause, retriable: false }),
      );
    });
  }
}

function meshwatchErrorIn(e: unknown): MeshwatchError | undefined {
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) if (x instanceof MeshwatchError) return x;
  return undefined;
}

/** The offset a kafkajs batch was fetched from (its `fetchedOffset`; not in kafkajs's types). */
function fetchedAt(batch: { fetchedOffset?: unknown; firstOffset(): string | null }): bigint {
  const at = batch.fetchedOffset;
  return BigInt(typeof at === 'string' || typeof at === 'number' ? at : (batch.firstOffset() ?? '-1'));
}

/** Runs a batch handler; its errors name the batch's position. */
async function atPosition<T>(topic: string, partition: number, firstOffset: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (cause) {
    const where = `${topic}/${partition}@${firstOffset}`;
    if (cause instanceof MeshwatchError) {
      if (cause.message.startsWith(`${topic}/${partition}@`)) throw cause; // names its record already
      throw new MeshwatchError(cause.code, `${where}: ${cause.message}`, { cause, retriable: cause.retriable });
    }
    // kafkajs's own errors (rebalances, coordinator moves) go back to kafkajs unchanged: it handles them.
    if (cause instanceof Error && cause.name.startsWith('KafkaJS')) throw cause;
    const retriable = (cause as { retriable?: unknown } | null)?.retriable === true;
    throw new MeshwatchError(retriable ? 'MW_KAFKA_UNAVAILABLE' : 'MW_KAFKA_CONSUMER_CRASHED', `${where}: ${describe(cause)}`, {
      cause,
      retriable,
    });
  }
}
