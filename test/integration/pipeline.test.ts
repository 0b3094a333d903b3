/**
 * End to end through the real broker and the real Redis: Istio access logs (Fluent Bit
 * envelope) and cAdvisor driver messages on the raw topics → both stages → alerts on the
 * alerts topic; and a restart mid-stream that resumes from Redis.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { type Injection, SyntheticMesh } from '../../src/demo/mesh.js';
import { type Running, startMeshwatch } from '../../src/runtime/app.js';
import { type RedisStateStore } from '../../src/stores/redis/store.js';
import { type Config } from '../../src/config/schema.js';
import { Collector, createTopics, produceMeshWindows, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function start(config: Readonly<Config>): Promise<Running> {
  const app = await startMeshwatch(config);
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await app.stop();
  });
  return {
    ...app,
    stop: async () => {
      stopped = true;
      await app.stop();
    },
  };
}

async function collectAlerts(run: string, config: Readonly<Config>): Promise<Collector<Alert>> {
  await createTopics(config);
  const c = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
  cleanups.push(() => c.stop());
  return c;
}

const redisStore = (config: Readonly<Config>): Promise<RedisStateStore> => redisStoreFor(config, cleanups);

/** A window-aligned start that puts `windows` windows of data just behind now (the ingest's event-time guard refuses old data). */
const recentBase = (windows: number): number => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (windows + 2) * WINDOW_MS;

const isCpuSpike = (a: Alert): boolean => a.service.name === 'checkout' && a.kind === 'spike' && a.metric === 'cpu_cores';

describe('pipeline through real Kafka and Redis', { timeout: 240_000 }, () => {
  it('turns Envoy and cAdvisor records into alerts on the alerts topic', async () => {
    const run = uniqueId('e2e');
    const config = testConfig(run);
    const store = await redisStore(config);
    const injections: Injection[] = [
      { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 16, to: 22 },
      { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 17, to: 22 },
    ];
    const mesh = new SyntheticMesh(WINDOW_MS, injections, 7);
    const baseMs = recentBase(28);
    const app = await start(config);
    const alerts = await collectAlerts(run, config);
    await produceMeshWindows(run, config, mesh, baseMs, 0, 28);

    const got = await alerts.waitFor(
      (as) =>
        as.some((a) => a.status === 'firing' && isCpuSpike(a)) && as.some((a) => a.kind === 'new_peer' && a.peer?.name === 'payments'),
      90_000,
      'the CPU spike and the new peer',
    );
    await sleep(2500);
    const all = alerts.values();
    for (const a of all) expect(AlertSchema.parse(a)).toEqual(a);
    for (const item of alerts.items) expect(item.key).toBe(`${item.value.service.namespace}/${item.value.service.name}`);

    const cpu = got.find((a) => a.status === 'firing' && isCpuSpike(a))!;
    // Only CPU moves (no other kind of signal of checkout corroborates it): the spike fires on its
    // second window, by persistence, not on its first (detect/corroboration.ts).
    expect(cpu.window.start).toBe(new Date(baseMs + 17 * WINDOW_MS).toISOString());
    const peer = all.find((a) => a.kind === 'new_peer')!;
    expect(peer.service).toEqual({ namespace: 'shop', name: 'frontend' });
    expect(peer.window.start).toBe(new Date(baseMs + 17 * WINDOW_MS).toISOString());

    const touched = new Set(['checkout', 'frontend', 'payments']);
    expect(all.filter((a) => a.status === 'firing' && !touched.has(a.service.name))).toEqual([]);

    const saved = await store.load(['shop/checkout']);
    expect(saved.get('shop/checkout')?.windows).toBeGreaterThanOrEqual(26);
    expect(app.counters.total('received')).toBeGreaterThan(0);
  });

  it('resumes from Redis after a restart: no re-warming, no second alert id for the same episode', async () => {
    const run = uniqueId('restart');
    const config = testConfig(run);
    const store = await redisStore(config);
    const mesh = new SyntheticMesh(WINDOW_MS, [{ kind: 'cpu_spike', service: 'checkout', factor: 6, from: 15, to: 21 }], 11);
    const baseMs = recentBase(28);
    const alerts = await collectAlerts(run, config);
    const windowsOf = async (): Promise<number> => (await store.load(['shop/checkout'])).get('shop/checkout')?.windows ?? 0;

    // Phase 1: warm-up (12 windows needed), then stop.
    const first = await start(config);
    await produceMeshWindows(run, config, mesh, baseMs, 0, 15);
    for (let t = 0; t < 300 && (await windowsOf()) < 15; t++) await sleep(100);
    expect(await windowsOf()).toBe(15);
    await first.stop();
    expect(alerts.values().filter((a) => a.status === 'firing')).toEqual([]);

    // Phase 2: a new process; the spike starts at once. Only a baseline loaded from Redis can judge it.
    const second = await start(config);
    await produceMeshWindows(run, config, mesh, baseMs, 15, 18);
    await alerts.waitFor((as) => as.some((a) => a.status === 'firing' && isCpuSpike(a)), 60_000, 'the CPU spike after restart');
    await second.stop(); // mid-episode

    // Phase 3: another process finishes the episode.
    await start(config);
    await produceMeshWindows(run, config, mesh, baseMs, 18, 28);
    await alerts.waitFor((as) => as.some((a) => a.status === 'resolved' && isCpuSpike(a)), 60_000, 'the resolution');
    await sleep(2000);

    const episode = alerts.values().filter(isCpuSpike);
    const ids = new Set(episode.map((a) => a.id));
    expect(ids.size).toBe(1);
    expect(episode.filter((a) => a.status === 'resolved')).toHaveLength(1);
    // A lone CPU spike fires on its second window (detect/corroboration.ts), still in phase 2.
    expect(episode[0]!.window.start).toBe(new Date(baseMs + 16 * WINDOW_MS).toISOString());
    // The last windows close once the input is quiet (every source caught up and idle).
    for (let t = 0; t < 300 && (await windowsOf()) < 27; t++) await sleep(100);
    expect(await windowsOf()).toBeGreaterThanOrEqual(27);
  });
});
