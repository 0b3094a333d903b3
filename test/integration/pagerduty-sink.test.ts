/**
 * The PagerDuty sink worker through the real broker: alerts produced to the alerts topic
 * reach a local PagerDuty Events API v2 through the worker's own consumer group, in order per
 * service; 429 and 500 are retried; a 400 and a record that is not an alert land on the
 * parking topic with their reason while the stream goes on; the group commits past all of
 * them; the routing key appears in no log line, counter or parked record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { type ParkedRecord } from '../../src/runtime/sink-worker.js';
import { startPagerDutyWorker } from '../../src/runtime/sink-pagerduty.js';
import { KafkaAlertSink } from '../../src/sinks/kafka/alerts.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { alertOfEvent } from '../../src/sinks/pagerduty/index.js';
import { Counters } from '../../src/telemetry/counters.js';
import { alertOf } from '../contract/alert-sink.js';
import { FakePagerDuty } from '../fakes/pagerduty.js';
import { Collector, alertsWriter, createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const ROUTING_KEY = 'PDINTEGRATIONKEY0123456789abcdef';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('PagerDuty sink worker', { timeout: 180_000 }, () => {
  it('delivers the alerts topic to PagerDuty in order per service, retries 429/500, parks a 400', async () => {
    const pd = await new FakePagerDuty().start();
    cleanups.push(() => pd.stop());
    const run = uniqueId('pd');
    const config = testConfig(run, {
      sinks: {
        pagerduty: {
          enabled: true,
          input: 'alerts',
          routingKey: ROUTING_KEY,
          url: pd.url,
          timeoutMs: 5000,
          retryInitialMs: 50,
          retryMaxMs: 400,
        },
      },
    });
    await createTopics(config);
    const kafka = testKafka(run);
    const counters = new Counters();
    const lines: string[] = [];
    const fatal: unknown[] = [];
    const parkingTopic = `${run}.alerts.parked.pagerduty`;
    const groupId = `${run}-sink-pagerduty`;

    // Before the worker starts: the first deliveries meet a throttle and an outage.
    pd.failNext(429, 500);
    pd.rejectWhen((e) => (e.payload.component === 'refused' ? 'Event refused by the ruleset' : undefined));

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const alerts = config.kafka.topics.alerts;
    const out = new KafkaAlertSink(
      new BoundedProducer(producer, { topicBytes: new Map(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 }),
      alerts,
    );
    const services = ['checkout', 'cart', 'search'];
    const sent: Alert[] = [];
    for (let i = 0; i < 4; i++) {
      for (const s of services) sent.push(alertOf(s, i % 2 === 0 ? 'firing' : 'resolved', i * 10 + services.indexOf(s)));
    }
    const refused = alertOf('refused', 'firing', 99);
    expect(await out.deliver(sent.slice(0, 6))).toEqual({ ok: true });
    expect(await out.deliver([refused])).toEqual({ ok: true });
    await producer.send({ topic: alerts, messages: [{ key: 'shop/garbage', value: 'not an alert' }] });
    expect(await out.deliver(sent.slice(6))).toEqual({ ok: true });

    const running = await startPagerDutyWorker(kafka, config, counters, (e) => fatal.push(e), {
      groupId,
      parkingTopic,
      fromBeginning: true,
      log: (l) => lines.push(l),
    });
    cleanups.push(() => running.stop());
    const parked = await new Collector<ParkedRecord>(kafka, parkingTopic).start();
    cleanups.push(() => parked.stop());

    const end = Date.now() + 60_000;
    while (pd.events.length < sent.length && Date.now() < end) await sleep(100);
    expect(pd.events).toHaveLength(sent.length);
    const got = pd.events.map((e) => alertOfEvent(e));
    for (const s of services) {
      expect(got.filter((a) => a.service.name === s)).toEqual(sent.filter((a) => a.service.name === s));
    }
    expect(pd.events.every((e) => e.dedup_key.startsWith('mw-'))).toBe(true);
    expect(pd.statuses.slice(0, 2)).toEqual([429, 500]);

    const p = await parked.waitFor((xs) => xs.length >= 2, 30_000, 'two parked records');
    const byCode = new Map(p.map((r) => [r.code, r]));
    const rejected = byCode.get('MW_SINK_REJECTED');
    expect(rejected?.alert).toEqual(refused);
    expect(rejected?.reason).toContain('400');
    expect(rejected?.reason).toContain('Event refused by the ruleset');
    expect(rejected).toMatchObject({ schema: 'meshwatch.parked/v1', sink: 'pagerduty', topic: alerts });
    expect(byCode.get('MW_DECODE_INVALID_JSON')).toMatchObject({ alert: null, value: 'not an alert' });
    expect(parked.items.find((i) => i.value.code === 'MW_SINK_REJECTED')?.headers['meshwatch-error']).toBe('MW_SINK_REJECTED');

    expect(counters.get('sent', { stage: 'sink', sink: 'pagerduty' })).toBe(sent.length);
    expect(counters.total('sink_retries')).toBe(2);
    expect(counters.get('sink_parked', { sink: 'pagerduty', code: 'MW_SINK_REJECTED' })).toBe(1);
    expect(counters.get('sink_parked', { sink: 'pagerduty', code: 'MW_DECODE_INVALID_JSON' })).toBe(1);
    expect(fatal).toEqual([]);

    // The group commits past everything delivered or parked.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const until = Date.now() + 30_000;
      let behind = -1n;
      while (Date.now() < until) {
        const [committed, ends] = [await admin.fetchOffsets({ groupId, topics: [alerts] }), await admin.fetchTopicOffsets(alerts)];
        const done = committed[0]?.partitions ?? [];
        behind = ends.reduce((sum, e) => sum + BigInt(e.high) - BigInt(done.find((d) => d.partition === e.partition)?.offset ?? '0'), 0n);
        if (behind === 0n) break;
        await sleep(200);
      }
      expect(behind).toBe(0n);
    } finally {
      await admin.disconnect();
    }

    // The routing key is in the requests only: never in a log line, counter or parked record.
    expect(lines.some((l) => l.includes('retry'))).toBe(true);
    expect(lines.some((l) => l.includes('parked'))).toBe(true);
    const everything = [...lines, JSON.stringify(counters.snapshot()), ...parked.items.map((i) => JSON.stringify(i))].join('\n');
    expect(everything).not.toContain(ROUTING_KEY);
  });

  it("--role sink-pagerduty runs only the worker, in group meshwatch-sink-pagerduty, from the alerts topic's end", async () => {
    const pd = await new FakePagerDuty().start();
    cleanups.push(() => pd.stop());
    const run = uniqueId('pdrole');
    const config = testConfig(run, {
      role: 'sink-pagerduty',
      sinks: { pagerduty: { enabled: true, input: 'alerts', routingKey: ROUTING_KEY, url: pd.url, retryInitialMs: 50, retryMaxMs: 400 } },
    });
    await createTopics(config);
    const kafka = testKafka(run);
    const out = await alertsWriter(kafka, config, cleanups);
    const history = alertOf('old', 'firing', 0);
    expect(await out.deliver([history])).toEqual({ ok: true });

    const app = await startMeshwatch(config, { onWarning: () => undefined });
    cleanups.push(() => app.stop());
    expect(app.query).toBeUndefined();
    // The group starts at the end: alerts produced once it has joined reach PagerDuty, history does not.
    const end = Date.now() + 60_000;
    for (let i = 1; pd.events.length === 0 && Date.now() < end; i++) {
      expect(await out.deliver([alertOf('new', 'firing', i)])).toEqual({ ok: true });
      await sleep(500);
    }
    expect(pd.events.length).toBeGreaterThan(0);
    expect(pd.events.map((e) => e.payload.component)).not.toContain('old');
    expect(app.counters.get('sent', { stage: 'sink', sink: 'pagerduty' })).toBeGreaterThan(0);
  });
});
