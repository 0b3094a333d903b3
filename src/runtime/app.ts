/**
 * Wires one meshwatch process: Kafka client, topics, state store and the workers of its
 * role (`all` runs both stages in one process, through the same topics).
 */
import { type Config } from '../config/schema.js';
import { type Alert } from '../core/alert/schema.js';
import { DLQ_TOPIC_CONFIG, ensureTopics, kafkaOf } from '../sources/kafka/client.js';
import { RedisStateStore, type RedisStoreOptions, redisStoreOptionsOf } from '../stores/redis/store.js';
import { Counters } from '../telemetry/counters.js';
import { DetectWorker } from './detect.js';
import { IngestWorker } from './ingest.js';

export interface Running {
  counters: Counters;
  stop(): Promise<void>;
}

export interface StartOptions {
  onAlert?: (a: Alert) => void;
  /** Silence kafkajs's own logging (interactive demo). */
  quietClient?: boolean;
  /** Hears the state store's connection events and its outage past redis.maxOutageMs. */
  redis?: Pick<RedisStoreOptions, 'onEvent' | 'onOutage'>;
}

export async function startMeshwatch(config: Readonly<Config>, opts: StartOptions = {}): Promise<Running> {
  const counters = new Counters();
  const kafka = kafkaOf(config, '', opts.quietClient ?? false);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const t = config.kafka.topics;
    await ensureTopics(
      admin,
      [...t.envoy, ...t.cadvisor, ...t.samples, t.windows, t.alerts, t.dlq],
      config.kafka.partitions,
      config.kafka.replicationFactor,
      { [t.dlq]: DLQ_TOPIC_CONFIG },
    );
  } finally {
    await admin.disconnect();
  }

  const stoppers: (() => Promise<void>)[] = [];
  try {
    if (config.role === 'all' || config.role === 'detect') {
      const store = new RedisStateStore({ ...redisStoreOptionsOf(config), ...opts.redis });
      await store.connect();
      stoppers.push(() => store.close());
      const detect = new DetectWorker(kafka, config, store, counters, opts.onAlert ? { onAlert: opts.onAlert } : {});
      await detect.start();
      stoppers.unshift(() => detect.stop());
    }
    if (config.role === 'all' || config.role === 'ingest') {
      const ingest = new IngestWorker(kafka, config, counters);
      await ingest.start();
      stoppers.unshift(() => ingest.stop());
    }
  } catch (e) {
    for (const s of stoppers) await s().catch(() => undefined);
    throw e;
  }
  return {
    counters,
    async stop() {
      for (const s of stoppers) await s();
    },
  };
}
