/** Learned profiles (src/core/profile/learn.ts): peaks per interval, OOM bump, idempotence, bounds. */
import { describe, expect, test } from 'vitest';
import { MEMORY_HISTOGRAM, bucketOf } from '../../../src/core/profile/histogram.js';
import { DEFAULT_PROFILE_LEARN, containerNameOf, emptyLearnedProfile, learnProfile } from '../../../src/core/profile/learn.js';
import { recommend } from '../../../src/core/profile/recommend.js';
import { type WindowPartial, emptyPartial } from '../../../src/core/window/partial.js';
import { type CounterState } from '../../../src/core/window/metrics.js';

const W = 60_000;
const DAY = 86_400_000;
const svc = { namespace: 'shop', name: 'cart' };
const ID = 'shop/cart-7c9b4d8f5-xk2pq/app';

function window(k: number, mem: number, cpuNs: number, ooms?: number, edges: WindowPartial['edges'] = {}): WindowPartial {
  const p = emptyPartial(svc, k * W, W);
  const ts = k * W + 1000;
  p.containers[ID] = {
    gauges: { memory_working_set_bytes: { n: 1, sum: mem, min: mem, max: mem } },
    counters: { cpu_usage_ns: { first: { ts, v: cpuNs }, last: { ts, v: cpuNs } } },
  };
  if (ooms !== undefined) p.containers[ID].counters.oom_events = { first: { ts, v: ooms }, last: { ts, v: ooms } };
  p.edges = edges;
  return p;
}

function replay(windows: WindowPartial[]) {
  let profile = emptyLearnedProfile();
  let counters: CounterState = {};
  for (const p of windows) {
    profile = learnProfile(profile, p, counters, {}, DEFAULT_PROFILE_LEARN);
    const c = p.containers[ID];
    const points: CounterState[string]['points'] = { ...(counters[ID]?.points ?? {}) };
    if (c?.counters.cpu_usage_ns) points.cpu_usage_ns = c.counters.cpu_usage_ns.last;
    if (c?.counters.oom_events) points.oom_events = c.counters.oom_events.last;
    counters = { [ID]: { lastWindowStart: p.windowStart, points } };
  }
  return profile;
}

describe('container names', () => {
  test.each([
    ['shop/cart-abc-x/app', 'app'],
    ['shop/cart-abc-x/POD', undefined],
    ['payments-api', 'payments-api'],
    ['shop/cart-abc-x/my%2Fctr', 'my/ctr'],
  ])('%s → %s', (id, name) => {
    expect(containerNameOf(id)).toBe(name);
  });
});

describe('learning', () => {
  test('one memory peak per 24 h interval: a larger value in the interval replaces the peak', () => {
    const perDay = DAY / W;
    const ws = Array.from({ length: perDay * 2 }, (_, k) => window(k, k === 10 ? 9e8 : k === perDay + 5 ? 4e8 : 3e8, k * 6e9));
    const c = replay(ws).containers.app;
    const buckets = Object.keys(c?.memory.w ?? {})
      .map(Number)
      .sort((a, b) => a - b);
    expect(buckets).toEqual([bucketOf(MEMORY_HISTOGRAM, 4e8), bucketOf(MEMORY_HISTOGRAM, 9e8)]);
  });

  test('CPU: one sample per window after the first, at the counter rate; confidence grows with history', () => {
    const ws = Array.from({ length: 1441 }, (_, k) => window(k, 3e8, k * 30e9)); // 0.5 cores
    const profile = replay(ws);
    expect(profile.containers.app?.samples).toBe(1440);
    const rec = recommend(profile);
    expect(rec.containers[0]?.confidenceDays).toBeCloseTo(1439 / 1440, 6);
    expect(rec.containers[0]?.cpuCores.target).toBeGreaterThan(0.5 * 1.15);
    expect(rec.containers[0]?.cpuCores.target).toBeLessThan(0.5 * 1.15 * 1.06);
  });

  test('an OOM kill adds max(peak + 100 MiB, peak × 1.2) as the interval peak', () => {
    const ws = [window(0, 3e8, 0), window(1, 3e8, 6e9), window(2, 3e8, 12e9, 1)];
    const c = replay(ws).containers.app;
    expect(c?.ooms).toBe(1);
    expect(Object.keys(c?.memory.w ?? {})).toEqual([String(bucketOf(MEMORY_HISTOGRAM, Math.max(3e8 + 100 * 1024 * 1024, 3e8 * 1.2)))]);
  });

  test('a replayed window changes nothing', () => {
    const once = replay([window(0, 3e8, 0), window(1, 3e8, 6e9)]);
    const again = learnProfile(once, window(1, 5e8, 9e9), {}, { requests_per_s: 5 }, DEFAULT_PROFILE_LEARN);
    expect(again).toBe(once);
  });

  test('peers: first/last seen and volume; bounded, the least recently seen evicted and counted', () => {
    const edge = (name: string) => ({
      [`out:shop/${name}`]: { direction: 'outbound' as const, peer: { namespace: 'shop', name }, requests: 2, errors: 1, bytes: 100 },
    });
    const lp = { ...DEFAULT_PROFILE_LEARN, maxPeers: 2 };
    let p = emptyLearnedProfile();
    p = learnProfile(p, window(0, 3e8, 0, undefined, edge('a')), {}, {}, lp);
    p = learnProfile(p, window(1, 3e8, 0, undefined, { ...edge('a'), ...edge('b') }), {}, {}, lp);
    expect(p.peers['out:shop/a']).toMatchObject({ firstSeen: 0, lastSeen: W, requests: 4, errors: 2, bytes: 200 });
    p = learnProfile(p, window(2, 3e8, 0, undefined, edge('c')), {}, {}, lp);
    expect(Object.keys(p.peers).sort()).toEqual(['out:shop/b', 'out:shop/c'].sort());
    expect(p.overflow.peers).toBe(1);
  });
});
