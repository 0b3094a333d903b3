/**
 * The state changelog against the real broker and Redis: saves reach the compacted topic, a
 * Redis that lost the states (its keys and marker deleted under this test's own prefix) gets the
 * latest ones back on the next load without a newer state being replaced, and a restore skips
 * tombstones and unreadable records and reads only the partitions asked for.
 */
import { type Producer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { KafkaChangelogReader, prepareChangelogTopic } from '../../src/sources/kafka/changelog.js';
import { ChangelogStateStore, type RestoreReport, changelogRecord, restoreFromChangelog } from '../../src/stores/changelog/store.js';
import { keysFor } from '../../src/stores/redis/keys.js';
import { RedisRestoreTarget } from '../../src/stores/redis/restore.js';
import { storyState } from '../contract/state-store.js';
import { redisStoreFor, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const svc = (name: string): ServiceId => ({ namespace: 'shop', name });

async function subject(label: string) {
  const run = uniqueId(label);
  const config = testConfig(run);
  const kafka = testKafka(run);
  const topic = config.kafka.topics.changelog;
  const admin = kafka.admin();
  await admin.connect();
  const warnings = await prepareChangelogTopic(admin, topic, 2, 1);
  await admin.disconnect();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const sink = new BoundedProducer(producer, { topicBytes: new Map(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 });
  const redis = await redisStoreFor(config, cleanups);
  const target = new RedisRestoreTarget(redis.connection, config.redis.keyPrefix);
  const reader = new KafkaChangelogReader(kafka, topic, `${run}-detect`);
  const restores: RestoreReport[] = [];
  const store = new ChangelogStateStore(redis, sink, reader, target, { topic, onRestore: (r) => restores.push(r) });
  /** Redis loses everything of this prefix: the states and the marker. */
  const lose = async (): Promise<void> => {
    await redis.clear();
    const keys = keysFor(config.redis.keyPrefix);
    await redis.connection.redis.del(keys.restored(0), keys.restored(1));
  };
  cleanups.push(() => lose());
  return { topic, warnings, producer, redis, target, reader, store, restores, lose };
}

describe('state changelog', { timeout: 120_000 }, () => {
  it('restores the latest saved states into a Redis that lost them, never replacing one that is there', async () => {
    const s = await subject('changelog');
    expect(s.warnings).toEqual([]);
    // A fresh deployment: nothing to restore, then the marker says Redis holds the states.
    expect(await s.store.restoreIfLost()).toMatchObject({ records: 0, services: 0, written: 0 });
    expect(await s.store.restoreIfLost()).toBeUndefined();

    const [a, b] = [svc('cart'), svc('payments')];
    await s.store.save([storyState(a, 20), storyState(b, 32)]);
    await s.store.save([storyState(a, 33)]);
    await s.lose();
    // Meanwhile a detect instance saved a newer state of b to Redis alone: it stays.
    const newer = storyState(b, 40);
    await s.redis.save([newer]);

    const got = await s.store.load([serviceKey(a), serviceKey(b), serviceKey(svc('new'))]);
    expect(got.get(serviceKey(a))).toEqual(storyState(a, 33));
    expect(got.get(serviceKey(b))).toEqual(newer);
    expect(got.has(serviceKey(svc('new')))).toBe(false);
    // Only the partitions of the services the load missed (cart, new) were read.
    const read = new Set([a, svc('new')].map((x) => s.reader.partitionOf(serviceKey(x), 2)));
    expect(s.restores.at(-1)).toMatchObject({ partitions: read.size, written: 1, unreadable: 0 });
    expect(await s.target.lost([0, 1])).toEqual([0, 1].filter((p) => !read.has(p)));
    // The rest at the next start-up (or miss); the newer state of b still stays.
    await s.store.restoreIfLost();
    expect(await s.target.lost([0, 1])).toEqual([]);
    expect((await s.redis.load([serviceKey(b)])).get(serviceKey(b))).toEqual(newer);
    // Every marker is back: a miss no longer reads the changelog.
    const restores = s.restores.length;
    await s.store.load([serviceKey(svc('other'))]);
    expect(s.restores).toHaveLength(restores);
  });

  it("places a service's records where the producers' default partitioner puts its windows", async () => {
    const s = await subject('changelog-place');
    const keys = ['shop/cart', 'shop/payments', 'eu:shop/db', 'ads/ads', 'a/b', 'x/y'];
    for (const key of keys) {
      const [sent] = await s.producer.send({ topic: s.topic, messages: [{ key, value: '{}' }] });
      expect({ key, partition: sent?.partition }).toEqual({ key, partition: s.reader.partitionOf(key, 2) });
    }
  });

  it('skips tombstones and unreadable records, and reads only the partitions asked for', async () => {
    const s = await subject('changelog-parts');
    const [x, y, z] = [svc('x'), svc('y'), svc('z')];
    await s.producer.send({
      topic: s.topic,
      messages: [
        { ...changelogRecord(storyState(x, 20)), partition: 0 },
        { ...changelogRecord(storyState(y, 20)), partition: 0 },
        { key: serviceKey(y), value: null, partition: 0 },
        { key: serviceKey(svc('bad')), value: '{"v":1,"fields":{"meta":"{"}}', partition: 0 },
        { ...changelogRecord(storyState(z, 25)), partition: 1 },
      ],
    });
    const keys = [x, y, z].map(serviceKey);

    const one = await restoreFromChangelog(s.reader, s.target, [1]);
    expect(one).toMatchObject({ records: 1, partitions: 1, services: 1, written: 1, unreadable: 0 });
    expect([...(await s.redis.load(keys)).keys()]).toEqual([serviceKey(z)]);

    const all = await restoreFromChangelog(s.reader, s.target, undefined);
    expect(all).toMatchObject({ records: 5, partitions: 2, services: 2, written: 1, unreadable: 1 });
    const got = await s.redis.load(keys);
    expect(got.get(serviceKey(x))).toEqual(storyState(x, 20));
    expect(got.has(serviceKey(y))).toBe(false);
    expect(await s.target.lost([0, 1])).toEqual([]);
  });
});
