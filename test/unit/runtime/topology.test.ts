/**
 * One input, two ways: through the topology driver (both Kafka workers over in-memory
 * topics, the real codecs, the memory store, a fake clock) and through `replay` (the pure
 * pipeline). Both call the same step functions, so they give the same alerts, ids included.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { replay } from '../../../src/cli/replay.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { SyntheticMesh } from '../../../src/demo/mesh.js';
import { testConfig } from '../../helpers.js';
import { TopologyDriver } from '../../topology-driver.js';

const WINDOW_MS = 10_000;
const drivers: TopologyDriver[] = [];
afterEach(async () => {
  for (const d of drivers.splice(0)) await d.stop();
});

const key = (a: Alert): string => `${a.id} ${a.status} ${a.kind} ${a.service.name} ${a.metric} ${a.window.start}`;

describe('topology driver', () => {
  it('gives the alerts replay gives for the same input', { timeout: 120_000 }, async () => {
    const config = testConfig('topology');
    const baseMs = Date.UTC(2026, 11, 1, 9, 0, 0);
    const mesh = new SyntheticMesh(
      WINDOW_MS,
      [
        { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 16, to: 22 },
        { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 17, to: 22 },
      ],
      7,
    );
    const windows = Array.from({ length: 28 }, (_, i) => mesh.window(baseMs, i));

    const replayed: Alert[] = [];
    const lines = windows.flatMap((w) => [...w.envoy, ...w.cadvisor]);
    await replay(config, Readable.from(lines.map((l) => l + '\n')), (a) => replayed.push(a));

    const driver = new TopologyDriver(config, { partitions: 2, startMs: baseMs + 28 * WINDOW_MS });
    drivers.push(driver);
    await driver.start();
    for (const w of windows) {
      await driver.pipeInput(config.kafka.topics.envoy[0]!, w.envoy);
      await driver.pipeInput(config.kafka.topics.cadvisor[0]!, w.cadvisor);
      await driver.drain();
      await driver.advance(250);
    }
    await driver.advance(15_000); // input quiet: every source idle, the last windows close

    expect(driver.fatal).toEqual([]);
    expect(replayed.some((a) => a.status === 'firing' && a.service.name === 'checkout' && a.metric === 'cpu_cores')).toBe(true);
    expect(driver.alerts.map(key).sort()).toEqual(replayed.map(key).sort());
    expect(driver.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' })).toBe(0);
  });
});
