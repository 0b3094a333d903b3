/**
 * Catch-up: more than 500k real-format records on two topics whose fetches cover very
 * different spans of event time (access logs on 2 partitions, container stats on 6: one fetch
 * of the stats topic spans ~20× the event time of one of the access-log topic), all produced
 * before meshwatch starts, then consumed from the beginning by a fresh group. Nothing may be
 * dropped as late or closed early, and the alerts must be those of `replay` on the same records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { startMeshwatch } from '../../src/runtime/app.js';
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

const WINDOWS = 560;

describe('catch-up from the beginning of a backlog', { timeout: 900_000 }, () => {
  it('drops nothing as late and raises the alerts replay raises', async () => {
    const run = uniqueId('catchup');
    const config = testConfig(run);
    await createFaultTopics(config);
    await redisStoreFor(config, cleanups);
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 60) * WINDOW_MS;
    const input = meshInput(baseMs, WINDOWS);
    expect(input.records).toBeGreaterThanOrEqual(500_000);
    const expected = await undisturbed(config, input);
    expect(expected.alerts.filter((a) => a.status === 'firing').length).toBeGreaterThanOrEqual(3);

    const producedAt = Date.now();
    await produceInput(config, input);
    const produceMs = Date.now() - producedAt;

    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());
    const started = Date.now();
    const app = await startMeshwatch(config, { onWarning: () => undefined });
    cleanups.push(() => app.stop());
    const closed = (): number => app.counters.get('windows', { stage: 'detect' });
    const end = Date.now() + 800_000;
    while (closed() < expected.windowsClosed && Date.now() < end) await sleep(500);
    const catchUpMs = Date.now() - started;
    await sleep(3000);

    const late = app.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' });
    const early = app.counters.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_CLOSED_EARLY' });
    const c = compareAlerts(expected.alerts, alerts.values());
    figures('catch-up', {
      records: input.records,
      windows_expected: expected.windowsClosed,
      windows_closed: closed(),
      late_dropped: late,
      closed_early: early,
      alerts_expected: c.expected,
      alerts_got: c.got,
      lost: c.lost.length,
      extra: c.extra.length,
      duplicated: c.duplicated.length,
      produce_s: (produceMs / 1000).toFixed(1),
      catch_up_s: (catchUpMs / 1000).toFixed(1),
    });
    expect(late).toBe(0);
    expect(early).toBe(0);
    expect(closed()).toBe(expected.windowsClosed);
    expectSameAlerts(c);
  });
});
