/**
 * The cluster end to end, through the real broker and the real Redis: canonical samples of the
 * same `shop/cart` in clusters eu-1 and us-2 (and once without a cluster) on the samples topic
 * → stage 1 partials keyed by the full service key → stage 2 state in three Redis hashes →
 * an alert that names its cluster, keyed by the same key. Only eu-1 spikes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { Collector, createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const EU: ServiceId = { namespace: 'shop', name: 'cart', cluster: 'eu-1' };
const US: ServiceId = { namespace: 'shop', name: 'cart', cluster: 'us-2' };
const NONE: ServiceId = { namespace: 'shop', name: 'cart' };
const KEYS = ['eu-1:shop/cart', 'shop/cart', 'us-2:shop/cart'];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Deterministic noise of ±2 % around a level. */
const noisy = (level: number, i: number): number => level * (1 + 0.02 * ((((i * 7919) % 11) - 5) / 5));

describe('clusters through real Kafka and Redis', { timeout: 240_000 }, () => {
  it('keeps two clusters of one namespace/name apart from the samples topic to the alert', async () => {
    const run = uniqueId('clusters');
    const config = testConfig(run);
    await createTopics(config);
    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());
    const windows = await new Collector<{ type?: string; service?: ServiceId }>(testKafka(run), config.kafka.topics.windows).start();
    cleanups.push(() => windows.stop());
    const store = new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix });
    await store.connect();
    cleanups.push(async () => {
      await store.clear(config.redis.keyPrefix);
      await store.close();
    });
    const app = await startMeshwatch(config);
    cleanups.push(() => app.stop());

    // 12 warm-up windows, then eu-1 jumps tenfold for windows 14..18; the others stay put.
    // Just behind the clock: the ingest's event-time guard refuses data days behind processing time.
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 24 * WINDOW_MS;
    const producer = testKafka(run).producer();
    await producer.connect();
    for (let i = 0; i < 22; i++) {
      const ts = baseMs + i * WINDOW_MS + 1000;
      const up = i >= 14 && i <= 18 ? 10 : 1;
      const samples = [
        { ts, service: EU, metric: 'queue_depth', value: noisy(10, i) * up },
        { ts, service: US, metric: 'queue_depth', value: noisy(10, i + 3) },
        { ts, service: 'shop/cart', metric: 'queue_depth', value: noisy(10, i + 5) },
      ];
      await producer.send({ topic: config.kafka.topics.samples[0]!, messages: samples.map((s) => ({ value: JSON.stringify(s) })) });
    }
    await producer.disconnect();

    const got = await alerts.waitFor((as) => as.some((a) => a.status === 'firing'), 90_000, 'the eu-1 spike');
    await sleep(2500);
    const firing = alerts.values().filter((a) => a.status === 'firing');
    expect(firing.map((a) => [a.service, a.kind, a.metric])).toStrictEqual([[EU, 'spike', 'queue_depth']]);
    expect(got.find((a) => a.status === 'firing')?.window.start).toBe(new Date(baseMs + 14 * WINDOW_MS).toISOString());
    for (const item of alerts.items) expect(item.key).toBe(serviceKey(item.value.service));

    // Stage 1 keyed every partial by its full service key (cluster included).
    const partials = windows.items.filter((m) => m.value.type !== 'watermark');
    expect([...new Set(partials.map((m) => m.key))].sort()).toStrictEqual(KEYS);
    for (const m of partials) expect(m.key).toBe(serviceKey(m.value.service!));

    // Stage 2 kept three states, one per identity.
    let saved = await store.load(KEYS);
    for (let t = 0; t < 100 && [...saved.values()].some((s) => s.windows < 20); t++) {
      await sleep(100);
      saved = await store.load(KEYS);
    }
    expect(KEYS.map((k) => saved.get(k)?.service)).toStrictEqual([EU, NONE, US]);
    for (const k of KEYS) expect(saved.get(k)?.windows).toBeGreaterThanOrEqual(20);
  });
});
