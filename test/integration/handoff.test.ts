/**
 * The stage-1 → stage-2 hand-off through the real broker and Redis: 10,000 services in one
 * input batch reach a windows topic with a small record limit (256 KiB) without a stall
 * (requests are split to the topic's limit), every record is consumed and a window closes
 * for every service; and a consumer that stops for good makes the process report a fatal
 * MW error instead of running on with a frozen lag.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/schema.js';
import { type Running, startMeshwatch } from '../../src/runtime/app.js';
import { DLQ_TOPIC_CONFIG, ensureTopics } from '../../src/sources/kafka/client.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function createTopicsWithWindowsLimit(config: Readonly<Config>, windowsBytes: number): Promise<void> {
  const admin = testKafka(config.kafka.clientId).admin();
  await admin.connect();
  const t = config.kafka.topics;
  await ensureTopics(admin, [...t.envoy, ...t.cadvisor, ...t.samples, t.windows, t.alerts, t.dlq], config.kafka.partitions, 1, {
    [t.dlq]: DLQ_TOPIC_CONFIG,
    [t.windows]: { 'max.message.bytes': String(windowsBytes) },
  });
  await admin.disconnect();
}

async function produceSamples(run: string, topic: string, lines: string[]): Promise<void> {
  const producer = testKafka(run).producer();
  await producer.connect();
  for (let i = 0; i < lines.length; i += 2000) {
    await producer.send({ topic, messages: lines.slice(i, i + 2000).map((value) => ({ value, partition: 0 })) });
  }
  await producer.disconnect();
}

/** Committed offsets of a group against the end offsets of a topic, per partition. */
async function lagOf(run: string, groupId: string, topic: string): Promise<{ committed: number; end: number }> {
  const admin = testKafka(run).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let c = 0;
    let e = 0;
    for (const p of ends) {
      e += Number(p.high);
      const o = Number(committed?.partitions.find((x) => x.partition === p.partition)?.offset ?? '-1');
      c += o < 0 ? Number(p.low) : o;
    }
    return { committed: c, end: e };
  } finally {
    await admin.disconnect();
  }
}

async function startApp(config: Readonly<Config>, warnings: string[] = []): Promise<Running> {
  const app = await startMeshwatch(config, { onWarning: (w) => warnings.push(w) });
  cleanups.push(() => app.stop());
  return app;
}

describe('hand-off through the real broker', { timeout: 240_000 }, () => {
  it('moves 10,000 services through a 256 KiB windows topic: no stall, every record consumed, every window closed', async () => {
    const run = uniqueId('handoff');
    const SERVICES = 10_000;
    // A mesh of 10,000 services is sized for: the default service cap (2,000 per detect process,
    // for a bounded heap) and its admission rate would refuse most of them by design.
    const config = testConfig(run, { bounds: { maxServices: 20_000, newServicesBurst: 20_000 } });
    await createTopicsWithWindowsLimit(config, 256 * 1024);
    const store = new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix });
    await store.connect();
    cleanups.push(async () => {
      await store.clear(config.redis.keyPrefix);
      await store.close();
    });

    // Recent event time, one window, one record per service: all in the input before meshwatch starts.
    const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 6 * WINDOW_MS;
    const lines = Array.from({ length: SERVICES }, (_, i) =>
      JSON.stringify({ ts: t0 + (i % 1000), service: `load/svc-${i}`, metric: 'queue_depth', value: i }),
    );
    await produceSamples(run, config.kafka.topics.samples[0]!, lines);

    const started = Date.now();
    const warnings: string[] = [];
    const app = await startApp(config, warnings);
    expect(warnings.some((w) => w.includes(config.kafka.topics.windows) && w.includes('max.message.bytes'))).toBe(true);
    let stalled: unknown;
    void app.fatal.then((e) => (stalled = e));

    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && app.counters.get('windows', { stage: 'detect' }) < SERVICES && stalled === undefined) await sleep(250);
    expect(stalled).toBeUndefined();
    expect(app.counters.get('windows', { stage: 'detect' })).toBe(SERVICES);
    const seconds = (Date.now() - started) / 1000;

    // Every input record consumed and committed; stage 2 committed up to the end of the windows topic.
    expect(app.counters.get('received', { stage: 'ingest' })).toBe(SERVICES);
    expect(await lagOf(run, config.kafka.groups.ingest, config.kafka.topics.samples[0]!)).toEqual({ committed: SERVICES, end: SERVICES });
    let windowsLag = await lagOf(run, config.kafka.groups.detect, config.kafka.topics.windows);
    for (let t = 0; t < 100 && windowsLag.committed !== windowsLag.end; t++) {
      await sleep(200);
      windowsLag = await lagOf(run, config.kafka.groups.detect, config.kafka.topics.windows);
    }
    expect(windowsLag.committed).toBe(windowsLag.end);

    const requests = app.counters.get('produce_requests', { stage: 'ingest', topic: 'windows' });
    expect(requests).toBeGreaterThan(8); // ≥ 2 MB of partials through a 256 KiB limit
    const keys = Array.from({ length: SERVICES }, (_, i) => `load/svc-${i}`);
    const saved = await store.load(keys);
    expect(saved.size).toBe(SERVICES);
    expect([...saved.values()].every((s) => s.windows === 1 && s.lastWindowStart === t0)).toBe(true);
    process.stdout.write(
      `hand-off: ${SERVICES} records, ${SERVICES} services, ${requests} produce requests to the windows topic ` +
        `(+ watermark reports: ${app.counters.get('sent', { stage: 'ingest' })} partials sent), ${app.counters.get('windows', { stage: 'detect' })} windows closed, ${seconds.toFixed(1)} s\n`,
    );
  });

  it('refuses to start on a compacted windows topic, naming topic and setting; warns on another partition count', async () => {
    const run = uniqueId('topiccfg');
    const config = testConfig(run, { kafka: { partitions: 3 } });
    const admin = testKafka(run).admin();
    await admin.connect();
    await ensureTopics(admin, [config.kafka.topics.windows], 2, 1, { [config.kafka.topics.windows]: { 'cleanup.policy': 'compact' } });
    await admin.disconnect();
    const err = await startMeshwatch(config).then(
      (app) => app.stop().then(() => undefined),
      (e: unknown) => e as { code?: string; message?: string },
    );
    expect(err?.code).toBe('MW_KAFKA_TOPIC_CONFIG');
    expect(err?.message).toContain(config.kafka.topics.windows);
    expect(err?.message).toContain('cleanup.policy');

    const other = testConfig(uniqueId('topicpart'), { kafka: { partitions: 3 } });
    await createTopicsWithWindowsLimit({ ...other, kafka: { ...other.kafka, partitions: 2 } }, 8 * 1024 * 1024);
    const warnings: string[] = [];
    await startApp(other, warnings);
    expect(warnings.filter((w) => w.includes('partitions'))).toEqual([
      expect.stringContaining(`topic ${other.kafka.topics.windows}: has 2 partitions, config kafka.partitions is 3`),
    ]);
  });

  it('reports a record larger than the windows topic allows as a fatal MW_KAFKA_MESSAGE_TOO_LARGE', async () => {
    const run = uniqueId('toolarge');
    const config = testConfig(run, { role: 'ingest', bounds: { maxMetricsPerService: 5000 } });
    await createTopicsWithWindowsLimit(config, 64 * 1024);
    const t0 = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    // One service with 3,000 gauges: its partial is ~200 KB, over the topic's 64 KiB.
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ts: t0, service: 'load/wide', metric: `m_${i}`, value: i }));
    await produceSamples(run, config.kafka.topics.samples[0]!, lines);
    const app = await startApp(config);
    const fatal = await Promise.race([app.fatal, sleep(60_000).then(() => undefined)]);
    expect(fatal?.code).toBe('MW_KAFKA_MESSAGE_TOO_LARGE');
    expect(fatal?.message).toContain(config.kafka.topics.windows);
    expect(fatal?.message).toContain('max.message.bytes');
  });

  it('stops with a fatal MW error when a consumer hits an error it will not retry (onDecodeError=fail)', async () => {
    const run = uniqueId('crash');
    const config = testConfig(run, { role: 'ingest', ingest: { onDecodeError: 'fail' } });
    await createTopicsWithWindowsLimit(config, 1024 * 1024);
    const fired: string[] = [];
    const app = await startMeshwatch(config, { onFatal: (e) => fired.push(e.code) });
    cleanups.push(() => app.stop());
    await produceSamples(run, config.kafka.topics.samples[0]!, ['{"ts": 1, "service": "shop/x"', 'not json']);
    const fatal = await Promise.race([app.fatal, sleep(60_000).then(() => undefined)]);
    expect(fatal?.code).toBe('MW_DECODE_TRUNCATED');
    expect(fatal?.message).toContain(`${config.kafka.topics.samples[0]}/0@0`);
    expect(fired).toEqual(['MW_DECODE_TRUNCATED']);
  });
});
