import { describe, expect, test } from 'vitest';
import { Attributor } from '../../../src/core/identity/attribution.js';
import { type Observation, type PodOrigin, eventTimeOf, podKey } from '../../../src/core/model.js';

const PARAMS = { holdMs: 90_000, maxHeld: 10, maxPods: 3, republishMs: 600_000 };
const POD = podKey('eu-1', 'bookinfo', 'reviews-v1-5b7d8c9f4d-q2wzx');

function container(name: string, pod: PodOrigin | undefined, ts = 1000): Observation {
  return {
    kind: 'container',
    stats: {
      ts,
      service: { namespace: 'bookinfo', name, cluster: 'eu-1' },
      container: `c-${name}`,
      counters: {},
      gauges: {},
      ...(pod ? { pod } : {}),
    },
  };
}
const nameOf = (o: Observation): string => (o.kind === 'container' ? o.stats.service.name : '?');
const app = (ts = 1000): Observation => container('reviews-v1', { key: POD, labelled: false }, ts);
const sandbox = (): Observation => container('reviews', { key: POD, labelled: true });
const at = (obs: Observation, offset = 0n): { obs: Observation; source: string; offset: bigint } => ({ obs, source: 'stats/0', offset });

describe('Attributor: one name per pod', () => {
  test('an app container before its sandbox in one batch takes the sandbox name; the sandbox is published once', () => {
    const a = new Attributor(PARAMS);
    const r = a.offer([at(app()), at(sandbox())], 0);
    expect(r.ready.map(nameOf)).toStrictEqual(['reviews', 'reviews']);
    expect(r.publish).toStrictEqual([{ key: POD, name: 'reviews' }]);
    expect(a.offer([at(sandbox())], 1000).publish).toStrictEqual([]);
    expect(a.offer([at(sandbox())], 600_000).publish).toStrictEqual([{ key: POD, name: 'reviews' }]);
  });

  test('held until the sandbox arrives in a later batch, with its offset and time as the floor', () => {
    const a = new Attributor(PARAMS);
    const r1 = a.offer([at(app(5000), 7n), at(app(6000), 8n)], 0);
    expect(r1).toStrictEqual({ ready: [], publish: [], lookup: [POD] });
    expect(a.floor('stats/0', eventTimeOf)).toStrictEqual({ offset: 7n, ts: 5000 });
    expect(a.floor('stats/1', eventTimeOf)).toBeUndefined();
    const r2 = a.offer([at(sandbox(), 9n)], 30_000);
    expect(r2.ready.map(nameOf)).toStrictEqual(['reviews', 'reviews', 'reviews']);
    expect(a.holding).toBe(0);
    expect(a.floor('stats/0', eventTimeOf)).toBeUndefined();
  });

  test('the shared table names a held pod (another instance saw the sandbox)', () => {
    const a = new Attributor(PARAMS);
    a.offer([at(app())], 0);
    expect(a.waiting()).toStrictEqual([POD]);
    expect(a.known([{ key: POD, name: 'reviews' }], 1000).map(nameOf)).toStrictEqual(['reviews']);
    expect(a.offer([at(app())], 2000).ready.map(nameOf)).toStrictEqual(['reviews']);
    expect(a.stats.joined).toBe(2);
  });

  test('after holdMs the fallback; later records pass at once, and a labelled name learned later replaces it', () => {
    const a = new Attributor(PARAMS);
    a.offer([at(app())], 0);
    expect(a.expire(89_999)).toStrictEqual([]);
    expect(a.expire(90_000).map(nameOf)).toStrictEqual(['reviews-v1']);
    expect(a.stats.expired).toBe(1);
    const r = a.offer([at(app())], 100_000);
    expect(r.ready.map(nameOf)).toStrictEqual(['reviews-v1']);
    expect(r.lookup).toStrictEqual([]);
    // re-asked once per holdMs
    expect(a.offer([at(app())], 180_000).lookup).toStrictEqual([POD]);
    a.known([{ key: POD, name: 'reviews' }], 180_000);
    expect(a.offer([at(app())], 181_000).ready.map(nameOf)).toStrictEqual(['reviews']);
  });

  test('bounded: past maxHeld the oldest pod is released under its fallback; past maxPods the least recent is forgotten', () => {
    const a = new Attributor({ ...PARAMS, maxHeld: 2 });
    const other = container('ratings-v1', { key: podKey('eu-1', 'bookinfo', 'ratings-v1-6f7d8c9b5-abcde'), labelled: false });
    a.offer([at(app()), at(app())], 0);
    const r = a.offer([at(other)], 1);
    expect(r.ready.map(nameOf)).toStrictEqual(['reviews-v1', 'reviews-v1']);
    expect(a.holding).toBe(1);
    expect(a.stats.evicted).toBe(2);
    const b = new Attributor(PARAMS);
    for (const p of ['a', 'b', 'c', 'd']) b.offer([at(container(p, { key: podKey(undefined, 'ns', p), labelled: true }))], 0);
    expect(b.stats.podsForgotten).toBe(1);
  });

  test('records without a pod pass untouched; a rebalance drops what other instances now read', () => {
    const a = new Attributor(PARAMS);
    const plain = container('payments', undefined);
    expect(a.offer([at(plain)], 0).ready).toStrictEqual([plain]);
    a.offer([at(app()), { obs: app(), source: 'stats/1', offset: 3n }], 0);
    expect(a.dropSources(new Set(['stats/1']))).toBe(1);
    expect(a.holding).toBe(1);
    expect(a.expire(0, true)).toHaveLength(1);
  });
});
