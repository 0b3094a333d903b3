/**
 * The Redis state store passes the StateStore contract against the real Redis (REDIS_URL):
 * a unique key prefix per test, a raw client to write unreadable records, every prefix removed
 * after the test.
 */
import { Redis } from 'ioredis';
import { keysFor } from '../../src/stores/redis/keys.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { stateStoreContract } from '../contract/state-store.js';
import { REDIS_URL, uniqueId } from '../helpers.js';

stateStoreContract('redis', async () => {
  const prefix = uniqueId('mwcontract');
  const otherPrefix = `${prefix}-other`;
  const store = new RedisStateStore({ url: REDIS_URL, keyPrefix: prefix });
  await store.connect();
  const raw = new Redis(REDIS_URL, { lazyConnect: true });
  await raw.connect();
  const others: RedisStateStore[] = [];
  return {
    store,
    other: async () => {
      const other = new RedisStateStore({ url: REDIS_URL, keyPrefix: otherPrefix });
      await other.connect();
      others.push(other);
      return other;
    },
    corrupt: async (serviceKey, how) => {
      const key = keysFor(prefix).state(serviceKey);
      if (how === 'meta') await raw.hset(key, 'meta', '{"v":1,');
      else if (how === 'baseline') await raw.hset(key, 'b:cpu_cores', JSON.stringify({ v: 2, n: 'many' }));
      else {
        await raw.del(key);
        await raw.set(key, 'not a hash');
      }
    },
    clear: async () => {
      await store.clear();
    },
    close: async () => {
      await store.clear(prefix);
      await store.clear(otherPrefix);
      await store.close();
      for (const o of others) await o.close().catch(() => undefined);
      raw.disconnect();
    },
  };
});
