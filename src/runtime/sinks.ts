/**
 * The delivery sinks meshwatch can run, built from the configuration (`buildSink`), and
 * their workers (`startSinkWorker`): each its own consumer group `meshwatch-sink-<name>` on
 * the alerts topic, or the incidents topic for a sink that pages incidents (a new group starts at the topic's end: a new sink does not page for
 * history), its parking topic `meshwatch.alerts.parked.<name>` and its own idempotent
 * producer for parked records. The same built sink serves `meshwatch sinks test` and
 * `sinks replay-parked`.
 *
 * Secrets (routing keys, webhook secrets) are read here, once, from the config, env-set
 * fields or files; they reach no log line (each sink scrubs its messages).
 */
import { type Config } from '../config/schema.js';
import { type MeshwatchError } from '../errors.js';
import { AlertmanagerSink, type ActiveSet, MemoryActiveSet } from '../sinks/alertmanager/index.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { PagerDutySink, routerOf } from '../sinks/pagerduty/index.js';
import { readSecret } from '../sinks/secret.js';
import { WebhookSink } from '../sinks/webhook/index.js';
import { ensureTopics, type kafkaOf } from '../sources/kafka/client.js';
import { KafkaRecordSource } from '../sources/kafka/source.js';
import { BROKER_DEFAULT_MESSAGE_BYTES } from '../sources/kafka/topics.js';
import { RedisActiveSet } from '../stores/redis/active-alerts.js';
import { RedisConnection } from '../stores/redis/connection.js';
import { redisStoreOptionsOf } from '../stores/redis/store.js';
import { sinkKey } from '../stores/redis/keys.js';
import { type Counters } from '../telemetry/counters.js';
import { ConsumeLoop } from './consume-loop.js';
import { type AlertSink, type IncidentSink } from './ports.js';
import { SinkWorker, parkingTopicOf, sinkGroupOf } from './sink-worker.js';

type Kafka = ReturnType<typeof kafkaOf>;

export const SINK_NAMES = ['pagerduty', 'alertmanager', 'webhook'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

export interface BuiltSink {
  name: SinkName;
  sink: AlertSink;
  /** Set when the sink pages incidents (`meshwatch.incidents`) rather than alerts: the worker reads that topic. */
  incidents?: IncidentSink;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Starts what runs beside deliveries (the Alertmanager resend). */
  start(): void;
  /** Closes the sink and what it holds (a Redis connection). */
  close(): Promise<void>;
}

export interface BuildOptions {
  counters?: Counters;
  log?: (line: string) => void;
  /** Alertmanager: keep the active set in memory instead of Redis (`sinks test`). */
  ephemeral?: boolean;
}

export const enabledSinks = (c: Readonly<Config>): SinkName[] => SINK_NAMES.filter((n) => c.sinks[n].enabled);

export async function buildSink(name: SinkName, config: Readonly<Config>, o: BuildOptions = {}): Promise<BuiltSink> {
  switch (name) {
    case 'pagerduty': {
      const pd = config.sinks.pagerduty;
      const sink = new PagerDutySink({ router: routerOf(pd), url: pd.url, timeoutMs: pd.timeoutMs, links: pd.links });
      return {
        name,
        sink,
        ...(pd.input === 'incidents' ? { incidents: sink.incidents } : {}),
        retryInitialMs: pd.retryInitialMs,
        retryMaxMs: pd.retryMaxMs,
        start: () => undefined,
        close: () => sink.close(),
      };
    }
    case 'webhook': {
      const w = config.sinks.webhook;
      const secret = readSecret('sinks.webhook', w.secret, w.secretFile);
      const sink = new WebhookSink({ url: w.url ?? '', secret, timeoutMs: w.timeoutMs, maxBodyBytes: w.maxBodyBytes });
      return { name, sink, retryInitialMs: w.retryInitialMs, retryMaxMs: w.retryMaxMs, start: () => undefined, close: () => sink.close() };
    }
    case 'alertmanager': {
      const am = config.sinks.alertmanager;
      let active: ActiveSet;
      let conn: RedisConnection | undefined;
      if (o.ephemeral) active = new MemoryActiveSet();
      else {
        conn = new RedisConnection(redisStoreOptionsOf(config));
        await conn.connect();
        active = new RedisActiveSet(conn, sinkKey(config.redis.keyPrefix, 'alertmanager', 'active'));
      }
      const sink = new AlertmanagerSink({
        urls: am.urls,
        active,
        timeoutMs: am.timeoutMs,
        resendIntervalMs: am.resendIntervalMs,
        resolvedRetentionMs: am.resolvedRetentionMs,
        maxActive: am.maxActive,
        generatorUrlTemplate: am.generatorUrl,
        runbookUrlTemplate: am.runbookUrl,
        ...(o.log ? { log: o.log } : {}),
        onDropped: () => o.counters?.add('dropped', 1, { stage: 'sink', sink: name, reason: 'active_set_full' }),
      });
      return {
        name,
        sink,
        retryInitialMs: am.retryInitialMs,
        retryMaxMs: am.retryMaxMs,
        start: () => sink.start(),
        close: async () => {
          await sink.close();
          await conn?.close();
        },
      };
    }
  }
}

export interface SinkWorkerStartOptions {
  groupId?: string;
  parkingTopic?: string;
  fromBeginning?: boolean;
  log?: (line: string) => void;
}

export interface RunningSink {
  worker: SinkWorker;
  groupId: string;
  parkingTopic: string;
  stop(): Promise<void>;
}

/** Runs a built sink as a worker over its own consumer group; `stop` stops the worker, then closes the sink. */
export async function startSinkWorker(
  kafka: Kafka,
  config: Readonly<Config>,
  built: BuiltSink,
  counters: Counters,
  onFatal: (e: MeshwatchError) => void,
  opts: SinkWorkerStartOptions = {},
): Promise<RunningSink> {
  const groupId = opts.groupId ?? sinkGroupOf(built.name, config.kafka.groups.sinks);
  const parkingTopic = opts.parkingTopic ?? parkingTopicOf(built.name, config.kafka.topics.alerts);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [parkingTopic], config.kafka.partitions, config.kafka.replicationFactor);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const parking = new BoundedProducer(producer, {
    topicBytes: new Map([[parkingTopic, BROKER_DEFAULT_MESSAGE_BYTES]]),
    defaultTopicBytes: BROKER_DEFAULT_MESSAGE_BYTES,
    maxRequestBytes: config.kafka.maxRequestBytes,
  });
  const source = new KafkaRecordSource(kafka, {
    groupId,
    topics: [built.incidents ? config.kafka.topics.incidents : config.kafka.topics.alerts],
    fromBeginning: opts.fromBeginning ?? false,
    stage: 'sink',
    counters,
    onFatal,
  });
  const loop = new ConsumeLoop({ stage: 'sink', source, sink: parking, dlqTopic: parkingTopic, onReject: 'dlq', counters });
  const worker = new SinkWorker({
    name: built.name,
    loop,
    sink: built.sink,
    ...(built.incidents ? { incidents: built.incidents } : {}),
    parking,
    parkingTopic,
    counters,
    retryInitialMs: built.retryInitialMs,
    retryMaxMs: built.retryMaxMs,
    ...(opts.log ? { log: opts.log } : {}),
  });
  try {
    await worker.start();
  } catch (e) {
    await producer.disconnect().catch(() => undefined);
    await built.close().catch(() => undefined);
    throw e;
  }
  built.start();
  return {
    worker,
    groupId,
    parkingTopic,
    stop: async () => {
      await worker.stop();
      await built.close();
      await producer.disconnect();
    },
  };
}
