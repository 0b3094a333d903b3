/**
 * The SIEM topic sinks through the real broker: the formatted sink passes the AlertSink
 * contract (OCSF and ECS documents carry the alert whole, so it reads back), and the SIEM
 * workers deliver the alerts topic to their own topics, one rendering per alert, in order per
 * service, keyed by service, a record that is not an alert parked with its reason.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { type EcsAlert, type OcsfDetectionFinding } from '../../src/core/siem/index.js';
import { serviceKey } from '../../src/core/model.js';
import { type ParkedRecord } from '../../src/runtime/sink-worker.js';
import { rendererOf } from '../../src/core/siem/index.js';
import { buildSink, startSinkWorker } from '../../src/runtime/sinks.js';
import { KafkaAlertSink } from '../../src/sinks/kafka/alerts.js';
import { KafkaFormattedSink } from '../../src/sinks/kafka/formatted.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { ensureTopics } from '../../src/sources/kafka/client.js';
import { Counters } from '../../src/telemetry/counters.js';
import { alertOf, alertSinkContract } from '../contract/alert-sink.js';
import { Collector, createTopics, testConfig, testKafka, uniqueId } from '../helpers.js';

const LIMITS = { topicBytes: new Map<string, number>(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 };

for (const [format, back] of [
  ['ocsf', (s: string) => AlertSchema.parse(JSON.parse((JSON.parse(s) as OcsfDetectionFinding).raw_data))],
  ['ecs', (s: string) => AlertSchema.parse(JSON.parse((JSON.parse(s) as EcsAlert).event.original))],
] as const) {
  alertSinkContract(`kafka ${format} topic`, async () => {
    const run = uniqueId(`siem-${format}`);
    const topic = `${run}.alerts.${format}`;
    const kafka = testKafka(run);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [topic], 2, 1);
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const limits = { ...LIMITS, topicBytes: new Map([[topic, 1024 * 1024]]) };
    const render = rendererOf(format, '0.1.0');
    const sink = new KafkaFormattedSink(new BoundedProducer(producer, limits), topic, format, render);
    const collector = await new Collector<Alert>(kafka, topic, back).start();
    return {
      sink,
      readBack: (n) => collector.waitFor((xs) => xs.length >= n, 30_000, `${n} ${format} records`),
      small: () =>
        Promise.resolve(
          new KafkaFormattedSink(
            new BoundedProducer(producer, { ...limits, topicBytes: new Map([[topic, 64 * 1024]]) }),
            topic,
            format,
            render,
          ),
        ),
      close: async () => {
        await collector.stop();
        await producer.disconnect();
      },
    };
  });
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('SIEM sink workers', { timeout: 180_000 }, () => {
  it('render the alerts topic onto the OCSF and CEF topics in order per service, and park what is not an alert', async () => {
    const run = uniqueId('siem');
    const config = testConfig(run, {
      sinks: {
        ocsf: { enabled: true, input: 'alerts', topic: `${run}.alerts.ocsf`, retryInitialMs: 50, retryMaxMs: 400 },
        cef: { enabled: true, input: 'alerts', topic: `${run}.alerts.cef`, retryInitialMs: 50, retryMaxMs: 400 },
      },
    });
    await createTopics(config);
    const kafka = testKafka(run);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const alerts = config.kafka.topics.alerts;
    const out = new KafkaAlertSink(new BoundedProducer(producer, LIMITS), alerts);
    const services = ['checkout', 'cart|x=1', 'search'];
    const sent: Alert[] = [];
    for (let i = 0; i < 4; i++)
      for (const s of services) sent.push(alertOf(s, i % 2 === 0 ? 'firing' : 'resolved', i * 10 + services.indexOf(s)));
    expect(await out.deliver(sent.slice(0, 5))).toEqual({ ok: true });
    await producer.send({ topic: alerts, messages: [{ key: 'shop/garbage', value: '{"not":"an alert"}' }] });
    expect(await out.deliver(sent.slice(5))).toEqual({ ok: true });

    const counters = new Counters();
    const fatal: unknown[] = [];
    for (const format of ['ocsf', 'cef'] as const) {
      const built = await buildSink(format, config, { kafka, productVersion: '0.1.0' });
      const w = await startSinkWorker(kafka, config, built, counters, (e) => fatal.push(e), {
        groupId: `${run}-sink-${format}`,
        parkingTopic: `${run}.alerts.parked.${format}`,
        fromBeginning: true,
      });
      cleanups.push(() => w.stop());
    }
    const ocsf = await new Collector<OcsfDetectionFinding>(kafka, `${run}.alerts.ocsf`).start();
    const cef = await new Collector<string>(kafka, `${run}.alerts.cef`, (s) => s).start();
    const parked = await new Collector<ParkedRecord>(kafka, `${run}.alerts.parked.ocsf`).start();
    cleanups.push(
      () => ocsf.stop(),
      () => cef.stop(),
      () => parked.stop(),
    );

    await ocsf.waitFor((xs) => xs.length >= sent.length, 60_000, 'every OCSF finding');
    await cef.waitFor((xs) => xs.length >= sent.length, 60_000, 'every CEF line');
    for (const s of services) {
      const mine = sent.filter((a) => a.service.name === s);
      const key = serviceKey(mine[0]!.service);
      const findings = ocsf.items.filter((i) => i.key === key);
      expect(findings.map((i) => [i.value.finding_info.uid, i.value.activity_id])).toEqual(
        mine.map((a) => [a.id, a.status === 'firing' ? 1 : 3]),
      );
      expect(new Set(findings.map((i) => i.partition)).size).toBe(1);
      expect(findings.map((i) => i.headers['meshwatch-alert-id'])).toEqual(mine.map((a) => a.id));
      expect(cef.items.filter((i) => i.key === key).map((i) => i.value.split('|')[0])).toEqual(mine.map(() => 'CEF:0'));
    }
    expect(ocsf.items).toHaveLength(sent.length);
    const p = await parked.waitFor((xs) => xs.length >= 1, 30_000, 'the parked record');
    expect(p[0]).toMatchObject({ sink: 'ocsf', code: 'MW_DECODE_SCHEMA', alert: null });
    expect(counters.get('sent', { stage: 'sink', sink: 'ocsf' })).toBe(sent.length);
    expect(counters.get('sent', { stage: 'sink', sink: 'cef' })).toBe(sent.length);
    expect(fatal).toEqual([]);
  });
});
