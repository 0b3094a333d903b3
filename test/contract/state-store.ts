/**
 * The StateStore contract: every adapter (Redis, memory) runs these assertions, so the memory
 * fake stays honest. A subject provides a store under a key prefix of its own, a second store of
 * the same kind under another prefix (same backing server where there is one), and, where the
 * adapter has them, a way to write an unreadable record and to clear its prefix.
 *
 * The states are realistic: built by closing a CPU story (warm-up, a spike that opens an
 * episode, a working set, outbound calls that record peers) through closeServiceWindow.
 */
import { describe, expect, it } from 'vitest';
import { type ServiceId, serviceKey } from '../../src/core/model.js';
import { closeServiceWindow } from '../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../src/core/pipeline/service-state.js';
import { MeshwatchError } from '../../src/errors.js';
import { type StateStore } from '../../src/stores/types.js';
import { PARAMS, calm, quiet, spike, story } from '../unit/pipeline/story.js';

export interface StateStoreSubject {
  store: StateStore;
  /** A store of the same kind under another key prefix (same server where there is one). */
  other(): Promise<StateStore>;
  /** Stores an unreadable record for this service key (adapters that can be handed raw bytes). */
  corrupt?(serviceKey: string, how: 'meta' | 'baseline' | 'type'): Promise<void>;
  /** Removes every record under the subject's prefix (adapters that can). */
  clear?(): Promise<void>;
  close(): Promise<void>;
}

const PEERS: ServiceId[] = [
  { namespace: 'shop', name: 'payments' },
  { namespace: 'shop', name: 'db', cluster: 'eu' },
];

/**
 * The state of `service` after `windows` windows of a story: 30 quiet windows with a working set
 * and calls to two peers, then 3 cores (an open spike episode from window 30 on), then calm.
 */
export function storyState(service: ServiceId, windows = 32): ServiceState {
  const specs = [...quiet(30), ...spike(3, 3), ...calm(10, 33)]
    .slice(0, windows)
    .map((s, i) => ({ ...s, service, memory: 300e6 + i * 1000, calls: i % 3 === 0 ? PEERS : [] }));
  let state = emptyServiceState(service);
  for (const p of story(specs)) state = closeServiceWindow(state, p, PARAMS).state;
  return state;
}

const keyOf = (s: ServiceState): string => serviceKey(s.service);

export function stateStoreContract(name: string, make: () => Promise<StateStoreSubject>): void {
  describe(`StateStore contract: ${name}`, { timeout: 30_000 }, () => {
    const cart: ServiceId = { namespace: 'shop', name: 'cart' };

    const using = async (body: (s: StateStoreSubject) => Promise<void>): Promise<void> => {
      const s = await make();
      try {
        await body(s);
      } finally {
        await s.close();
      }
    };

    it('the story state is realistic: baselines, peers and an open episode', () => {
      const s = storyState(cart);
      expect(Object.keys(s.baselines)).toEqual(expect.arrayContaining(['cpu_cores', 'memory_working_set_bytes', 'requests_per_s']));
      expect(Object.keys(s.peers)).toHaveLength(2);
      expect(Object.keys(s.episodes)).toEqual(['spike:cpu_cores']);
      expect(Object.keys(s.counters).length).toBeGreaterThan(0);
    });

    it('loads nothing for unknown keys, and nothing for no keys', () =>
      using(async ({ store }) => {
        expect((await store.load([])).size).toBe(0);
        expect((await store.load(['shop/unknown', 'eu:shop/unknown'])).size).toBe(0);
      }));

    it('round-trips a state: what load returns deep-equals what was saved', () =>
      using(async ({ store }) => {
        const s = storyState(cart);
        await store.save([s]);
        const got = await store.load([keyOf(s)]);
        expect([...got.keys()]).toEqual([keyOf(s)]);
        expect(got.get(keyOf(s))).toEqual(s);
      }));

    it('hands out copies: mutating a loaded or saved state does not change the stored one', () =>
      using(async ({ store }) => {
        const s = storyState(cart);
        await store.save([s]);
        const first = (await store.load([keyOf(s)])).get(keyOf(s));
        first!.windows = -7;
        first!.baselines.cpu_cores!.level = 1e9;
        expect((await store.load([keyOf(s)])).get(keyOf(s))).toEqual(storyState(cart));
      }));

    it('is idempotent: saving the same state twice loads as once', () =>
      using(async ({ store }) => {
        const s = storyState(cart);
        await store.save([s]);
        await store.save([s]);
        expect((await store.load([keyOf(s)])).get(keyOf(s))).toEqual(s);
      }));

    it('a later save replaces the earlier state of the service', () =>
      using(async ({ store }) => {
        await store.save([storyState(cart, 31)]);
        const later = storyState(cart, 40);
        await store.save([later]);
        expect((await store.load([keyOf(later)])).get(keyOf(later))).toEqual(later);
      }));

    it('saves and loads several services in one call, missing ones simply absent', () =>
      using(async ({ store }) => {
        const states = ['a', 'b', 'c'].map((n, i) => storyState({ namespace: 'shop', name: n }, 25 + i));
        await store.save(states);
        const got = await store.load([...states.map(keyOf), 'shop/none']);
        expect(got.size).toBe(3);
        for (const s of states) expect(got.get(keyOf(s))).toEqual(s);
      }));

    it('services whose keys differ only by cluster or escaping never overwrite each other', () =>
      using(async ({ store }) => {
        const ids: ServiceId[] = [
          { namespace: 'shop', name: 'cart/x' },
          { namespace: 'shop/cart', name: 'x' },
          { namespace: 'shop', name: 'cart' },
          { namespace: 'shop', name: 'cart', cluster: 'eu' },
          { namespace: 'shop', name: 'cart', cluster: 'us' },
          { namespace: 'eu:shop', name: 'cart' },
          { namespace: 'shop', name: '{cart}' },
          { namespace: 'shop', name: 'cart%2F' },
        ];
        const states = ids.map((id, i) => storyState(id, 24 + i));
        expect(new Set(states.map(keyOf)).size).toBe(ids.length);
        await store.save(states);
        const got = await store.load(states.map(keyOf));
        expect(got.size).toBe(ids.length);
        for (const s of states) {
          expect(got.get(keyOf(s))?.service).toEqual(s.service);
          expect(got.get(keyOf(s))).toEqual(s);
        }
      }));

    it('a state saved under one key prefix is invisible under another', () =>
      using(async (subject) => {
        const other = await subject.other();
        try {
          const mine = storyState(cart, 30);
          await subject.store.save([mine]);
          expect((await other.load([keyOf(mine)])).size).toBe(0);
          const theirs = storyState(cart, 26);
          await other.save([theirs]);
          expect((await subject.store.load([keyOf(mine)])).get(keyOf(mine))).toEqual(mine);
          expect((await other.load([keyOf(theirs)])).get(keyOf(theirs))).toEqual(theirs);
        } finally {
          await other.close();
        }
      }));

    it('clear removes only its own prefix', () =>
      using(async (subject) => {
        if (!subject.clear) return;
        const other = await subject.other();
        try {
          const s = storyState(cart, 25);
          await subject.store.save([s]);
          await other.save([s]);
          await subject.clear();
          expect((await subject.store.load([keyOf(s)])).size).toBe(0);
          expect((await other.load([keyOf(s)])).get(keyOf(s))).toEqual(s);
        } finally {
          await other.close();
        }
      }));

    it.each(['meta', 'baseline', 'type'] as const)('an unreadable stored record (%s) is reported as MW_STORE_CODEC', (how) =>
      using(async (subject) => {
        if (!subject.corrupt) return;
        const good = storyState({ namespace: 'shop', name: 'good' }, 25);
        await subject.store.save([good, storyState(cart, 25)]);
        await subject.corrupt(serviceKey(cart), how);
        const err = await subject.store.load([keyOf(good), serviceKey(cart)]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(MeshwatchError);
        expect((err as MeshwatchError).code).toBe('MW_STORE_CODEC');
        expect((err as MeshwatchError).message).toContain(serviceKey(cart));
        // the readable record next to it still loads on its own
        expect((await subject.store.load([keyOf(good)])).get(keyOf(good))).toEqual(good);
      }),
    );
  });
}
