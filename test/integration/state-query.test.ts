/**
 * The state query of a running process, through the real broker and Redis: once the synthetic
 * mesh's windows are closed, `startMeshwatch(...).query` lists the mesh's services (paged, in key
 * order) and gives each a band for cpu_cores, the same view as the state saved in Redis gives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { engineParamsOf } from '../../src/config/derive.js';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { serviceView } from '../../src/core/pipeline/service-view.js';
import { DEMO_SERVICES, SyntheticMesh } from '../../src/demo/mesh.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { createTopics, produceMeshWindows, sleep, testConfig, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const WINDOWS = 20;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('state query of a running process', { timeout: 180_000 }, () => {
  it('lists the mesh’s services and gives a band for cpu_cores', async () => {
    const run = uniqueId('query');
    const config = testConfig(run);
    await createTopics(config);
    const store = new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix });
    await store.connect();
    cleanups.push(async () => {
      await store.clear();
      await store.close();
    });
    const app = await startMeshwatch(config);
    cleanups.push(() => app.stop());
    const query = app.query!;
    expect(query).toBeDefined();

    const mesh = new SyntheticMesh(WINDOW_MS, [], 5);
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 2) * WINDOW_MS;
    await produceMeshWindows(run, config, mesh, baseMs, 0, WINDOWS);

    // Until every service's windows are closed and saved (the idle close ends the last ones).
    const names = DEMO_SERVICES.map((s) => s.name).sort();
    const saved = async (): Promise<number> =>
      [...(await store.load(names.map((name) => serviceKey({ namespace: 'shop', name })))).values()].filter((s) => s.windows >= WINDOWS - 1)
        .length;
    for (let t = 0; t < 900 && (await saved()) < names.length; t++) await sleep(100);
    expect(await saved()).toBe(names.length);

    const all = await query.services();
    expect(all.map((s) => s.name)).toEqual(names);
    expect(all.every((s) => s.namespace === 'shop')).toBe(true);
    // Paged in key order: two pages of 5 and the rest.
    const pages: ServiceId[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await query.services(after === undefined ? { limit: 5 } : { limit: 5, after });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(5);
      pages.push(...page);
      after = serviceKey(page[page.length - 1]!);
    }
    expect(pages).toEqual(all);

    const params = { detection: engineParamsOf(config).detection, windowMs: config.window.ms };
    const stored = await store.load(names.map((name) => serviceKey({ namespace: 'shop', name })));
    for (const s of all) {
      const view = await query.service(serviceKey(s));
      expect(view?.service).toEqual(s);
      const cpu = view?.metrics.find((m) => m.metric === 'cpu_cores');
      expect(cpu?.value).toBeGreaterThan(0);
      expect(cpu?.expected).not.toBeNull();
      expect(cpu!.expected!.lower).toBeLessThan(cpu!.expected!.upper);
      expect(cpu!.value!).toBeGreaterThanOrEqual(cpu!.expected!.lower);
      expect(cpu!.value!).toBeLessThanOrEqual(cpu!.expected!.upper);
      expect(view).toEqual(serviceView(stored.get(serviceKey(s))!, params));
    }
    expect(await query.service('shop/nobody')).toBeUndefined();
  });
});
