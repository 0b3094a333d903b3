/** The memory pod table passes the PodTable contract, with a fake clock. */
import { MemoryPodTable } from '../../../src/stores/memory/pod-table.js';
import { podTableContract } from '../../contract/pod-table.js';

podTableContract('memory', () => {
  let now = 1_000_000;
  const table = new MemoryPodTable(1000, () => now);
  return Promise.resolve({
    table,
    ttlMs: 1000,
    pass: (ms: number) => {
      now += ms;
      return Promise.resolve();
    },
    // The memory table stores what it is given: a bad value reaches it only through put.
    poison: (key: string, value: string) => table.put([{ key, name: value }]),
    cleanup: () => table.close(),
  });
});
