/**
 * One input, two ways: through the topology driver (both Kafka workers over in-memory
 * topics, the real codecs, the memory store, a fake clock) and through `replay` (the pure
 * pipeline). Both call the same step functions, so they give the same alerts, ids included.
 * And stage 2 as a cache: with a failing delivery, save or commit, the driver still gives
 * exactly those alerts, each delivered once.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { replay } from '../../../src/cli/replay.js';
import { type Config } from '../../../src/config/schema.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { type ServiceState } from '../../../src/core/pipeline/service-state.js';
import { SyntheticMesh } from '../../../src/demo/mesh.js';
import { MeshwatchError } from '../../../src/errors.js';
import { type AlertSink, type Delivery } from '../../../src/runtime/ports.js';
import { MemoryAlertSink } from '../../../src/sinks/memory/alerts.js';
import { MemoryStateStore } from '../../../src/stores/memory/store.js';
import { testConfig } from '../../helpers.js';
import { type DriverOptions, TopologyDriver } from '../../topology-driver.js';

const WINDOW_MS = 10_000;
const BASE_MS = Date.UTC(2026, 11, 1, 9, 0, 0);
const drivers: TopologyDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

const key = (a: Alert): string => `${a.id} ${a.status} ${a.kind} ${a.service.name} ${a.metric} ${a.window.start}`;
const isCpuFiring = (a: Alert): boolean => a.status === 'firing' && a.service.name === 'checkout' && a.metric === 'cpu_cores';

function input(): { envoy: string[]; cadvisor: string[] }[] {
  const mesh = new SyntheticMesh(
    WINDOW_MS,
    [
      { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 16, to: 22 },
      { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 17, to: 22 },
    ],
    7,
  );
  return Array.from({ length: 28 }, (_, i) => mesh.window(BASE_MS, i));
}

async function replayed(config: Readonly<Config>): Promise<Alert[]> {
  const out: Alert[] = [];
  const lines = input().flatMap((w) => [...w.envoy, ...w.cadvisor]);
  await replay(config, Readable.from(lines.map((l) => l + '\n')), (a) => out.push(a));
  return out;
}

async function driven(config: Readonly<Config>, opts: DriverOptions = {}): Promise<TopologyDriver> {
  const driver = new TopologyDriver(config, { partitions: 2, startMs: BASE_MS + 28 * WINDOW_MS, ...opts });
  drivers.push(driver);
  await driver.start();
  for (const w of input()) {
    await driver.pipeInput(config.kafka.topics.envoy[0]!, w.envoy);
    await driver.pipeInput(config.kafka.topics.cadvisor[0]!, w.cadvisor);
    await driver.drain();
    await driver.advance(250);
  }
  await driver.advance(15_000); // input quiet: every source idle, the last windows close
  expect(driver.fatal).toEqual([]);
  return driver;
}

class FlakySink implements AlertSink {
  readonly inner = new MemoryAlertSink();
  constructor(private times: number) {}
  deliver(alerts: readonly Alert[]): Promise<Delivery> {
    if (this.times > 0 && alerts.some(isCpuFiring)) {
      this.times--;
      return Promise.resolve({ ok: false, retriable: true, error: new MeshwatchError('MW_SINK_DELIVERY', 'injected') });
    }
    return this.inner.deliver(alerts);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

class FlakyStore extends MemoryStateStore {
  armed = false;
  override save(states: readonly ServiceState[]): Promise<void> {
    if (this.armed) {
      this.armed = false;
      return Promise.reject(new MeshwatchError('MW_STORE_UNAVAILABLE', 'injected'));
    }
    return super.save(states);
  }
}

describe('topology driver', { timeout: 120_000 }, () => {
  it('gives the alerts replay gives for the same input', async () => {
    const config = testConfig('topology');
    const expected = await replayed(config);
    expect(expected.some(isCpuFiring)).toBe(true);
    const driver = await driven(config);
    expect(driver.alerts.map(key).sort()).toEqual(expected.map(key).sort());
    expect(driver.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' })).toBe(0);
  });

  it('a delivery that fails twice: the same alerts, each delivered once', async () => {
    const config = testConfig('topology-sink');
    const sink = new FlakySink(2);
    const driver = await driven(config, { alertSink: sink });
    expect(driver.counters.get('resets', { stage: 'detect' })).toBe(2);
    expect(sink.inner.delivered.map(key).sort()).toEqual((await replayed(config)).map(key).sort());
  });

  it('a save that fails after the alert was delivered: the same alerts, none delivered twice', async () => {
    const config = testConfig('topology-save');
    const store = new FlakyStore();
    const sink = new MemoryAlertSink();
    const driver = new TopologyDriver(config, { partitions: 2, startMs: BASE_MS + 28 * WINDOW_MS, store, alertSink: sink });
    // Arm the store when the anomaly is acknowledged: the save that follows fails.
    const deliver = sink.deliver.bind(sink);
    let armed = false;
    sink.deliver = async (alerts) => {
      const d = await deliver(alerts);
      if (!armed && alerts.some(isCpuFiring)) store.armed = armed = true;
      return d;
    };
    drivers.push(driver);
    await driver.start();
    for (const w of input()) {
      await driver.pipeInput(config.kafka.topics.envoy[0]!, w.envoy);
      await driver.pipeInput(config.kafka.topics.cadvisor[0]!, w.cadvisor);
      await driver.drain();
      await driver.advance(250);
    }
    await driver.advance(15_000);
    expect(driver.fatal).toEqual([]);
    expect(armed && !store.armed).toBe(true);
    expect(driver.counters.get('resets', { stage: 'detect' })).toBe(1);
    expect(sink.delivered.map(key).sort()).toEqual((await replayed(config)).map(key).sort());
  });

  it('commits that fail: the same alerts, each delivered once', async () => {
    const config = testConfig('topology-commit');
    let failures = 0;
    const sink = new MemoryAlertSink();
    const driver = await driven(config, { alertSink: sink, failCommit: () => failures++ % 7 === 3 && failures < 40 });
    expect(driver.counters.get('resets', { stage: 'detect' })).toBeGreaterThan(0);
    expect(sink.delivered.map(key).sort()).toEqual((await replayed(config)).map(key).sort());
  });
});

describe('input alignment during a catch-up', { timeout: 120_000 }, () => {
  it('pauses the sparse topic that runs ahead: nothing late, nothing closed early, the alerts replay gives', async () => {
    // One batch of container stats spans ~25 windows, one of access logs ~4: without alignment
    // stage 2 would hold more than maxPendingWindows open and close some early.
    const config = testConfig('topology-align', { ingest: { alignWindows: 3 }, bounds: { maxPendingWindows: 10 } });
    const expected = await replayed(config);
    const driver = new TopologyDriver(config, { partitions: 2, batchRecords: 1500, startMs: BASE_MS + 28 * WINDOW_MS });
    drivers.push(driver);
    await driver.start();
    for (const w of input()) {
      await driver.pipeInput(config.kafka.topics.envoy[0]!, w.envoy);
      await driver.pipeInput(config.kafka.topics.cadvisor[0]!, w.cadvisor);
    }
    await driver.advance(15_000);
    expect(driver.fatal).toEqual([]);
    expect(driver.counters.get('paused', { stage: 'ingest', reason: 'alignment' })).toBeGreaterThan(0);
    expect(driver.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' })).toBe(0);
    expect(driver.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_CLOSED_EARLY' })).toBe(0);
    expect(driver.alerts.map(key).sort()).toEqual(expected.map(key).sort());
  });

  it('without alignment the same catch-up closes windows early, and says so with a data_loss alert', async () => {
    const config = testConfig('topology-noalign', { ingest: { alignWindows: 1000 }, bounds: { maxPendingWindows: 10 } });
    const driver = new TopologyDriver(config, { partitions: 2, batchRecords: 1500, startMs: BASE_MS + 28 * WINDOW_MS });
    drivers.push(driver);
    await driver.start();
    for (const w of input()) {
      await driver.pipeInput(config.kafka.topics.envoy[0]!, w.envoy);
      await driver.pipeInput(config.kafka.topics.cadvisor[0]!, w.cadvisor);
    }
    await driver.advance(15_000);
    expect(driver.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_CLOSED_EARLY' })).toBeGreaterThan(0);
    expect(driver.alerts.filter((a) => a.kind === 'data_loss' && a.status === 'firing').map((a) => a.service.name)).toEqual(['meshwatch']);
  });
});
