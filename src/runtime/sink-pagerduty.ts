/**
 * Starts the PagerDuty sink worker of one process (`--role sink-pagerduty`, or `--role all`
 * with sinks.pagerduty.enabled): reads the routing key (config, env or file), creates the
 * parking topic when missing, and runs a SinkWorker over its own consumer group on the
 * alerts topic with its own idempotent producer for parked records. A group that has no
 * committed offset yet starts at the end of the alerts topic (`fromBeginning` false): a new
 * PagerDuty sink does not page for history. Tests pass their own group and parking topic.
 */
import { type Config } from '../config/schema.js';
import { type MeshwatchError } from '../errors.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { PagerDutySink, routingKeyOf } from '../sinks/pagerduty/index.js';
import { ensureTopics, type kafkaOf } from '../sources/kafka/client.js';
import { KafkaRecordSource } from '../sources/kafka/source.js';
import { BROKER_DEFAULT_MESSAGE_BYTES } from '../sources/kafka/topics.js';
import { type Counters } from '../telemetry/counters.js';
import { ConsumeLoop } from './consume-loop.js';
import { SinkWorker, parkingTopicOf, sinkGroupOf } from './sink-worker.js';

type Kafka = ReturnType<typeof kafkaOf>;

export interface PagerDutyWorkerOptions {
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

export async function startPagerDutyWorker(
  kafka: Kafka,
  config: Readonly<Config>,
  counters: Counters,
  onFatal: (e: MeshwatchError) => void,
  opts: PagerDutyWorkerOptions = {},
): Promise<RunningSink> {
  const pd = config.sinks.pagerduty;
  const routingKey = routingKeyOf(pd);
  const groupId = opts.groupId ?? sinkGroupOf('pagerduty');
  const parkingTopic = opts.parkingTopic ?? parkingTopicOf('pagerduty');

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
    topics: [pd.input === 'incidents' ? config.kafka.topics.incidents : config.kafka.topics.alerts],
    fromBeginning: opts.fromBeginning ?? false,
    stage: 'sink',
    counters,
    onFatal,
  });
  const loop = new ConsumeLoop({ stage: 'sink', source, sink: parking, dlqTopic: parkingTopic, onReject: 'dlq', counters });
  const sink = new PagerDutySink({ routingKey, url: pd.url, timeoutMs: pd.timeoutMs });
  const worker = new SinkWorker({
    name: 'pagerduty',
    loop,
    sink,
    ...(pd.input === 'incidents' ? { incidents: sink.incidents } : {}),
    parking,
    parkingTopic,
    counters,
    retryInitialMs: pd.retryInitialMs,
    retryMaxMs: pd.retryMaxMs,
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
