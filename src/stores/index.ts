export { type StateStore } from './types.js';
export { MemoryStateStore } from './memory/store.js';
export { RedisStateStore, type RedisStoreOptions, redisStoreOptionsOf } from './redis/store.js';
export { RedisConnection, type RedisConnectionOptions, type RedisEvent } from './redis/connection.js';
export { keysFor, type Keys } from './redis/keys.js';
