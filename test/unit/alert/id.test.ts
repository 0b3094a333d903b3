/** Episode ids: deterministic (a replay re-emits the same id), distinct per episode, `mw-` + 16 hex digits. */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { episodeId, fnv1a64 } from '../../../src/core/alert/id.js';

const ID = /^mw-[0-9a-f]{16}$/;

/** Names as they occur (no NUL: it is the field separator). */
const nameArb = fc.string({ maxLength: 40 }).filter((s) => !s.includes('\u0000'));
const episodeArb = fc.tuple(
  nameArb,
  fc.constantFrom('spike', 'drop', 'new_peer', 'limit_breach'),
  nameArb,
  fc.integer({ min: 0, max: 4e12 }),
);

describe('fnv1a64', () => {
  test.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ])('FNV-1a 64 of %j = %s (published test vectors)', (text, hex) => {
    expect(fnv1a64(text)).toBe(hex);
  });

  it('is always 16 hex digits, zero-padded', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(fnv1a64(s)).toMatch(/^[0-9a-f]{16}$/);
      }),
    );
  });
});

describe('episodeId', () => {
  it('has the alert schema format', () => {
    fc.assert(
      fc.property(episodeArb, ([svc, kind, subject, t]) => {
        expect(episodeId(svc, kind, subject, t)).toMatch(ID);
      }),
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(episodeArb, ([svc, kind, subject, t]) => {
        expect(episodeId(svc, kind, subject, t)).toBe(episodeId(svc, kind, subject, t));
      }),
    );
  });

  // Pinned: ids outlive processes and versions (PagerDuty dedup keys, replays after an upgrade).
  test.each([
    { args: ['shop/checkout', 'spike', 'cpu_cores', 1_700_000_300_000], id: 'mw-dbb2999d3f52b4ca' },
    { args: ['shop/checkout', 'new_peer', 'external/203.0.113.7', 1_700_000_250_000], id: 'mw-e30eabb808ab7df1' },
  ] as { args: [string, string, string, number]; id: string }[])('episodeId($args) = $id', ({ args, id }) => {
    expect(episodeId(...args)).toBe(id);
  });

  it('is distinct for distinct episodes', () => {
    fc.assert(
      fc.property(fc.uniqueArray(episodeArb, { minLength: 2, maxLength: 50, selector: (e) => JSON.stringify(e) }), (episodes) => {
        const ids = episodes.map(([svc, kind, subject, t]) => episodeId(svc, kind, subject, t));
        expect(new Set(ids).size).toBe(episodes.length);
      }),
    );
  });

  test.each([
    { case: 'service', a: ['shop/a', 'spike', 'cpu_cores', 0], b: ['shop/b', 'spike', 'cpu_cores', 0] },
    { case: 'kind', a: ['shop/a', 'spike', 'cpu_cores', 0], b: ['shop/a', 'drop', 'cpu_cores', 0] },
    { case: 'subject', a: ['shop/a', 'spike', 'cpu_cores', 0], b: ['shop/a', 'spike', 'memory_working_set_bytes', 0] },
    { case: 'start', a: ['shop/a', 'spike', 'cpu_cores', 0], b: ['shop/a', 'spike', 'cpu_cores', 10_000] },
    { case: 'field boundaries', a: ['shop/ab', 'spike', 'c', 0], b: ['shop/a', 'bspike', 'c', 0] },
    { case: 'subject vs start', a: ['s', 'spike', 'x1', 0], b: ['s', 'spike', 'x', 10] },
  ] as { case: string; a: [string, string, string, number]; b: [string, string, string, number] }[])(
    'differs when only the $case differs',
    ({ a, b }) => {
      expect(episodeId(...a)).not.toBe(episodeId(...b));
    },
  );
});
