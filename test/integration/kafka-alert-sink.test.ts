/** The Kafka alert sink passes the AlertSink contract against the real broker. */
import { type Alert } from '../../src/core/alert/schema.js';
import { KafkaAlertSink } from '../../src/sinks/kafka/alerts.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { ensureTopics } from '../../src/sources/kafka/client.js';
import { alertSinkContract } from '../contract/alert-sink.js';
import { Collector, testKafka, uniqueId } from '../helpers.js';

alertSinkContract('kafka', async () => {
  const run = uniqueId('sink');
  const topic = `${run}.alerts`;
  const kafka = testKafka(run);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [topic], 2, 1);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const limits = { topicBytes: new Map([[topic, 1024 * 1024]]), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 };
  const sink = new KafkaAlertSink(new BoundedProducer(producer, limits), topic);
  const collector = await new Collector<Alert>(kafka, topic).start();
  return {
    sink,
    readBack: (n) => collector.waitFor((xs) => xs.length >= n, 30_000, `${n} alerts`),
    small: () =>
      Promise.resolve(new KafkaAlertSink(new BoundedProducer(producer, { ...limits, topicBytes: new Map([[topic, 64 * 1024]]) }), topic)),
    close: async () => {
      await collector.stop();
      await sink.close();
      await producer.disconnect();
    },
  };
});
