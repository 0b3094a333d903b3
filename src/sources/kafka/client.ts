/**
 * kafkajs client construction and topic set-up. Connects to the configured brokers;
 * use 127.0.0.1 rather than localhost (Node may resolve localhost to ::1).
 */
import { Kafka, type Admin, type KafkaConfig, logLevel, type SASLOptions } from 'kafkajs';
import { type Config } from '../../config/schema.js';
import { readSecretFile, tlsOptionsOf } from '../../config/tls.js';
import { kafkaLogCreator, kafkaLogLevelOf } from './log.js';

type KafkaSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;
const security = new WeakMap<object, KafkaSecurity>();

/**
 * kafkajs's `ssl` and `sasl` options for `kafka.ssl` / `kafka.sasl` (files read once per
 * configuration; MW_CONFIG_INVALID naming the field when one cannot be read).
 */
export function kafkaSecurityOf(k: Config['kafka']): KafkaSecurity {
  const known = security.get(k);
  if (known) return known;
  const out: KafkaSecurity = {};
  if (k.ssl) out.ssl = tlsOptionsOf('kafka.ssl', k.ssl);
  if (k.sasl) {
    const { mechanism, username } = k.sasl;
    const password = k.sasl.password ?? readSecretFile('kafka.sasl.passwordFile', k.sasl.passwordFile ?? '');
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  security.set(k, out);
  return out;
}

/** The secrets of the Kafka settings, for scrubbing client messages. */
export const kafkaSecretsOf = (k: Config['kafka']): string[] => {
  const sasl = kafkaSecurityOf(k).sasl;
  return sasl && 'password' in sasl && sasl.password ? [sasl.password] : [];
};

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
    ...kafkaSecurityOf(c.kafka),
    ...overrides,
  });
}

/** Creates the topics that do not exist yet (idempotent; existing ones are left as they are), and waits until the new ones are served. */
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
  for (const topic of missing) await untilServed(admin, topic);
}

/** How long a topic just created may take until its partitions answer offset requests. */
const SERVED_WITHIN_MS = 15_000;

/**
 * Waits until the topic's partitions answer an offset request: a broker that has just created a
 * topic (its leaders elected) may still answer "does not host this topic-partition" for a moment,
 * and the restore at start-up asks at once. Bounded: past SERVED_WITHIN_MS the last error stands.
 */
async function untilServed(admin: Admin, topic: string): Promise<void> {
  const deadline = Date.now() + SERVED_WITHIN_MS;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    try {
      await admin.fetchTopicOffsets(topic);
      return;
    } catch (e) {
      if (Date.now() + delay > deadline) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The dead-letter topic holds base64 copies of rejected messages, which can exceed 1 MB. */
export const DLQ_TOPIC_CONFIG = { 'max.message.bytes': String(8 * 1024 * 1024) };
