export { type StateStore } from './types.js';
export { MemoryStateStore } from './memory/store.js';
export { RedisStateStore, type RedisStoreOptions } from './redis/store.js';
export { keysFor, type Keys } from './redis/keys.js';
