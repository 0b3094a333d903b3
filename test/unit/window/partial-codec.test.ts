/** Partials survive the internal topic: parsePartial(JSON.stringify(p)) = p; malformed ones are values, not throws. */
import { describe, expect, it, test } from 'vitest';
import { parsePartial } from '../../../src/core/window/partial-codec.js';
import { WindowAggregator } from '../../../src/core/window/aggregator.js';
import { SERVICE, T0, WINDOW_MS, container, request, sample } from './canonical.js';

describe('parsePartial', () => {
  it('round-trips a partial with requests, sketch, containers, gauges and edges', () => {
    const agg = new WindowAggregator({ windowMs: WINDOW_MS, maxOpenPartials: 10, maxEdges: 10, maxContainers: 10, maxMetrics: 10 });
    agg.add(request(T0, { durationMs: 12.5, isError: true }));
    agg.add(request(T0 + 1, { durationMs: 0, direction: 'outbound', peer: { namespace: 'shop', name: 'db', cluster: 'eu-1' } }));
    agg.add(container(T0 + 2, 'pod/app', { cpu_usage_ns: 123 }, { memory_working_set_bytes: 4096 }));
    agg.add(sample(T0 + 3, 'queue_depth', 0.25));
    const [p] = agg.drain();
    p!.overflow = 2;
    expect(parsePartial(JSON.stringify(p))).toStrictEqual({ ok: true, value: p });
  });

  it('fills a missing overflow with 0', () => {
    const text = JSON.stringify({ v: 1, service: SERVICE, windowStart: T0, windowMs: WINDOW_MS, gauges: {}, containers: {}, edges: {} });
    const r = parsePartial(text);
    expect(r.ok && r.value.overflow).toBe(0);
  });

  const valid = { v: 1, service: SERVICE, windowStart: T0, windowMs: WINDOW_MS, gauges: {}, containers: {}, edges: {}, overflow: 0 };
  test.each([
    { case: 'not JSON', text: '{"v":1', code: 'MW_DECODE_INVALID_JSON' },
    { case: 'not an object', text: '42', code: 'MW_DECODE_SCHEMA' },
    { case: 'null', text: 'null', code: 'MW_DECODE_SCHEMA' },
    { case: 'unknown version', text: JSON.stringify({ ...valid, v: 2 }), code: 'MW_DECODE_SCHEMA' },
    { case: 'no service', text: JSON.stringify({ ...valid, service: undefined }), code: 'MW_DECODE_SCHEMA' },
    { case: 'windowMs 0', text: JSON.stringify({ ...valid, windowMs: 0 }), code: 'MW_DECODE_SCHEMA' },
    { case: 'windowStart a string', text: JSON.stringify({ ...valid, windowStart: '0' }), code: 'MW_DECODE_SCHEMA' },
    { case: 'no edges', text: JSON.stringify({ ...valid, edges: undefined }), code: 'MW_DECODE_SCHEMA' },
    // Bug: `typeof null === 'object'`, so these pass the check, and closing the window then throws
    // (Object.entries(null)) inside DetectEngine.advance instead of the record going to the DLQ.
    { case: 'gauges null', text: JSON.stringify({ ...valid, gauges: null }), code: 'MW_DECODE_SCHEMA' },
    { case: 'containers null', text: JSON.stringify({ ...valid, containers: null }), code: 'MW_DECODE_SCHEMA' },
    { case: 'edges null', text: JSON.stringify({ ...valid, edges: null }), code: 'MW_DECODE_SCHEMA' },
    // Bug (same family): nested values are not checked; closeWindow then throws on g.sum of null.
    { case: 'a gauge that is null', text: JSON.stringify({ ...valid, gauges: { queue_depth: null } }), code: 'MW_DECODE_SCHEMA' },
    {
      case: 'an absurd gauge sum (merging two would overflow to Infinity)',
      text: JSON.stringify({ ...valid, gauges: { queue_depth: { n: 1, sum: 1e308, min: 0, max: 1 } } }),
      code: 'MW_DECODE_SCHEMA',
    },
    {
      case: 'a 20,000-deep service',
      text: JSON.stringify({ ...valid, service: '@' }).replace('"@"', `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`),
      code: 'MW_DECODE_TOO_DEEP',
    },
    {
      case: 'a 200,000-member gauge map',
      text: JSON.stringify({ ...valid, gauges: Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`g${i}`, 1])) }),
      code: 'MW_DECODE_TOO_WIDE',
    },
  ])('refuses $case with $code', ({ text, code }) => {
    const r = parsePartial(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe(code);
    expect(!r.ok && r.error.reason.length).toBeLessThanOrEqual(600);
  });

  it('a schema reason quotes at most ~200 characters of a hostile key', () => {
    const r = parsePartial(JSON.stringify({ ...valid, gauges: { ['k'.repeat(100_000)]: null } }));
    expect(!r.ok && r.error.code).toBe('MW_DECODE_SCHEMA');
    expect(!r.ok && r.error.reason.length).toBeLessThanOrEqual(600);
  });
});
