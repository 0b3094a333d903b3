/**
 * Every new input format through the real broker: Envoy/Istio text lines (bare and shipped by
 * Fluent Bit), a topic with its own text format, Envoy ALS proto3 JSON in both spellings, and
 * prometheus-kafka-adapter samples. Each lands in window partials under the service it names;
 * a text line that stops matching its format is a dead letter with code, reason and position.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type WindowPartial } from '../../src/core/window/partial.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { type DeadLetter } from '../../src/sinks/kafka/dlq.js';
import { fixture, fixtureLines } from '../unit/decode/fixtures.js';
import { Collector, createTopics, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const CUSTOM =
  '%START_TIME% %ENVIRONMENT(POD_NAME)% %ENVIRONMENT(POD_NAMESPACE)% %REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS% %DURATION% %UPSTREAM_CLUSTER_RAW%';
const name = (p: WindowPartial): string => `${p.service.namespace}/${p.service.name}`;

describe('new input formats through the broker', { timeout: 180_000 }, () => {
  it('decodes text, ALS and prometheus-kafka-adapter records into partials, and dead-letters a broken text line', async () => {
    const run = uniqueId('formats');
    const custom = `${run}.custom-text`;
    const config = testConfig(run, {
      role: 'ingest',
      kafka: { topics: { als: [`${run}.als`], prometheus: [`${run}.prom`] } },
      // The fixtures are from 2023 and 2025: accept old event times.
      ingest: { eventTime: { maxAgeMs: 10 * 365 * 86_400_000 }, formats: { [custom]: { decoder: 'envoy', textFormats: [CUSTOM] } } },
      // Records of pods no labelled source names wait 1 s (default 90 s) before their fallback name.
      identity: { holdMs: 1000 },
    });
    await createTopics(config);
    const app = await startMeshwatch(config);
    cleanups.push(() => app.stop());
    const kafka = testKafka(run);
    const dlq = await new Collector<DeadLetter>(kafka, config.kafka.topics.dlq).start();
    const windows = await new Collector<WindowPartial>(kafka, config.kafka.topics.windows).start();
    cleanups.push(
      () => dlq.stop(),
      () => windows.stop(),
    );

    const broken = '[2023-05-02T01:45:04.158Z] "GET /headers HTTP/1.1" 200';
    const envoy = [
      fixture('text/istio-inbound.txt'),
      broken,
      fixture('text/fluent-bit-istio-text.json'),
      fixture('text/istio-tcp-inbound.txt'),
    ];
    const als = [fixture('als/stream-http-camel.json'), fixture('als/stream-tcp-snake.json'), fixture('als/entry-http-snake.json')];
    const prom = [
      ...fixtureLines('prometheus/istio-requests.ndjson'),
      ...fixtureLines('prometheus/istio-duration-buckets.ndjson'),
      ...fixtureLines('prometheus/cadvisor-kubelet.ndjson'),
    ];
    const producer = kafka.producer();
    await producer.connect();
    // One partition per topic: the adapter's counters need their points in order.
    await producer.sendBatch({
      topicMessages: [
        { topic: config.kafka.topics.envoy[0]!, messages: envoy.map((value) => ({ value, partition: 0 })) },
        { topic: `${run}.als`, messages: als.map((value) => ({ value, partition: 0 })) },
        { topic: `${run}.prom`, messages: prom.map((value) => ({ value, partition: 0 })) },
        { topic: custom, messages: [{ value: fixture('text/custom-with-pod.txt'), partition: 0 }] },
      ],
    });
    await producer.disconnect();

    const expected = [
      'istio-demo/httpbin',
      'istio-demo/sleep',
      'db/postgres',
      'bookinfo/reviews',
      'bookinfo/ratings-v1',
      'bookinfo/reviews-v1',
    ];
    const ofIn = (ps: WindowPartial[], s: string): WindowPartial[] => ps.filter((p) => p.service && name(p) === s);
    const hasEdge = (ps: WindowPartial[], s: string, edge: string): boolean => ofIn(ps, s).some((p) => Object.keys(p.edges).includes(edge));
    const partials = await windows.waitFor(
      (ps) =>
        expected.every((s) => ofIn(ps, s).length > 0) &&
        // The custom line names its pod; the ALS and adapter records name that pod's workload `reviews`.
        hasEdge(ps, 'bookinfo/reviews', 'out:bookinfo/ratings') &&
        hasEdge(ps, 'istio-demo/sleep', 'out:istio-demo/httpbin') &&
        ofIn(ps, 'bookinfo/reviews').reduce((n, p) => n + (p.requests?.n ?? 0), 0) >= 96,
      90_000,
      'a partial of every service',
    );
    const of = (s: string): WindowPartial[] => ofIn(partials, s);
    const requests = (s: string): number => of(s).reduce((n, p) => n + (p.requests?.n ?? 0), 0);

    expect(requests('istio-demo/httpbin')).toBe(1);
    expect(requests('db/postgres')).toBe(1);
    // ALS: 2 entries of the stream + 1 bare entry; adapter: 90 + 3 requests, latency from 90 bucket counts.
    expect(requests('bookinfo/reviews')).toBe(3 + 93);
    const reviewsErrors = of('bookinfo/reviews').reduce((n, p) => n + (p.requests?.errors ?? 0), 0);
    expect(reviewsErrors).toBe(1 + 3);
    expect(of('bookinfo/reviews-v1').some((p) => Object.keys(p.containers).includes('reviews-v1-5b7d8c9f4d-q2wzx/reviews'))).toBe(true);

    const letters = await dlq.waitFor((ls) => ls.length >= 1, 30_000, 'the broken text line');
    expect(
      letters.map((l) => [l.error.code, l.source.topic, l.source.offset, Buffer.from(l.payloadBase64, 'base64').toString('utf8')]),
    ).toStrictEqual([['MW_DECODE_TEXT_MISMATCH', config.kafka.topics.envoy[0], '1', broken]]);
    expect(letters[0]?.error.reason).toContain('%RESPONSE_CODE%');
  });
});
