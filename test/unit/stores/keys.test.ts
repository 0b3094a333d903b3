/**
 * Redis key layout: `<prefix>:{<serviceKey>}:state`. The hash tag Redis Cluster hashes (between
 * the first `{` and the next `}`) is exactly the encoded identity, for every name; distinct
 * identities never share a key; cluster-less plain names keep their earlier keys.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type ServiceId, serviceKey } from '../../../src/core/model.js';
import { keysFor } from '../../../src/stores/redis/keys.js';

/** What Redis Cluster hashes for a key (cluster spec, "hash tags"). */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close < 0 || close === open + 1 ? key : key.slice(open + 1, close);
}

const keys = keysFor('mw');

const table: { what: string; id: ServiceId; key: string }[] = [
  { what: 'plain name (earlier key)', id: { namespace: 'shop', name: 'cart' }, key: 'mw:{shop/cart}:state' },
  { what: 'slash in the name', id: { namespace: 'shop', name: 'cart/x' }, key: 'mw:{shop/cart%2Fx}:state' },
  { what: 'slash in the namespace', id: { namespace: 'shop/cart', name: 'x' }, key: 'mw:{shop%2Fcart/x}:state' },
  { what: 'braces in the namespace', id: { namespace: '{shop/cart}', name: 'x' }, key: 'mw:{%7Bshop%2Fcart%7D/x}:state' },
  { what: 'a name that closes the tag early', id: { namespace: 'shop', name: 'cart}:state' }, key: 'mw:{shop/cart%7D%3Astate}:state' },
  { what: 'colon in the name', id: { namespace: 'default', name: 'redis:6379' }, key: 'mw:{default/redis%3A6379}:state' },
  { what: 'unicode', id: { namespace: '日本', name: 'café🛒' }, key: 'mw:{日本/café🛒}:state' },
  { what: 'cluster eu-1', id: { namespace: 'shop', name: 'cart', cluster: 'eu-1' }, key: 'mw:{eu-1:shop/cart}:state' },
  { what: 'cluster us-2', id: { namespace: 'shop', name: 'cart', cluster: 'us-2' }, key: 'mw:{us-2:shop/cart}:state' },
  { what: 'cluster default', id: { namespace: 'shop', name: 'cart', cluster: 'default' }, key: 'mw:{default:shop/cart}:state' },
];

describe('keysFor(prefix).state', () => {
  test.each(table)('$what -> $key', ({ id, key }) => {
    expect(keys.state(serviceKey(id))).toBe(key);
  });

  test.each(table)('$what: the hash tag is the whole encoded identity', ({ id }) => {
    expect(hashTag(keys.state(serviceKey(id)))).toBe(serviceKey(id));
  });

  it('gives every identity of the table its own key', () => {
    expect(new Set(table.map((c) => keys.state(serviceKey(c.id)))).size).toBe(table.length);
  });

  it('keeps any identity in its own slot: the tag is the encoded identity, distinct for distinct identities', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '{', '}', ':', '/', '%', '|', ' ', 'é'), maxLength: 8 });
    const id: fc.Arbitrary<ServiceId> = fc
      .record({ namespace: part, name: part, cluster: fc.option(part, { nil: undefined }) })
      .map(({ cluster, ...s }) => (cluster === undefined ? s : { ...s, cluster }));
    fc.assert(
      fc.property(id, id, (a, b) => {
        const [ka, kb] = [keys.state(serviceKey(a)), keys.state(serviceKey(b))];
        expect(hashTag(ka)).toBe(serviceKey(a));
        const same = a.namespace === b.namespace && a.name === b.name && a.cluster === b.cluster;
        expect(ka === kb).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });
});
