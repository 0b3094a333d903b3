/**
 * Stage 2 as a cache over durable state, through the real broker and Redis: when the alert
 * delivery fails (twice), when a state save fails (once), and when the delivery fails in the
 * idle-close path, the partition's state is dropped and re-read from the last commit; the
 * anomaly's alert then arrives on the alerts topic exactly once, with the id an undisturbed
 * run gives (the same input through `replay`, the pure pipeline).
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { replay } from '../../src/cli/replay.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type ServiceState } from '../../src/core/pipeline/service-state.js';
import { type Injection, SyntheticMesh } from '../../src/demo/mesh.js';
import { MeshwatchError } from '../../src/errors.js';
import { type Running, startMeshwatch } from '../../src/runtime/app.js';
import { type AlertSink, type Delivery } from '../../src/runtime/ports.js';
import { KafkaAlertSink } from '../../src/sinks/kafka/alerts.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { type RedisStateStore } from '../../src/stores/redis/store.js';
import { type StateStore } from '../../src/stores/types.js';
import { Collector, createTopics, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const INJECTIONS: Injection[] = [{ kind: 'cpu_spike', service: 'checkout', factor: 6, from: 16, to: 22 }];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const isCpuSpike = (a: Alert): boolean => a.service.name === 'checkout' && a.kind === 'spike' && a.metric === 'cpu_cores';
const anomalyFiring = (as: readonly Alert[]): boolean => as.some((a) => a.status === 'firing' && isCpuSpike(a));

/** The mesh's records for windows [0, to), in the order they are produced. */
function records(baseMs: number, to: number): { envoy: string[]; cadvisor: string[] }[] {
  const mesh = new SyntheticMesh(WINDOW_MS, INJECTIONS, 11);
  return Array.from({ length: to }, (_, i) => mesh.window(baseMs, i));
}

async function undisturbed(config: Readonly<Config>, baseMs: number, to: number): Promise<Alert[]> {
  const lines = records(baseMs, to).flatMap((w) => [...w.envoy, ...w.cadvisor]);
  const out: Alert[] = [];
  await replay(config, Readable.from(lines.map((l) => l + '\n')), (a) => out.push(a));
  return out;
}

/** Fails `times` deliveries that carry the anomaly's firing alert, then delivers. */
class FlakySink implements AlertSink {
  failures = 0;
  constructor(
    private readonly inner: AlertSink,
    private times: number,
  ) {}
  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    if (this.times > 0 && anomalyFiring(alerts)) {
      this.times--;
      this.failures++;
      return { ok: false, retriable: true, error: new MeshwatchError('MW_SINK_DELIVERY', 'injected delivery failure') };
    }
    return this.inner.deliver(alerts);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Fails the first save after `arm()` with MW_STORE_UNAVAILABLE. */
class FlakyStore implements StateStore {
  armed = false;
  failures = 0;
  constructor(private readonly inner: StateStore) {}
  load(keys: readonly string[]): Promise<Map<string, ServiceState>> {
    return this.inner.load(keys);
  }
  save(states: readonly ServiceState[]): Promise<void> {
    if (this.armed) {
      this.armed = false;
      this.failures++;
      return Promise.reject(new MeshwatchError('MW_STORE_UNAVAILABLE', 'injected save failure'));
    }
    return this.inner.save(states);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function setUp(label: string): Promise<{ run: string; config: Readonly<Config>; store: RedisStateStore; alerts: Collector<Alert> }> {
  const run = uniqueId(label);
  const config = testConfig(run);
  await createTopics(config);
  const store = await redisStoreFor(config, cleanups);
  const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
  cleanups.push(() => alerts.stop());
  return { run, config, store, alerts };
}

/** A Kafka alert sink of the test's own (so a wrapper can sit in front of it). */
async function kafkaSink(run: string, config: Readonly<Config>): Promise<KafkaAlertSink> {
  const producer = testKafka(run).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const bounded = new BoundedProducer(producer, { topicBytes: new Map(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 });
  return new KafkaAlertSink(bounded, config.kafka.topics.alerts);
}

async function produce(run: string, config: Readonly<Config>, baseMs: number, to: number): Promise<void> {
  const producer = testKafka(run).producer();
  await producer.connect();
  for (const w of records(baseMs, to)) {
    await producer.sendBatch({
      topicMessages: [
        { topic: config.kafka.topics.envoy[0]!, messages: w.envoy.map((value) => ({ value })) },
        { topic: config.kafka.topics.cadvisor[0]!, messages: w.cadvisor.map((value) => ({ value })) },
      ],
    });
  }
  await producer.disconnect();
}

async function start(config: Readonly<Config>, opts: Parameters<typeof startMeshwatch>[1]): Promise<Running> {
  const app = await startMeshwatch(config, opts);
  cleanups.push(() => app.stop());
  return app;
}

/** Every (id, status, window) on the topic exactly once, and the anomaly's firing alert has the undisturbed id. */
function expectExactlyOnce(got: Alert[], expected: Alert[]): void {
  const keys = got.map((a) => `${a.id}|${a.status}|${a.window.start}`);
  expect(new Set(keys).size).toBe(keys.length);
  const firing = got.filter((a) => a.status === 'firing' && isCpuSpike(a));
  expect(firing).toHaveLength(1);
  const want = expected.filter((a) => a.status === 'firing' && isCpuSpike(a));
  expect(want).toHaveLength(1);
  expect(firing[0]!.id).toBe(want[0]!.id);
  expect(firing[0]!.window).toEqual(want[0]!.window);
}

describe('stage 2 recovers from failed effects by re-reading from its last commit', { timeout: 240_000 }, () => {
  const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 40 * WINDOW_MS;

  it('a delivery that fails twice: the alert arrives once, with the undisturbed id', async () => {
    const { run, config, alerts } = await setUp('rec-sink');
    const expected = await undisturbed(config, baseMs, 28);
    const sink = new FlakySink(await kafkaSink(run, config), 2);
    const app = await start(config, { alertSink: sink });
    await produce(run, config, baseMs, 28);
    await alerts.waitFor(anomalyFiring, 90_000, 'the CPU spike');
    await alerts.waitFor((as) => as.some((a) => a.status === 'resolved' && isCpuSpike(a)), 90_000, 'its resolution');
    await sleep(2000);
    expect(sink.failures).toBe(2);
    expect(app.counters.get('resets', { stage: 'detect' })).toBeGreaterThanOrEqual(2);
    expectExactlyOnce(alerts.values(), expected);
  });

  it('a save that fails once after the alert was delivered: the alert is not delivered again', async () => {
    const { run, config, store, alerts } = await setUp('rec-save');
    const expected = await undisturbed(config, baseMs, 28);
    const flaky = new FlakyStore(store);
    let armedOnce = false;
    const app = await start(config, {
      store: flaky,
      onAlert: (a) => {
        if (!armedOnce && a.status === 'firing' && isCpuSpike(a)) flaky.armed = armedOnce = true;
      },
    });
    await produce(run, config, baseMs, 28);
    await alerts.waitFor((as) => as.some((a) => a.status === 'resolved' && isCpuSpike(a)), 90_000, 'the CPU spike and its resolution');
    await sleep(2000);
    expect(flaky.failures).toBe(1);
    expect(app.counters.get('resets', { stage: 'detect' })).toBeGreaterThanOrEqual(1);
    expectExactlyOnce(alerts.values(), expected);
    // The state that failed to save was rebuilt and saved on the re-read.
    expect((await store.load(['shop/checkout'])).get('shop/checkout')?.windows).toBeGreaterThanOrEqual(26);
  });

  it('a delivery that fails in the idle-close path: the alert arrives once, with the undisturbed id', async () => {
    const { run, config, alerts } = await setUp('rec-idle');
    // Input ends right after the spike's second window, the one it fires on (a lone CPU spike
    // fires by persistence: detect/corroboration.ts): with one window of allowed lateness, only
    // the idle-close timer (input quiet) closes it.
    const expected = await undisturbed(config, baseMs, 18);
    const sink = new FlakySink(await kafkaSink(run, config), 1);
    const app = await start(config, { alertSink: sink });
    await produce(run, config, baseMs, 18);
    await alerts.waitFor(anomalyFiring, 90_000, 'the CPU spike');
    await sleep(2000);
    expect(sink.failures).toBe(1);
    expect(app.counters.get('resets', { stage: 'detect' })).toBeGreaterThanOrEqual(1);
    expectExactlyOnce(alerts.values(), expected);
  });
});
