/**
 * Service keys: distinct identities never share a key (names with `/`, `{`, `}`, `:`, `%`, `|`,
 * unicode, clusters), the same identity always gets the same key, `parseServiceKey` inverts
 * `serviceKey`, and plain cluster-less names keep their earlier `namespace/name` key.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type ServiceId, escapeKeyPart, parseServiceKey, serviceKey, unescapeKeyPart } from '../../../src/core/model.js';

const cases: { what: string; id: ServiceId; key: string }[] = [
  { what: 'plain name (unchanged key)', id: { namespace: 'shop', name: 'cart' }, key: 'shop/cart' },
  {
    what: 'name with dots and dashes (unchanged key)',
    id: { namespace: 'external', name: 'api.stripe.com' },
    key: 'external/api.stripe.com',
  },
  { what: 'slash in the name', id: { namespace: 'shop', name: 'cart/x' }, key: 'shop/cart%2Fx' },
  { what: 'slash in the namespace', id: { namespace: 'shop/cart', name: 'x' }, key: 'shop%2Fcart/x' },
  { what: 'braces in the namespace', id: { namespace: '{shop/cart}', name: 'x' }, key: '%7Bshop%2Fcart%7D/x' },
  { what: 'braces and :state in the name', id: { namespace: 'shop', name: 'cart}:state' }, key: 'shop/cart%7D%3Astate' },
  { what: 'colon in the namespace', id: { namespace: 'eu:shop', name: 'cart' }, key: 'eu%3Ashop/cart' },
  { what: 'colon in the name', id: { namespace: 'default', name: 'redis:6379' }, key: 'default/redis%3A6379' },
  { what: 'percent in the name', id: { namespace: 'shop', name: '50%off' }, key: 'shop/50%25off' },
  { what: 'an escape sequence as literal text', id: { namespace: 'shop', name: 'cart%2Fx' }, key: 'shop/cart%252Fx' },
  { what: 'pipe in the name', id: { namespace: 'shop', name: 'cart|1' }, key: 'shop/cart%7C1' },
  { what: 'space and tab', id: { namespace: 'shop', name: 'my cart\t' }, key: 'shop/my%20cart%09' },
  { what: 'NUL and a C1 control', id: { namespace: 'shop', name: 'a\u0000b\u0085' }, key: 'shop/a%00b%C2%85' },
  { what: 'no-break and ideographic spaces', id: { namespace: 'shop', name: '\u00a0\u3000' }, key: 'shop/%C2%A0%E3%80%80' },
  { what: 'a lone surrogate', id: { namespace: 'shop', name: 'a\ud800' }, key: 'shop/a%ED%A0%80' },
  { what: 'accented latin', id: { namespace: 'boutique', name: 'café' }, key: 'boutique/café' },
  { what: 'CJK', id: { namespace: '日本', name: 'カート' }, key: '日本/カート' },
  { what: 'emoji', id: { namespace: 'shop', name: 'cart🛒' }, key: 'shop/cart🛒' },
  { what: 'in cluster eu-1', id: { namespace: 'shop', name: 'cart', cluster: 'eu-1' }, key: 'eu-1:shop/cart' },
  { what: 'in cluster us-2', id: { namespace: 'shop', name: 'cart', cluster: 'us-2' }, key: 'us-2:shop/cart' },
  { what: 'in cluster default', id: { namespace: 'shop', name: 'cart', cluster: 'default' }, key: 'default:shop/cart' },
  { what: 'cluster with a colon', id: { namespace: 'shop', name: 'cart', cluster: 'eu:1' }, key: 'eu%3A1:shop/cart' },
  { what: 'cluster named like a key', id: { namespace: 'cart', name: 'x', cluster: 'eu-1:shop' }, key: 'eu-1%3Ashop:cart/x' },
  { what: 'namespace with a colon, no cluster', id: { namespace: 'eu-1:shop', name: 'cart' }, key: 'eu-1%3Ashop/cart' },
  { what: 'braces in the cluster', id: { namespace: 'shop', name: 'cart', cluster: '{eu}' }, key: '%7Beu%7D:shop/cart' },
  { what: 'unicode cluster', id: { namespace: 'shop', name: 'cart', cluster: 'région-é' }, key: 'région-é:shop/cart' },
];

describe('serviceKey', () => {
  test.each(cases)('$what -> $key', ({ id, key }) => {
    expect(serviceKey(id)).toBe(key);
    expect(serviceKey(structuredClone(id))).toBe(key);
  });

  test.each(cases)('$what: parseServiceKey inverts it', ({ id, key }) => {
    expect(parseServiceKey(key)).toStrictEqual(id);
  });

  it('gives every case of the table its own key', () => {
    const keys = cases.map((c) => serviceKey(c.id));
    expect(new Set(keys).size).toBe(cases.length);
  });

  test.each(cases)('$what: the key holds no brace, pipe, NUL, whitespace or lone surrogate', ({ id }) => {
    const k = serviceKey(id);
    expect(k).not.toMatch(/[{}|\s\p{Cc}\uD800-\uDFFF]/u);
    // Exactly one separator `/`, and at most one `:` before it (the cluster's).
    expect(k.split('/')).toHaveLength(2);
    expect(k.split('/')[0]!.split(':').length).toBeLessThanOrEqual(2);
  });

  test.each([
    { what: 'shop/cart/x vs namespace shop/cart', a: { namespace: 'shop', name: 'cart/x' }, b: { namespace: 'shop/cart', name: 'x' } },
    {
      what: 'two clusters',
      a: { namespace: 'shop', name: 'cart', cluster: 'eu-1' },
      b: { namespace: 'shop', name: 'cart', cluster: 'us-2' },
    },
    {
      what: 'no cluster vs cluster default',
      a: { namespace: 'shop', name: 'cart' },
      b: { namespace: 'shop', name: 'cart', cluster: 'default' },
    },
    {
      what: 'cluster vs colon in the namespace',
      a: { namespace: 'shop', name: 'cart', cluster: 'eu' },
      b: { namespace: 'eu:shop', name: 'cart' },
    },
    { what: 'escaped text vs the character', a: { namespace: 'shop', name: 'a/b' }, b: { namespace: 'shop', name: 'a%2Fb' } },
    {
      what: 'lone surrogates that UTF-8 would both turn into U+FFFD',
      a: { namespace: 's', name: '\ud800' },
      b: { namespace: 's', name: '\udfff' },
    },
  ] satisfies { what: string; a: ServiceId; b: ServiceId }[])('keeps $what apart', ({ a, b }) => {
    expect(serviceKey(a)).not.toBe(serviceKey(b));
    // Also as bytes, the way Redis and Kafka see keys.
    expect(Buffer.from(serviceKey(a), 'utf8').equals(Buffer.from(serviceKey(b), 'utf8'))).toBe(false);
  });
});

/** Any string: lone surrogates, controls, astral characters and the escaped punctuation. */
const partArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: fc.constantFrom('a', '/', ':', '%', '{', '}', '|', ' ', '2', 'F', 'é', '\u0000', '\ud800'), maxLength: 8 }),
);
const idArb: fc.Arbitrary<ServiceId> = fc
  .record({ namespace: partArb, name: partArb, cluster: fc.option(partArb, { nil: undefined }) })
  .map(({ namespace, name, cluster }) => (cluster === undefined ? { namespace, name } : { namespace, name, cluster }));

describe('serviceKey laws', () => {
  it('parse(key(s)) deep-equals s', () => {
    fc.assert(
      fc.property(idArb, (s) => {
        expect(parseServiceKey(serviceKey(s))).toStrictEqual(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('key(parse(k)) === k for every key key() produces', () => {
    fc.assert(
      fc.property(idArb, (s) => {
        const k = serviceKey(s);
        expect(serviceKey(parseServiceKey(k))).toBe(k);
      }),
      { numRuns: 2000 },
    );
  });

  it('is injective: distinct identities get distinct keys, as strings and as UTF-8 bytes', () => {
    fc.assert(
      fc.property(idArb, idArb, (a, b) => {
        const [ka, kb] = [serviceKey(a), serviceKey(b)];
        const same = a.namespace === b.namespace && a.name === b.name && a.cluster === b.cluster;
        expect(ka === kb).toBe(same);
        expect(Buffer.from(ka, 'utf8').equals(Buffer.from(kb, 'utf8'))).toBe(same);
      }),
      { numRuns: 3000 },
    );
  });

  it('is injective on identities that differ in one character only', () => {
    const ch = fc.constantFrom('/', ':', '%', '{', '}', '|', ' ', 'a', '2', 'F', '\ud800', '\udc00', 'é');
    const field = fc.constantFrom('namespace', 'name', 'cluster') as fc.Arbitrary<keyof ServiceId>;
    fc.assert(
      fc.property(partArb, ch, ch, field, (base, x, y, f) => {
        fc.pre(x !== y);
        const a: ServiceId = { namespace: 'ns', name: 'n', [f]: base + x };
        const b: ServiceId = { namespace: 'ns', name: 'n', [f]: base + y };
        expect(serviceKey(a)).not.toBe(serviceKey(b));
      }),
    );
  });

  it('is stable: the same identity always gets the same key', () => {
    fc.assert(
      fc.property(idArb, (s) => {
        expect(serviceKey({ ...s })).toBe(serviceKey(s));
        expect(serviceKey(parseServiceKey(serviceKey(s)))).toBe(serviceKey(s));
      }),
    );
  });

  it('leaves parts without escaped characters as they are (earlier keys stay valid)', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'z', '0', '-', '.', '_', 'é', '日'), minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(plain, plain, (namespace, name) => {
        expect(serviceKey({ namespace, name })).toBe(`${namespace}/${name}`);
      }),
    );
  });

  it('escapes exactly %, /, :, {, }, |, whitespace, controls and lone surrogates, over the whole BMP', () => {
    const mustEscape = /^[%/:{}|\s\p{Cc}\uD800-\uDFFF]$/u;
    const wrong: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      if ((escapeKeyPart(ch) !== ch) !== mustEscape.test(ch)) wrong.push(c);
    }
    expect(wrong).toStrictEqual([]);
  });

  it('escapeKeyPart / unescapeKeyPart round-trip any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(unescapeKeyPart(escapeKeyPart(s))).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseServiceKey on hand-written keys (canonical samples)', () => {
  test.each([
    { key: 'cart', id: { namespace: 'default', name: 'cart' } },
    { key: 'redis:6379', id: { namespace: 'default', name: 'redis:6379' } },
    { key: 'shop/cart/x', id: { namespace: 'shop', name: 'cart/x' } },
    { key: 'eu-1:shop/cart', id: { namespace: 'shop', name: 'cart', cluster: 'eu-1' } },
    { key: 'shop%2fcart/x', id: { namespace: 'shop/cart', name: 'x' } },
    { key: '50%off/x', id: { namespace: '50%off', name: 'x' } },
    { key: 'a/%E9%ZZ%C3', id: { namespace: 'a', name: '%E9%ZZ%C3' } },
    { key: 'a/%C3%A9', id: { namespace: 'a', name: 'é' } },
    { key: 'a/%C0%AF', id: { namespace: 'a', name: '%C0%AF' } },
  ])('$key -> $id', ({ key, id }) => {
    expect(parseServiceKey(key)).toStrictEqual(id);
  });
});
