/**
 * EngineStateQuery: held services are read from the engines, others from the store; the
 * listing is paged in key order and capped; keys are taken in any escaping parseServiceKey reads.
 */
import { describe, expect, it } from 'vitest';
import { type ServiceId, serviceKey } from '../../../src/core/model.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { serviceView } from '../../../src/core/pipeline/service-view.js';
import { type HeldStates, EngineStateQuery, MAX_PAGE } from '../../../src/runtime/state-query.js';
import { MemoryStateStore } from '../../../src/stores/memory/store.js';
import { DEFAULT_PROFILE_LEARN, emptyLearnedProfile, learnProfile } from '../../../src/core/profile/learn.js';
import { profileView } from '../../../src/core/profile/view.js';
import { emptyPartial } from '../../../src/core/window/partial.js';
import { storyState } from '../../contract/state-store.js';
import { DETECTION, WINDOW_MS } from '../pipeline/story.js';

const PARAMS = { detection: DETECTION, windowMs: WINDOW_MS };

function heldOf(states: ServiceState[]): HeldStates {
  const m = new Map(states.map((s) => [serviceKey(s.service), s]));
  return { heldKeys: () => [...m.keys()], heldState: (k) => m.get(k) };
}

describe('EngineStateQuery', () => {
  it('reads a held service from memory, even when the store has an older state', async () => {
    const svc: ServiceId = { namespace: 'shop', name: 'cart' };
    const store = new MemoryStateStore();
    await store.save([storyState(svc, 25)]);
    const held = storyState(svc, 32);
    const q = new EngineStateQuery(heldOf([held]), store, PARAMS);
    expect(await q.service('shop/cart')).toEqual(serviceView(held, PARAMS));
    expect((await q.service('shop/cart'))?.openEpisodes.map((e) => e.key)).toEqual(['spike:cpu_cores']);
  });

  it('falls back to the store for a service not held, and finds nothing for an unknown one', async () => {
    const svc: ServiceId = { namespace: 'shop', name: 'cart/x', cluster: 'eu' };
    const store = new MemoryStateStore();
    const stored = storyState(svc, 30);
    await store.save([stored]);
    const q = new EngineStateQuery(heldOf([]), store, PARAMS);
    expect(await q.service(serviceKey(svc))).toEqual(serviceView(stored, PARAMS));
    // the same identity, escaped in lower case
    expect(await q.service('eu:shop/cart%2fx')).toEqual(serviceView(stored, PARAMS));
    expect(await q.service('shop/nobody')).toBeUndefined();
    expect(await q.services()).toEqual([]);
  });

  it('profile(): the learned profile and its recommendation, held or stored; undefined when none is learned', async () => {
    const svc: ServiceId = { namespace: 'shop', name: 'cart' };
    const withProfile = (windows: number): ServiceState => {
      let profile = emptyLearnedProfile();
      for (let k = 0; k < windows; k++) {
        const p = emptyPartial(svc, k * WINDOW_MS, WINDOW_MS);
        p.edges['out:shop/db'] = { direction: 'outbound', peer: { namespace: 'shop', name: 'db' }, requests: 3, errors: 0, bytes: 10 };
        profile = learnProfile(profile, p, {}, { requests_per_s: 2 + k }, DEFAULT_PROFILE_LEARN);
      }
      return { ...emptyServiceState(svc), profile };
    };
    const stored = withProfile(5);
    const held = withProfile(8);
    const store = new MemoryStateStore();
    await store.save([stored, emptyServiceState({ namespace: 'shop', name: 'bare' })]);
    expect(await new EngineStateQuery(heldOf([]), store, PARAMS).profile('shop/cart')).toEqual(profileView(stored));
    const q = new EngineStateQuery(heldOf([held]), store, PARAMS);
    const view = await q.profile('shop/cart');
    expect(view).toEqual(profileView(held));
    expect(view?.recommendation.windows).toBe(8);
    expect(view?.recommendation.peers.map((p) => p.requests)).toEqual([24]);
    expect(await q.profile('shop/bare')).toBeUndefined();
    expect(await q.profile('shop/nobody')).toBeUndefined();
  });

  it('lists held services in key order, one capped page at a time', async () => {
    const states = Array.from({ length: MAX_PAGE + 50 }, (_, i) =>
      emptyServiceState({ namespace: 'ns', name: `s${String(i).padStart(4, '0')}` }),
    );
    const q = new EngineStateQuery(heldOf([...states].reverse()), new MemoryStateStore(), PARAMS);
    expect(await q.services()).toEqual(states.slice(0, 100).map((s) => s.service));
    expect(await q.services({ limit: 1e9 })).toHaveLength(MAX_PAGE);
    expect(await q.services({ limit: 3, after: 'ns/s0009' })).toEqual(states.slice(10, 13).map((s) => s.service));
    expect(await q.services({ after: 'ns/s1049' })).toEqual([]);
    expect(await q.services({ limit: -1 })).toEqual([]);
  });
});
