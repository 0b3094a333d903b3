/**
 * Backpressure: a slow Redis (every save waits) and a slow alerts topic (every delivery
 * waits) while meshwatch works through a backlog. Stage 2 takes each batch's effects in
 * turn before it reads on, so consumption slows down: nothing is closed early or dropped as
 * late, and the closed-window count and the alerts are those of `replay` (the heap growth
 * is reported, not asserted).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { type ServiceState } from '../../src/core/pipeline/service-state.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { type AlertSink, type Delivery } from '../../src/runtime/ports.js';
import { KafkaAlertSink } from '../../src/sinks/kafka/alerts.js';
import { BoundedProducer } from '../../src/sinks/kafka/produce.js';
import { type StateStore } from '../../src/stores/types.js';
import { Collector, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';
import {
  WINDOW_MS,
  compareAlerts,
  createFaultTopics,
  expectSameAlerts,
  figures,
  meshInput,
  produceInput,
  undisturbed,
} from './mesh-run.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const WINDOWS = 150;
const SAVE_DELAY_MS = 250;
const DELIVERY_DELAY_MS = 400;

class SlowStore implements StateStore {
  saves = 0;
  constructor(private readonly inner: StateStore) {}
  load(keys: readonly string[]): Promise<Map<string, ServiceState>> {
    return this.inner.load(keys);
  }
  async save(states: readonly ServiceState[]): Promise<void> {
    this.saves++;
    await sleep(SAVE_DELAY_MS);
    return this.inner.save(states);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

class SlowSink implements AlertSink {
  deliveries = 0;
  constructor(private readonly inner: AlertSink) {}
  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    this.deliveries++;
    await sleep(DELIVERY_DELAY_MS);
    return this.inner.deliver(alerts);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('backpressure from a slow Redis and a slow alerts topic', { timeout: 900_000 }, () => {
  it('slows consumption down: nothing closed early or late, the same alerts', async () => {
    const run = uniqueId('backpressure');
    const config = testConfig(run);
    await createFaultTopics(config);
    const store = new SlowStore(await redisStoreFor(config, cleanups));
    const producer = testKafka(run).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const sink = new SlowSink(
      new KafkaAlertSink(
        new BoundedProducer(producer, { topicBytes: new Map(), defaultTopicBytes: 1024 * 1024, maxRequestBytes: 1024 * 1024 }),
        config.kafka.topics.alerts,
      ),
    );
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 60) * WINDOW_MS;
    const input = meshInput(baseMs, WINDOWS);
    const expected = await undisturbed(config, input);
    expect(expected.alerts.some((a) => a.status === 'firing')).toBe(true);
    await produceInput(config, input);

    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapMax = heapBefore;
    const started = Date.now();
    const app = await startMeshwatch(config, { store, alertSink: sink, onWarning: () => undefined });
    cleanups.push(() => app.stop());
    const closed = (): number => app.counters.get('windows', { stage: 'detect' });
    const end = Date.now() + 800_000;
    while (closed() < expected.windowsClosed && Date.now() < end) {
      heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
      await sleep(500);
    }
    const elapsedMs = Date.now() - started;
    await sleep(3000);

    const late = app.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' });
    const early = app.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_CLOSED_EARLY' });
    const c = compareAlerts(expected.alerts, alerts.values());
    figures('backpressure', {
      records: input.records,
      saves: store.saves,
      deliveries: sink.deliveries,
      windows_expected: expected.windowsClosed,
      windows_closed: closed(),
      late_dropped: late,
      closed_early: early,
      alerts_expected: c.expected,
      alerts_got: c.got,
      lost: c.lost.length,
      duplicated: c.duplicated.length,
      heap_growth_mib: ((heapMax - heapBefore) / 2 ** 20).toFixed(0),
      elapsed_s: (elapsedMs / 1000).toFixed(1),
    });
    expect(store.saves).toBeGreaterThan(10);
    expect(late).toBe(0);
    expect(early).toBe(0);
    expect(closed()).toBe(expected.windowsClosed);
    expectSameAlerts(c);
  });
});
