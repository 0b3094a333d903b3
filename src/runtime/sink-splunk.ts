/**
 * Starts the Splunk HEC sink worker of one process (`--role sink-splunk`, or `--role all` with
 * sinks.splunk.enabled): reads the token (config, env or file), creates the parking topic when
 * missing, and runs a SinkWorker over its own consumer group (`meshwatch-sink-splunk`) on the
 * alerts topic, parking refused events on `meshwatch.alerts.parked.splunk`. A group with no
 * committed offset starts at the end of the alerts topic. Tests pass their own group and topic.
 */
import { type Config } from '../config/schema.js';
import { type MeshwatchError } from '../errors.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { SplunkHecSink, splunkTokenOf } from '../sinks/splunk/index.js';
import { ensureTopics, type kafkaOf } from '../sources/kafka/client.js';
import { KafkaRecordSource } from '../sources/kafka/source.js';
import { BROKER_DEFAULT_MESSAGE_BYTES } from '../sources/kafka/topics.js';
import { type Counters } from '../telemetry/counters.js';
import { ConsumeLoop } from './consume-loop.js';
import { type RunningSink } from './sink-pagerduty.js';
import { SinkWorker, parkingTopicOf, sinkGroupOf } from './sink-worker.js';

type Kafka = ReturnType<typeof kafkaOf>;

export interface SplunkWorkerOptions {
  groupId?: string;
  parkingTopic?: string;
  fromBeginning?: boolean;
  productVersion?: string;
  log?: (line: string) => void;
}

export async function startSplunkWorker(
  kafka: Kafka,
  config: Readonly<Config>,
  counters: Counters,
  onFatal: (e: MeshwatchError) => void,
  opts: SplunkWorkerOptions = {},
): Promise<RunningSink> {
  const c = config.sinks.splunk;
  const token = splunkTokenOf(c);
  const groupId = opts.groupId ?? sinkGroupOf('splunk');
  const parkingTopic = opts.parkingTopic ?? parkingTopicOf('splunk');
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
    topics: [config.kafka.topics.alerts],
    fromBeginning: opts.fromBeginning ?? false,
    stage: 'sink',
    counters,
    onFatal,
  });
  const loop = new ConsumeLoop({ stage: 'sink', source, sink: parking, dlqTopic: parkingTopic, onReject: 'dlq', counters });
  const sink = new SplunkHecSink({
    url: c.url ?? '',
    token,
    ...(c.index === undefined ? {} : { index: c.index }),
    source: c.source,
    sourcetype: c.sourcetype,
    format: c.format,
    productVersion: opts.productVersion ?? 'unknown',
    ack: c.ack,
    ackTimeoutMs: c.ackTimeoutMs,
    ackPollMs: c.ackPollMs,
    timeoutMs: c.timeoutMs,
  });
  const worker = new SinkWorker({
    name: 'splunk',
    loop,
    sink,
    parking,
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
