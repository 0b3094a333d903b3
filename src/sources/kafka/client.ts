/**
 * kafkajs client construction and topic set-up. Connects to the configured brokers;
 * use 127.0.0.1 rather than localhost (Node may resolve localhost to ::1).
 */
import { Kafka, type Admin, logLevel } from 'kafkajs';
import { type Config } from '../../config/schema.js';

export function kafkaOf(c: Pick<Config, 'kafka'>, clientSuffix = '', quiet = false): Kafka {
  return new Kafka({
    clientId: c.kafka.clientId + clientSuffix,
    brokers: [...c.kafka.brokers],
    // kafkajs logs retriable coordinator errors at ERROR while a fresh broker loads its
    // group metadata; `quiet` keeps them out of interactive output (they are retried).
    logLevel: quiet ? logLevel.NOTHING : logLevel.ERROR,
    retry: { initialRetryTime: 200, retries: 8 },
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
