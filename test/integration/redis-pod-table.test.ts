/**
 * The Redis pod table passes the PodTable contract against the real Redis (REDIS_URL): a unique
 * key prefix per test, real expiry (PX), a raw client to store values meshwatch never writes.
 */
import { Redis } from 'ioredis';
import { keysFor } from '../../src/stores/redis/keys.js';
import { RedisPodTable } from '../../src/stores/redis/pod-table.js';
import { podTableContract } from '../contract/pod-table.js';
import { REDIS_URL, sleep, uniqueId } from '../helpers.js';

podTableContract('redis', async () => {
  const prefix = uniqueId('mwpods');
  const table = new RedisPodTable({ url: REDIS_URL, keyPrefix: prefix, ttlMs: 1500 });
  await table.connect();
  const raw = new Redis(REDIS_URL, { lazyConnect: true });
  await raw.connect();
  return {
    table,
    ttlMs: 1500,
    pass: (ms) => sleep(ms),
    poison: async (key, value) => {
      await raw.set(keysFor(prefix).pod(key), value, 'PX', 60_000);
    },
    cleanup: async () => {
      await table.clear();
      await table.close();
      raw.disconnect();
    },
  };
});
