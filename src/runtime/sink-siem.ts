/**
 * Starts the SIEM topic workers of one process (`--role sink-siem`, or `--role all` with
 * sinks.ocsf / sinks.ecs / sinks.cef enabled): each its own consumer group on the alerts topic
 * (`meshwatch-sink-<format>`), rendering every alert (src/core/siem) onto its own topic
 * (`meshwatch.alerts.<format>` by default) through a KafkaFormattedSink, parking what cannot
 * be written on `meshwatch.alerts.parked.<format>`. A group with no committed offset starts at
 * the end of the alerts topic. Tests pass their own group, parking topic and start.
 */
import { type Config } from '../config/schema.js';
import { type Alert } from '../core/alert/schema.js';
import { cefOf, ecsAlertOf, ocsfFindingOf } from '../core/siem/index.js';
import { type MeshwatchError } from '../errors.js';
import { KafkaFormattedSink } from '../sinks/kafka/formatted.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { ensureTopics, type kafkaOf } from '../sources/kafka/client.js';
import { KafkaRecordSource } from '../sources/kafka/source.js';
import { BROKER_DEFAULT_MESSAGE_BYTES } from '../sources/kafka/topics.js';
import { type Counters } from '../telemetry/counters.js';
import { ConsumeLoop } from './consume-loop.js';
import { type RunningSink } from './sink-pagerduty.js';
import { SinkWorker, parkingTopicOf, sinkGroupOf } from './sink-worker.js';

type Kafka = ReturnType<typeof kafkaOf>;
export const SIEM_FORMATS = ['ocsf', 'ecs', 'cef'] as const;
export type SiemFormat = (typeof SIEM_FORMATS)[number];

/** The renderer of a format: one record's text per alert. */
export function rendererOf(format: SiemFormat, productVersion: string): (a: Alert) => string {
  const o = { productVersion };
  switch (format) {
    case 'ocsf':
      return (a) => JSON.stringify(ocsfFindingOf(a, o));
    case 'ecs':
      return (a) => JSON.stringify(ecsAlertOf(a, o));
    case 'cef':
      return (a) => cefOf(a, o);
  }
}

export interface SiemWorkerOptions {
  groupId?: string;
  parkingTopic?: string;
  fromBeginning?: boolean;
  productVersion?: string;
  log?: (line: string) => void;
}

export async function startSiemWorker(
  kafka: Kafka,
  config: Readonly<Config>,
  format: SiemFormat,
  counters: Counters,
  onFatal: (e: MeshwatchError) => void,
  opts: SiemWorkerOptions = {},
): Promise<RunningSink> {
  const c = config.sinks[format];
  const groupId = opts.groupId ?? sinkGroupOf(format);
  const parkingTopic = opts.parkingTopic ?? parkingTopicOf(format);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [c.topic, parkingTopic], config.kafka.partitions, config.kafka.replicationFactor);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const bounded = new BoundedProducer(producer, {
    topicBytes: new Map([
      [parkingTopic, BROKER_DEFAULT_MESSAGE_BYTES],
      [c.topic, BROKER_DEFAULT_MESSAGE_BYTES],
    ]),
    defaultTopicBytes: BROKER_DEFAULT_MESSAGE_BYTES,
    maxRequestBytes: config.kafka.maxRequestBytes,
  });
  const source = new KafkaRecordSource(kafka, {
    groupId,
    topics: [config.kafka.topics.alerts],
    fromBeginning: opts.fromBeginning ?? false,
    stage: 'sink',
    counters,
    onFatal,
  });
  const loop = new ConsumeLoop({ stage: 'sink', source, sink: bounded, dlqTopic: parkingTopic, onReject: 'dlq', counters });
  const sink = new KafkaFormattedSink(bounded, c.topic, format, rendererOf(format, opts.productVersion ?? 'unknown'));
  const worker = new SinkWorker({
    name: format,
    loop,
    sink,
    parking: bounded,
    parkingTopic,
    counters,
    retryInitialMs: c.retryInitialMs,
    retryMaxMs: c.retryMaxMs,
    ...(opts.log ? { log: opts.log } : {}),
  });
  try {
    await worker.start();
  } catch (e) {
    await producer.disconnect().catch(() => undefined);
    throw e;
  }
  return {
    worker,
    groupId,
    parkingTopic,
    stop: async () => {
      await worker.stop();
      await sink.close();
      await producer.disconnect();
    },
  };
}
