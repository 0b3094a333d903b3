/** The memory state store passes the StateStore contract (no raw access: no corrupt record case). */
import { MemoryStateStore } from '../../../src/stores/memory/store.js';
import { stateStoreContract } from '../../contract/state-store.js';

stateStoreContract('memory', () =>
  Promise.resolve({
    store: new MemoryStateStore(),
    other: () => Promise.resolve(new MemoryStateStore()),
    close: () => Promise.resolve(),
  }),
);
