/**
 * Shared test helpers: run-scoped names (unique topics, groups, key prefixes per test),
 * config for the real local services, and a collector that consumes a topic.
 */
import { randomBytes } from 'node:crypto';
import { type Kafka, type Consumer } from 'kafkajs';
import { type Config } from '../src/config/schema.js';
import { type SyntheticMesh } from '../src/demo/mesh.js';
import { RedisStateStore, redisStoreOptionsOf } from '../src/stores/redis/store.js';
import { parseConfig } from '../src/config/load.js';
import { DLQ_TOPIC_CONFIG, ensureTopics, kafkaOf } from '../src/sources/kafka/client.js';
import { WINDOWS_TOPIC_CONFIG } from '../src/sources/kafka/topics.js';
import { CHANGELOG_TOPIC_CONFIG } from '../src/sources/kafka/changelog.js';
import { KafkaAlertSink } from '../src/sinks/kafka/alerts.js';
import { BoundedProducer } from '../src/sinks/kafka/produce.js';

/** The same settings as scripts/stack.sh and the CLI: KAFKA_PORT and REDIS_URL. */
export const BROKERS = [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`];
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const uniqueId = (label: string): string => `${label}-${randomBytes(4).toString('hex')}`;

export function testConfig(run: string, overrides: Record<string, unknown> = {}): Readonly<Config> {
  const base = {
    kafka: {
      brokers: BROKERS,
      clientId: `mw-${run}`,
      topics: {
        envoy: [`${run}.envoy`],
        cadvisor: [`${run}.stats`],
        samples: [`${run}.samples`],
        windows: `${run}.windows`,
        alerts: `${run}.alerts`,
        incidents: `${run}.incidents`,
        dlq: `${run}.dlq`,
        changelog: `${run}.changelog`,
      },
      groups: { ingest: `${run}-ingest`, detect: `${run}-detect` },
      partitions: 2,
      fromBeginning: true,
    },
    redis: { url: REDIS_URL, keyPrefix: `mwtest-${run}`.toLowerCase() },
    window: { ms: 10_000, allowedLatenessWindows: 1, idleCloseMs: 1500 },
    detection: { warmupWindows: 12 },
  };
  return parseConfig(deepMerge(base, overrides));
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)
        ? deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export const testKafka = (run: string): Kafka => kafkaOf({ kafka: { brokers: BROKERS, clientId: `mw-test-${run}` } } as Config);

/** Consumes a topic from the beginning into an array, until stopped. */
export class Collector<T = unknown> {
  readonly items: { key: string | null; value: T; offset: string; partition: number; headers: Record<string, string> }[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly parse: (s: string) => T = (s) => JSON.parse(s) as T,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.kafka.consumer({ groupId: uniqueId('collector') });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: ({ message, partition }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = v.toString();
        this.items.push({
          key: message.key ? message.key.toString() : null,
          value: this.parse(message.value?.toString('utf8') ?? ''),
          offset: message.offset,
          partition,
          headers,
        });
        return Promise.resolve();
      },
    });
    return this;
  }

  values(): T[] {
    return this.items.map((i) => i.value);
  }

  async waitFor(pred: (items: T[]) => boolean, timeoutMs = 60_000, what = 'condition'): Promise<T[]> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (pred(this.values())) return this.values();
      await sleep(100);
    }
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what} on ${this.topic}; have ${this.items.length} messages: ${JSON.stringify(this.values()).slice(0, 2000)}`,
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** A Redis store under the test's key prefix; `cleanups` empties the prefix and closes it. */
export async function redisStoreFor(config: Readonly<Config>, cleanups: (() => Promise<void>)[]): Promise<RedisStateStore> {
  const store = new RedisStateStore(redisStoreOptionsOf(config));
  await store.connect();
  cleanups.push(async () => {
    await store.clear(config.redis.keyPrefix);
    await store.close();
  });
  return store;
}

/** Produces windows [from, to) of a synthetic mesh to the config's first envoy and cadvisor topics (on the shared broker unless `kafka` says otherwise). */
export async function produceMeshWindows(
  run: string,
  config: Readonly<Config>,
  mesh: SyntheticMesh,
  baseMs: number,
  from: number,
  to: number,
  kafka: Kafka = testKafka(run),
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  for (let i = from; i < to; i++) {
    const w = mesh.window(baseMs, i);
    await producer.sendBatch({
      topicMessages: [
        { topic: config.kafka.topics.envoy[0]!, messages: w.envoy.map((value) => ({ value })) },
        { topic: config.kafka.topics.cadvisor[0]!, messages: w.cadvisor.map((value) => ({ value })) },
      ],
    });
  }
  await producer.disconnect();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Creates every topic of a test config up front (consumers then never race topic creation). */
export async function createTopics(config: Readonly<Config>, kafka: Kafka = testKafka(config.kafka.clientId)): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const t = config.kafka.topics;
  const raw = [...t.envoy, ...t.cadvisor, ...t.samples, ...t.als, ...t.prometheus, ...Object.keys(config.ingest.formats)];
  await ensureTopics(admin, [...new Set([...raw, t.windows, t.alerts, t.incidents, t.dlq, t.changelog])], config.kafka.partitions, 1, {
    [t.dlq]: DLQ_TOPIC_CONFIG,
    [t.windows]: WINDOWS_TOPIC_CONFIG,
    [t.changelog]: CHANGELOG_TOPIC_CONFIG,
  });
  await admin.disconnect();
}

/**
 * Writes alerts to a config's alerts topic as stage 2 does (idempotent producer, keyed by
 * service), for tests of what reads that topic; the producer is disconnected in `cleanups`.
 */
export async function alertsWriter(kafka: Kafka, config: Readonly<Config>, cleanups: (() => Promise<void>)[]): Promise<KafkaAlertSink> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  return new KafkaAlertSink(
    new BoundedProducer(producer, { topicBytes: new Map(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 }),
    config.kafka.topics.alerts,
  );
}
