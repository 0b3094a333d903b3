/**
 * The one sink runtime: every delivery sink meshwatch can run, built from the configuration
 * (`buildSink`: PagerDuty, Alertmanager, webhook, Splunk HEC, and the OCSF / ECS / CEF topics),
 * and their workers (`startSinkWorker`): each its own consumer group `meshwatch-sink-<name>` on
 * what its `input` says (the incidents topic, the alerts topic, or both; a new group starts at
 * the topics' end: a new sink does not page for history), its parking topic
 * `meshwatch.alerts.parked.<name>` and its own idempotent producer for parked records. The same
 * built sink serves `meshwatch sinks test` and `sinks replay-parked`.
 *
 * Secrets (routing keys, webhook secrets, HEC tokens) are read here, once, from the config,
 * env-set fields or files; they reach no log line (each sink scrubs its messages).
 */
import { type Config } from '../config/schema.js';
import { SIEM_FORMATS, type SiemFormat, rendererOf } from '../core/siem/index.js';
import { type MeshwatchError } from '../errors.js';
import { AlertmanagerSink, type ActiveSet, MemoryActiveSet } from '../sinks/alertmanager/index.js';
import { KafkaFormattedSink } from '../sinks/kafka/formatted.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { PagerDutySink, routerOf } from '../sinks/pagerduty/index.js';
import { readSecret } from '../sinks/secret.js';
import { SplunkHecSink, splunkTokenOf } from '../sinks/splunk/index.js';
import { WebhookSink } from '../sinks/webhook/index.js';
import { ensureTopics, kafkaOf } from '../sources/kafka/client.js';
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

export const SINK_NAMES = ['pagerduty', 'alertmanager', 'webhook', 'splunk', ...SIEM_FORMATS] as const;
export type SinkName = (typeof SINK_NAMES)[number];
/** What a sink worker reads: the incidents topic, the alerts topic, or both. */
export type SinkInput = 'incidents' | 'alerts' | 'both';

export interface BuiltSink {
  name: SinkName;
  /** Per-metric alerts out (meshwatch.alert/v1). */
  sink: AlertSink;
  /** Incident documents out (meshwatch.incident/v1). */
  incidents: IncidentSink;
  /** What its worker reads (`sinks.<name>.input`). */
  input: SinkInput;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Starts what runs beside deliveries (the Alertmanager resend). */
  start(): void;
  /** Closes the sink and what it holds (a Redis connection, a producer). */
  close(): Promise<void>;
}

export interface BuildOptions {
  counters?: Counters;
  log?: (line: string) => void;
  /** Alertmanager: keep the active set in memory instead of Redis (`sinks test`). */
  ephemeral?: boolean;
  /** meshwatch's version, reported by the SIEM renderings. */
  productVersion?: string;
  /** The Kafka client a SIEM topic sink produces with (default: one of its own). */
  kafka?: Kafka;
}

/** The process role that runs a sink: `sink-<name>`, or `sink-siem` for the SIEM topics. */
export const roleOf = (name: SinkName): Config['role'] =>
  (SIEM_FORMATS as readonly string[]).includes(name) ? 'sink-siem' : (`sink-${name}` as Config['role']);

export const enabledSinks = (c: Readonly<Config>): SinkName[] => SINK_NAMES.filter((n) => c.sinks[n].enabled);

/** The parts of a built sink every case shares: its retry bounds and input, nothing to start, close the sink. */
function plain(
  name: SinkName,
  s: AlertSink & { incidents: IncidentSink },
  c: { retryInitialMs: number; retryMaxMs: number; input: SinkInput },
): BuiltSink {
  return {
    name,
    sink: s,
    incidents: s.incidents,
    input: c.input,
    retryInitialMs: c.retryInitialMs,
    retryMaxMs: c.retryMaxMs,
    start: () => undefined,
    close: () => s.close(),
  };
}

export async function buildSink(name: SinkName, config: Readonly<Config>, o: BuildOptions = {}): Promise<BuiltSink> {
  switch (name) {
    case 'pagerduty': {
      const pd = config.sinks.pagerduty;
      return plain(name, new PagerDutySink({ router: routerOf(pd), url: pd.url, timeoutMs: pd.timeoutMs, links: pd.links }), pd);
    }
    case 'webhook': {
      const w = config.sinks.webhook;
      const secret = readSecret('sinks.webhook', w.secret, w.secretFile);
      return plain(name, new WebhookSink({ url: w.url ?? '', secret, timeoutMs: w.timeoutMs, maxBodyBytes: w.maxBodyBytes }), w);
    }
    case 'splunk': {
      const c = config.sinks.splunk;
      const sink = new SplunkHecSink({
        url: c.url ?? '',
        token: splunkTokenOf(c),
        ...(c.index === undefined ? {} : { index: c.index }),
        source: c.source,
        sourcetype: c.sourcetype,
        incidentSourcetype: c.incidentSourcetype,
        format: c.format,
        productVersion: o.productVersion ?? 'unknown',
        ack: c.ack,
        ackTimeoutMs: c.ackTimeoutMs,
        ackPollMs: c.ackPollMs,
        timeoutMs: c.timeoutMs,
      });
      return plain(name, sink, c);
    }
    case 'ocsf':
    case 'ecs':
    case 'cef':
      return buildSiemSink(name, config, o);
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
        ...plain(name, sink, am),
        start: () => sink.start(),
        close: async () => {
          await sink.close();
          await conn?.close();
        },
      };
    }
  }
}

/** A SIEM topic sink: its output topic created when missing, its own idempotent producer (acks=all). */
async function buildSiemSink(format: SiemFormat, config: Readonly<Config>, o: BuildOptions): Promise<BuiltSink> {
  const c = config.sinks[format];
  const kafka = o.kafka ?? kafkaOf(config, `-sink-${format}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [c.topic], config.kafka.partitions, config.kafka.replicationFactor);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bounded = new BoundedProducer(producer, {
    topicBytes: new Map([[c.topic, BROKER_DEFAULT_MESSAGE_BYTES]]),
    defaultTopicBytes: BROKER_DEFAULT_MESSAGE_BYTES,
    maxRequestBytes: config.kafka.maxRequestBytes,
  });
  const sink = new KafkaFormattedSink(bounded, c.topic, format, rendererOf(format, o.productVersion ?? 'unknown'));
  return {
    ...plain(format, sink, c),
    close: async () => {
      await sink.close();
      await producer.disconnect();
    },
  };
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
  const { alerts, incidents } = config.kafka.topics;
  const source = new KafkaRecordSource(kafka, {
    groupId,
    topics: built.input === 'both' ? [alerts, incidents] : [built.input === 'incidents' ? incidents : alerts],
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
    ...(built.input === 'alerts' ? {} : { incidents: { sink: built.incidents, topic: incidents } }),
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
