/**
 * The state changelog topic on Kafka: its set-up (compacted, as many partitions as the windows
 * topic, so that changelog partition p holds the services of windows partition p: both are
 * keyed by service key with the default partitioner) and reading it back to its end.
 *
 * A read takes the partitions' end offsets first, then consumes from the beginning in a
 * throw-away consumer group (no commits; the group is deleted afterwards) until every partition
 * reached its end offset: records produced meanwhile are newer saves, which Redis has.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import { MeshwatchError } from '../../errors.js';
import { type ChangelogReadResult, type ChangelogReader } from '../../stores/changelog/types.js';
import { ensureTopics } from './client.js';

const { ConfigResourceTypes, Partitioners } = kafkajs;

/** kafkajs's default partitioner (murmur2, as Java's): the one that places the windows topic's records. */
const byKey = Partitioners.DefaultPartitioner();

/** Compacted (the last state per service is all a restore needs), with room for large states. */
export const CHANGELOG_TOPIC_CONFIG = {
  'cleanup.policy': 'compact',
  'max.message.bytes': String(8 * 1024 * 1024),
};

/**
 * Creates the changelog with the windows topic's partition count when it is missing; returns
 * warnings for an existing one that is not compacted (old states would be deleted by retention)
 * or that has a different partition count (a restore then reads every partition).
 */
export async function prepareChangelogTopic(
  admin: Admin,
  topic: string,
  windowsPartitions: number,
  replicationFactor: number,
): Promise<string[]> {
  await ensureTopics(admin, [topic], windowsPartitions, replicationFactor, { [topic]: CHANGELOG_TOPIC_CONFIG });
  const warnings: string[] = [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
  });
  const cleanup = described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
  if (!cleanup.split(',').some((p) => p.trim() === 'compact')) {
    warnings.push(
      `topic ${topic}: cleanup.policy is '${cleanup}'; the state changelog should be 'compact' (retention deletes the states of quiet services)`,
    );
  }
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const n = meta.topics[0]?.partitions.length ?? 0;
  if (n !== windowsPartitions) {
    warnings.push(`topic ${topic}: has ${n} partitions, the windows topic ${windowsPartitions}; a restore reads the whole changelog`);
  }
  return warnings;
}

export class KafkaChangelogReader implements ChangelogReader {
  private count: Promise<number> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    /** Prefix of the throw-away consumer groups (`<groupPrefix>-restore-<random>`). */
    private readonly groupPrefix: string,
  ) {}

  partitions(): Promise<number> {
    this.count ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const n = (await admin.fetchTopicOffsets(this.topic)).length;
        if (n === 0) throw new Error('no partitions reported');
        return n;
      } finally {
        await admin.disconnect();
      }
    })().catch((e: unknown) => {
      this.count = undefined;
      throw new MeshwatchError('MW_KAFKA_UNAVAILABLE', `state changelog ${this.topic}: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    });
    return this.count;
  }

  partitionOf(serviceKey: string, count: number): number {
    const partitionMetadata = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [],
      isr: [],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    return byKey({ topic: this.topic, partitionMetadata, message: { key: serviceKey, value: null } });
  }

  async read(
    partitions: readonly number[] | undefined,
    onPartition: (partition: number, latest: ReadonlyMap<string, string | null>) => Promise<void>,
  ): Promise<ChangelogReadResult> {
    try {
      return await this.readOnce(partitions, onPartition);
    } catch (e) {
      if (e instanceof MeshwatchError) throw e;
      throw new MeshwatchError(
        'MW_KAFKA_UNAVAILABLE',
        `reading the state changelog ${this.topic}: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  private async readOnce(
    partitions: readonly number[] | undefined,
    onPartition: (partition: number, latest: ReadonlyMap<string, string | null>) => Promise<void>,
  ): Promise<ChangelogReadResult> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const wanted = partitions ? new Set(partitions) : undefined;
      const pending = new Map<number, { end: bigint; latest: Map<string, string | null> }>();
      let read = 0;
      for (const o of await admin.fetchTopicOffsets(this.topic)) {
        if (wanted && !wanted.has(o.partition)) continue;
        if (BigInt(o.high) <= BigInt(o.low)) {
          await onPartition(o.partition, new Map());
          read++;
        } else pending.set(o.partition, { end: BigInt(o.high), latest: new Map() });
      }
      if (pending.size === 0) return { records: 0, partitions: read };

      let records = 0;
      const groupId = `${this.groupPrefix}-restore-${randomBytes(4).toString('hex')}`;
      const consumer = this.kafka.consumer({ groupId, maxBytesPerPartition: 8 * 1024 * 1024 });
      await consumer.connect();
      try {
        await new Promise<void>((resolve, reject) => {
          consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
          void consumer
            .subscribe({ topics: [this.topic], fromBeginning: true })
            .then(() =>
              consumer.run({
                autoCommit: false,
                eachBatch: async ({ batch, heartbeat }) => {
                  const st = pending.get(batch.partition);
                  if (!st) return;
                  for (const m of batch.messages) {
                    if (BigInt(m.offset) >= st.end) break;
                    records++;
                    if (m.key) st.latest.set(m.key.toString('utf8'), m.value ? m.value.toString('utf8') : null);
                  }
                  if (BigInt(batch.lastOffset()) + 1n < st.end) return heartbeat();
                  pending.delete(batch.partition);
                  // A failed write ends the read (kafkajs would re-deliver a batch already counted).
                  await onPartition(batch.partition, st.latest).then(() => {
                    read++;
                    if (pending.size === 0) resolve();
                  }, reject);
                },
              }),
            )
            .catch(reject);
        });
      } finally {
        await consumer.disconnect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
      }
      return { records, partitions: read };
    } finally {
      await admin.disconnect();
    }
  }
}
