/**
 * Distinct identities keep distinct state in the real Redis (and, with the same assertions, in
 * the memory store): names with `/`, `{`, `}`, `:`, unicode and clusters that used to share one
 * hash each get their own key, and a state saved under an identity loads back under its key.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { type ServiceState, emptyServiceState } from '../../src/core/pipeline/service-state.js';
import { MemoryStateStore } from '../../src/stores/memory/store.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { type StateStore } from '../../src/stores/types.js';
import { REDIS_URL, uniqueId } from '../helpers.js';

const IDS: ServiceId[] = [
  { namespace: 'shop', name: 'cart/x' },
  { namespace: 'shop/cart', name: 'x' },
  { namespace: '{shop/cart}', name: 'state' },
  { namespace: 'shop', name: 'cart}:state' },
  { namespace: 'shop', name: 'cart' },
  { namespace: 'shop', name: 'cart', cluster: 'eu-1' },
  { namespace: 'shop', name: 'cart', cluster: 'us-2' },
  { namespace: 'shop', name: 'cart', cluster: 'default' },
  { namespace: 'eu-1:shop', name: 'cart' },
  { namespace: '日本', name: 'café🛒' },
];

const stateOf = (id: ServiceId, i: number): ServiceState => ({ ...emptyServiceState(id), windows: i + 1, lastWindowStart: 10_000 * i });

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function roundTrip(store: StateStore): Promise<void> {
  await store.save(IDS.map(stateOf));
  const loaded = await store.load(IDS.map((id) => serviceKey(id)));
  expect(loaded.size).toBe(IDS.length);
  IDS.forEach((id, i) => {
    const s = loaded.get(serviceKey(id));
    expect(s?.service).toStrictEqual(id);
    expect(s?.windows).toBe(i + 1);
  });
}

describe('state keys per identity', () => {
  it('memory store: every identity loads back its own state', async () => {
    await roundTrip(new MemoryStateStore());
  });

  it('redis store: every identity has its own hash, tagged with its encoded key', async () => {
    const prefix = uniqueId('mwtest-keys');
    const store = new RedisStateStore({ url: REDIS_URL, keyPrefix: prefix });
    await store.connect();
    const raw = new Redis(REDIS_URL, { lazyConnect: true });
    await raw.connect();
    cleanups.push(async () => {
      await store.clear(prefix);
      await store.close();
      raw.disconnect();
    });

    await roundTrip(store);
    const written = (await raw.keys(`${prefix}:*`)).sort();
    expect(written).toStrictEqual(IDS.map((id) => `${prefix}:{${serviceKey(id)}}:state`).sort());
    // Every key's hash tag (first `{` to next `}`) is the whole encoded identity.
    for (const k of written) expect(k.slice(k.indexOf('{') + 1, k.indexOf('}'))).not.toMatch(/[{}]/);
    expect(new Set(written.map((k) => k.slice(k.indexOf('{') + 1, k.indexOf('}')))).size).toBe(IDS.length);
  });
});
