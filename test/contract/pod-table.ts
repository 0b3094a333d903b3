/**
 * The PodTable contract (src/stores/types.ts), run against every adapter: memory
 * (test/unit/stores/pod-table.test.ts) and Redis (test/integration/redis-pod-table.test.ts).
 * `setup` gives a table whose entries expire `ttlMs` after their last write, a way to let time
 * pass (a fake clock, or a real wait), and `poison` to store a value meshwatch never writes.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { podKey } from '../../src/core/model.js';
import { type PodTable } from '../../src/stores/types.js';

export interface PodTableHarness {
  table: PodTable;
  ttlMs: number;
  pass(ms: number): Promise<void>;
  poison(podKey: string, value: string): Promise<void>;
  cleanup(): Promise<void>;
}

export function podTableContract(name: string, setup: () => Promise<PodTableHarness>): void {
  describe(`PodTable contract: ${name}`, { timeout: 30_000 }, () => {
    const harnesses: PodTableHarness[] = [];
    afterEach(async () => {
      for (const h of harnesses.splice(0)) await h.cleanup();
    });
    const make = async (): Promise<PodTableHarness> => {
      const h = await setup();
      harnesses.push(h);
      return h;
    };
    const A = podKey('eu-1', 'shop', 'cart-7d9f8c6b5d-x2x7k');
    const B = podKey('us-2', 'shop', 'cart-7d9f8c6b5d-x2x7k');
    const C = podKey(undefined, 'weird/ns', 'pod:{x}');

    test('answers what was written, per pod key (clusters and escaped names apart); unknown pods are absent', async () => {
      const { table } = await make();
      expect(await table.get([A, B])).toStrictEqual([]);
      await table.put([
        { key: A, name: 'cart' },
        { key: C, name: 'odd' },
      ]);
      expect(await table.get([A, B, C])).toStrictEqual([
        { key: A, name: 'cart' },
        { key: C, name: 'odd' },
      ]);
      await table.put([{ key: A, name: 'cart-eu' }]);
      expect(await table.get([A])).toStrictEqual([{ key: A, name: 'cart-eu' }]);
      expect(await table.get([])).toStrictEqual([]);
    });

    test('an entry expires ttlMs after its last write; a rewrite keeps it', async () => {
      const h = await make();
      await h.table.put([
        { key: A, name: 'cart' },
        { key: B, name: 'cart' },
      ]);
      await h.pass(h.ttlMs / 2);
      await h.table.put([{ key: A, name: 'cart' }]);
      await h.pass(h.ttlMs / 2 + 50);
      expect(await h.table.get([A, B])).toStrictEqual([{ key: A, name: 'cart' }]);
    });

    test('a stored value that is not a plausible name is absent', async () => {
      const h = await make();
      await h.poison(A, 'x'.repeat(300));
      await h.poison(B, 'bad\u0000name');
      await h.poison(C, '');
      expect(await h.table.get([A, B, C])).toStrictEqual([]);
    });
  });
}
