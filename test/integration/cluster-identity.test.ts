/**
 * Clusters and the pod join through the real broker and Redis: access logs of the same pod name
 * `shop/cart-…` on two topics configured as clusters eu-1 and us-2, and the eu-1 pod's app
 * container (no pod labels) on the cAdvisor topic configured as eu-1. Stage 1 keys partials by
 * the full service key (cluster included), names the app container by the access logs' labels
 * (joined through the Redis pod table), and never merges the two clusters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { podKey } from '../../src/core/model.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { RedisPodTable } from '../../src/stores/redis/pod-table.js';
import { Collector, createTopics, testConfig, testKafka, uniqueId } from '../helpers.js';

const POD = 'cart-v1-7d9f8c6b5d-x2x7k';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const inbound = (ts: number): Record<string, unknown> => ({
  start_time: new Date(ts).toISOString(),
  response_code: 200,
  response_flags: '-',
  bytes_received: 0,
  bytes_sent: 100,
  duration: 3,
  protocol: 'HTTP/1.1',
  upstream_cluster: 'inbound|8080||',
  requested_server_name: 'outbound_.8080_._.cart.shop.svc.cluster.local',
});

describe('cluster identity end to end', { timeout: 120_000 }, () => {
  it('keeps clusters apart and joins an unlabelled container to its pod name', async () => {
    const run = uniqueId('clusterid');
    const eu = `${run}.envoy-eu`;
    const us = `${run}.envoy-us`;
    const config = testConfig(run, {
      kafka: { topics: { envoy: [eu, us] } },
      identity: { clusters: { [eu]: 'eu-1', [us]: 'us-2', [`${run}.stats`]: 'eu-1' }, holdMs: 60_000 },
    });
    await createTopics(config);
    const windows = await new Collector<{ type?: string; containers?: Record<string, unknown> }>(
      testKafka(run),
      config.kafka.topics.windows,
    ).start();
    cleanups.push(() => windows.stop());
    const pods = new RedisPodTable({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, ttlMs: 60_000 });
    await pods.connect();
    cleanups.push(async () => {
      await pods.clear();
      await pods.close();
    });
    const app = await startMeshwatch(config);
    cleanups.push(() => app.stop());

    const ts = Date.now() - 30_000;
    const fluentBit = (line: Record<string, unknown>): string =>
      JSON.stringify({ log: JSON.stringify(line), kubernetes: { pod_name: POD, namespace_name: 'shop', labels: { app: 'cart' } } });
    const container = JSON.stringify({
      container_Name: 'b'.repeat(64),
      container_Id: 'b'.repeat(64),
      container_labels: { 'io.kubernetes.pod.name': POD, 'io.kubernetes.pod.namespace': 'shop', 'io.kubernetes.container.name': 'cart' },
      container_stats: {
        timestamp: new Date(ts).toISOString(),
        cpu: { usage: { total: 5e9, user: 4e9, system: 1e9 } },
        memory: { usage: 2e8, working_set: 1e8 },
      },
    });
    const producer = testKafka(run).producer();
    await producer.connect();
    // The container first: it waits for its pod's name.
    await producer.send({ topic: `${run}.stats`, messages: [{ value: container }] });
    await producer.send({ topic: eu, messages: [{ value: fluentBit(inbound(ts)) }] });
    await producer.send({ topic: us, messages: [{ value: fluentBit(inbound(ts)) }, { value: fluentBit(inbound(ts + 1)) }] });
    await producer.disconnect();

    const partials = (): typeof windows.items => windows.items.filter((m) => m.value.type !== 'watermark');
    await windows.waitFor(
      () =>
        partials().some((m) => m.key === 'us-2:shop/cart') &&
        partials().some((m) => m.key === 'eu-1:shop/cart' && Object.keys(m.value.containers ?? {}).length > 0),
      60_000,
      'both clusters, the container under eu-1:shop/cart',
    );
    expect([...new Set(partials().map((m) => m.key))].sort()).toStrictEqual(['eu-1:shop/cart', 'us-2:shop/cart']);
    expect(await pods.get([podKey('eu-1', 'shop', POD), podKey('us-2', 'shop', POD)])).toStrictEqual([
      { key: podKey('eu-1', 'shop', POD), name: 'cart' },
      { key: podKey('us-2', 'shop', POD), name: 'cart' },
    ]);
  });
});
