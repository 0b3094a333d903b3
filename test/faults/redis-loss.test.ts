/**
 * Redis loses everything while meshwatch is stopped: meshwatch runs on a redis-server of this
 * test's own, is stopped mid-stream (after the first incident, before the others), that Redis
 * is flushed, and meshwatch starts again on the rest of the input. The service states must come
 * back from the state changelog before any window is judged (the same states as before the
 * loss: no baseline restarted from zero, no warm-up gap), and the alerts on the topic must be
 * those of `replay` on the same records (ids, kinds, services, window starts), with the windows
 * every service closed adding up to replay's count. Then `meshwatch state rebuild` refills a
 * flushed Redis with the final states.
 */
import { type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { stateCommand } from '../../src/cli/state.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type ServiceState } from '../../src/core/pipeline/service-state.js';
import { DEMO_SERVICES, NAMESPACE } from '../../src/demo/mesh.js';
import { type Running, startMeshwatch } from '../../src/runtime/app.js';
import { type RedisStateStore } from '../../src/stores/redis/store.js';
import { freePort, startRedis } from '../cli-process.js';
import { Collector, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';
import * as mesh from './mesh-run.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const WINDOWS = 140;
/** Stopped after the CPU spike (windows 40–46), before the latency spike (70) and the new edge (100). */
const STOP_AFTER = 60;
const SERVICE_KEYS = DEMO_SERVICES.map((s) => `${NAMESPACE}/${s.name}`);

async function states(store: RedisStateStore): Promise<Map<string, ServiceState>> {
  return store.load(SERVICE_KEYS);
}

async function windowsStored(store: RedisStateStore): Promise<number> {
  return [...(await states(store)).values()].reduce((n, s) => n + s.windows, 0);
}

async function until(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Waits until the stored window count stops moving for `quietMs` (every window of the input so far closed). */
async function settled(store: RedisStateStore, quietMs: number, timeoutMs: number): Promise<number> {
  let last = -1;
  let since = Date.now();
  const end = Date.now() + timeoutMs;
  for (;;) {
    const n = await windowsStored(store);
    if (n !== last) [last, since] = [n, Date.now()];
    else if (n > 0 && Date.now() - since >= quietMs) return n;
    if (Date.now() > end) throw new Error(`windows stored still moving (${n}) after ${timeoutMs} ms`);
    await sleep(500);
  }
}

describe('Redis loses everything while meshwatch is stopped', { timeout: 900_000 }, () => {
  it('restores the states from the changelog: same alerts, no warm-up gap; state rebuild refills Redis', async () => {
    const port = await freePort();
    const redis: ChildProcess = await startRedis(port);
    cleanups.push(async () => {
      redis.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
    });
    const run = uniqueId('redis-loss');
    const config: Readonly<Config> = testConfig(run, { redis: { url: `redis://127.0.0.1:${port}` } });
    await mesh.createFaultTopics(config);
    const store = await redisStoreFor(config, cleanups);
    const flushAll = async (): Promise<void> => {
      await store.connection.redis.flushall();
      expect(await store.connection.redis.dbsize()).toBe(0);
    };

    const baseMs = Math.floor(Date.now() / mesh.WINDOW_MS) * mesh.WINDOW_MS - (WINDOWS + 60) * mesh.WINDOW_MS;
    const input = mesh.meshInput(baseMs, WINDOWS, 7, mesh.EARLY_INJECTIONS);
    const expected = await mesh.undisturbed(config, input);
    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());
    const logs: string[] = [];
    const start = async (): Promise<Running> => {
      const app = await startMeshwatch(config, { onWarning: (m) => logs.push(m) });
      cleanups.push(() => app.stop());
      return app;
    };

    // The first part of the input, every window of it closed, then a clean stop.
    const first = await start();
    await mesh.produceInput(config, input, 0, STOP_AFTER);
    const windowsAtStop = await settled(store, 5000, 300_000);
    await first.stop();
    const before = await states(store);
    expect(before.size).toBe(SERVICE_KEYS.length);

    // Redis loses everything; meshwatch starts again and restores before reading a window.
    await flushAll();
    const restartedAt = Date.now();
    const second = await start();
    const startMs = Date.now() - restartedAt;
    const restored = await states(store);
    const line = logs.find((l) => l.startsWith('redis had lost the service states'));
    const restoreMs = Number(/ in (\d+) ms$/.exec(line ?? '')?.[1] ?? NaN);

    await mesh.produceInput(config, input, STOP_AFTER, WINDOWS);
    // Counted by the process (not the store), so that a run whose baselines restarted still ends.
    const closedNow = (): number => second.counters.get('windows', { stage: 'detect' });
    await until('every window closed', () => Promise.resolve(closedNow() >= expected.windowsClosed - windowsAtStop), 600_000);
    await sleep(5000);
    const stored = await windowsStored(store);
    const final = await states(store);
    await second.stop();

    const c = mesh.compareAlerts(expected.alerts, alerts.values());
    const firingAfter = alerts
      .values()
      .filter((a) => a.status === 'firing' && Date.parse(a.window.start) >= baseMs + STOP_AFTER * mesh.WINDOW_MS);
    mesh.figures('redis loss while stopped', {
      records: input.records,
      windows_at_stop: windowsAtStop,
      windows_expected: expected.windowsClosed,
      windows_stored: stored,
      services_restored: restored.size,
      alerts_expected: c.expected,
      alerts_got: c.got,
      firing_after_restart: firingAfter.length,
      lost: c.lost.length,
      extra: c.extra.length,
      duplicated: c.duplicated.length,
      split_episodes: c.splitEpisodes.length,
      restore_ms: restoreMs,
      start_with_restore_s: (startMs / 1000).toFixed(1),
    });
    // Restored before any window was judged: the states as they were at the stop.
    expect(restored).toEqual(before);
    expect(line).toMatch(new RegExp(`restored ${SERVICE_KEYS.length} of ${SERVICE_KEYS.length} services`));
    // No warm-up gap: every service kept counting its windows from where it stood.
    expect(stored).toBe(expected.windowsClosed);
    // The incidents after the restart (latency spike, new edge) need warm baselines and learned peers.
    expect(firingAfter.length).toBeGreaterThanOrEqual(2);
    mesh.expectSameAlerts(c);

    // `meshwatch state rebuild` refills a Redis that lost everything, and writes nothing twice.
    await flushAll();
    const out: string[] = [];
    expect(await stateCommand(config, 'rebuild', undefined, (l) => out.push(l))).toBe(0);
    expect(await states(store)).toEqual(final);
    expect(out[0]).toMatch(new RegExp(`${SERVICE_KEYS.length} services, ${SERVICE_KEYS.length} written, 0 already in redis`));
    expect(await stateCommand(config, 'rebuild', '0,1', (l) => out.push(l))).toBe(0);
    expect(out[1]).toMatch(new RegExp(`${SERVICE_KEYS.length} services, 0 written, ${SERVICE_KEYS.length} already in redis`));
    mesh.figures('state rebuild', { output: JSON.stringify(out[0]) });
  });
});
