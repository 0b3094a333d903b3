/**
 * kafkajs client construction and topic set-up. Connects to the configured brokers;
 * use 127.0.0.1 rather than localhost (Node may resolve localhost to ::1).
 */
import { Kafka, type Admin, type KafkaConfig, logLevel } from 'kafkajs';
import { type Config } from '../../config/schema.js';
import { kafkaLogCreator, kafkaLogLevelOf } from './log.js';

/**
 * A kafkajs client for the configured brokers. Its own log lines go through
 * kafkaLogCreator (all of them at logLevel debug, only consumer crashes otherwise);
 * `quiet` silences them entirely (interactive demo). `overrides` replace any client
 * option (the start-up probe bounds retries and timeouts to its deadline).
 */
export function kafkaOf(
  c: Pick<Config, 'kafka'> & Partial<Pick<Config, 'log'>>,
  clientSuffix = '',
  quiet = false,
  overrides: Partial<KafkaConfig> = {},
): Kafka {
  const mode = c.log?.level === 'debug' ? 'debug' : 'info';
  return new Kafka({
    clientId: c.kafka.clientId + clientSuffix,
    brokers: [...c.kafka.brokers],
    logLevel: quiet ? logLevel.NOTHING : kafkaLogLevelOf(mode),
    logCreator: kafkaLogCreator({ mode }),
    retry: { initialRetryTime: 200, retries: 8 },
    ...overrides,
  });
}

/** Creates the topics that do not exist yet (idempotent; existing ones are left as they are). */
export async function ensureTopics(
  admin: Admin,
  topics: readonly string[],
  partitions: number,
  replicationFactor: number,
  configEntries: Record<string, Record<string, string>> = {},
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor,
      configEntries: Object.entries(configEntries[topic] ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
}

/** The dead-letter topic holds base64 copies of rejected messages, which can exceed 1 MB. */
export const DLQ_TOPIC_CONFIG = { 'max.message.bytes': String(8 * 1024 * 1024) };
