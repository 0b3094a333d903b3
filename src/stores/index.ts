export { type PodTable, type StateStore } from './types.js';
export { MemoryPodTable } from './memory/pod-table.js';
export { RedisPodTable, type RedisPodTableOptions } from './redis/pod-table.js';
export { MemoryStateStore } from './memory/store.js';
export { RedisStateStore, type RedisStoreOptions, redisStoreOptionsOf } from './redis/store.js';
export { RedisConnection, type RedisConnectionOptions, type RedisEvent } from './redis/connection.js';
export { keysFor, type Keys } from './redis/keys.js';
