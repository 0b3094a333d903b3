/**
 * meshwatch's own topics, set up and checked at start-up. Creates the topics that do not
 * exist yet, the internal ones with the settings they need (windows: large records,
 * delete retention long enough to replay; dlq: large records), then reads back what the
 * broker really has: the `max.message.bytes` of windows, alerts and dlq (producers split
 * their requests to it) and the windows topic's partition count and cleanup policy.
 *
 * Outcome: the per-topic record limits, plus warnings for settings that work but are not
 * what meshwatch would choose (fewer bytes: more, smaller produce requests; a different
 * partition count than configured). Fails with MW_KAFKA_TOPIC_CONFIG, naming topic and
 * setting, where meshwatch cannot work: a compacted windows topic (compaction keeps one
 * partial per service and loses the rest) or one whose records cannot hold a partial.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { type Config } from '../../config/schema.js';
import { MeshwatchError } from '../../errors.js';
import { DLQ_TOPIC_CONFIG, ensureTopics } from './client.js';

// kafkajs is CommonJS: Node's ESM loader sees only some of its named exports (not this one).
const { ConfigResourceTypes } = kafkajs;

/** The broker's default `max.message.bytes` (1 MiB + record-batch overhead). */
export const BROKER_DEFAULT_MESSAGE_BYTES = 1024 * 1024 + 12;
/** Below this a windows topic cannot carry one service's partial with its edges. */
export const MIN_WINDOWS_MESSAGE_BYTES = 64 * 1024;

/** Settings of the internal windows topic: room for large hand-offs, replayable for a week. */
export const WINDOWS_TOPIC_CONFIG = {
  'max.message.bytes': String(8 * 1024 * 1024),
  'cleanup.policy': 'delete',
  'retention.ms': String(7 * 24 * 3600 * 1000),
};

export interface TopicCheck {
  /** `max.message.bytes` of windows, alerts and dlq as the broker has them. */
  topicBytes: Map<string, number>;
  windowsPartitions: number;
  /** Every raw input partition, `topic/partition` (stage 2 waits for each one's progress). */
  rawPartitions: string[];
  warnings: string[];
}

const fail = (topic: string, setting: string, why: string): MeshwatchError =>
  new MeshwatchError('MW_KAFKA_TOPIC_CONFIG', `topic ${topic}: ${setting} ${why}`);

/** Creates what is missing, then checks windows, alerts and dlq. */
export async function prepareTopics(
  admin: Admin,
  config: Readonly<Pick<Config, 'kafka'> & { ingest?: Pick<Config['ingest'], 'formats'> }>,
): Promise<TopicCheck> {
  const t = config.kafka.topics;
  const rawTopics = [
    ...new Set([...t.envoy, ...t.cadvisor, ...t.samples, ...t.als, ...t.prometheus, ...Object.keys(config.ingest?.formats ?? {})]),
  ];
  await ensureTopics(
    admin,
    [...rawTopics, t.windows, t.alerts, t.incidents, t.dlq],
    config.kafka.partitions,
    config.kafka.replicationFactor,
    {
      [t.windows]: WINDOWS_TOPIC_CONFIG,
      [t.dlq]: DLQ_TOPIC_CONFIG,
    },
  );
  const own = [...new Set([t.windows, t.alerts, t.incidents, t.dlq])];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: own.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes', 'cleanup.policy'] })),
  });
  const settings = new Map<string, Map<string, string>>();
  for (const r of described.resources) {
    settings.set(r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue])));
  }
  const warnings: string[] = [];
  const topicBytes = new Map<string, number>();
  for (const topic of own) {
    const raw = Number(settings.get(topic)?.get('max.message.bytes'));
    topicBytes.set(topic, Number.isFinite(raw) && raw > 0 ? raw : BROKER_DEFAULT_MESSAGE_BYTES);
  }

  const windowsBytes = topicBytes.get(t.windows) ?? BROKER_DEFAULT_MESSAGE_BYTES;
  if (windowsBytes < MIN_WINDOWS_MESSAGE_BYTES) {
    throw fail(t.windows, 'max.message.bytes', `is ${windowsBytes}; the windows topic needs at least ${MIN_WINDOWS_MESSAGE_BYTES}`);
  }
  const wanted = Number(WINDOWS_TOPIC_CONFIG['max.message.bytes']);
  if (windowsBytes < wanted) {
    warnings.push(
      `topic ${t.windows}: max.message.bytes is ${windowsBytes} (meshwatch creates it with ${wanted}); hand-offs are split into requests of at most that size`,
    );
  }
  const cleanup = settings.get(t.windows)?.get('cleanup.policy') ?? 'delete';
  if (cleanup.split(',').some((p) => p.trim() === 'compact')) {
    throw fail(t.windows, 'cleanup.policy', `is '${cleanup}'; compaction keeps one partial per service and loses the rest: use 'delete'`);
  }
  const dlqBytes = topicBytes.get(t.dlq) ?? BROKER_DEFAULT_MESSAGE_BYTES;
  const dlqWanted = Number(DLQ_TOPIC_CONFIG['max.message.bytes']);
  if (dlqBytes < dlqWanted) {
    warnings.push(
      `topic ${t.dlq}: max.message.bytes is ${dlqBytes} (meshwatch creates it with ${dlqWanted}); large dead letters keep a truncated payload`,
    );
  }

  const meta = await admin.fetchTopicMetadata({ topics: [t.windows] });
  const windowsPartitions = meta.topics[0]?.partitions.length ?? 0;
  if (windowsPartitions === 0) throw fail(t.windows, 'partitions', 'are not reported by the broker');
  if (windowsPartitions !== config.kafka.partitions) {
    warnings.push(
      `topic ${t.windows}: has ${windowsPartitions} partitions, config kafka.partitions is ${config.kafka.partitions}; ` +
        `stage 2 scales to ${windowsPartitions} consumers (changing the count of a topic in use moves services between partitions)`,
    );
  }
  const raw = await admin.fetchTopicMetadata({ topics: rawTopics });
  const rawPartitions = raw.topics.flatMap((m) => m.partitions.map((p) => `${m.name}/${p.partitionId}`));
  return { topicBytes, windowsPartitions, rawPartitions, warnings };
}
