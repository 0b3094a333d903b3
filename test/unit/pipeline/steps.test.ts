/** The ingest step: sizes checked on bytes, event times guarded before they reach a window or the watermark. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIME_GUARD, EventTimeGuard } from '../../../src/core/window/time-guard.js';
import { ingestStep } from '../../../src/core/pipeline/steps.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const aggregator = { windowMs: 10_000, maxOpenPartials: 1000, maxEdges: 16, maxContainers: 16, maxMetrics: 16 };
const sample = (ts: number, value = 1): string => JSON.stringify({ ts, service: 'shop/a', metric: 'queue_depth', value });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('ingestStep', () => {
  it('rejects a record whose event time the guard refuses: no partial, no watermark move, its index and reason kept', () => {
    const old = NOW - 30 * 86_400_000;
    const r = ingestStep([bytes(sample(NOW - 5000)), bytes(sample(old)), bytes(sample(NOW - 4000))], {
      aggregator,
      decode: { hint: 'sample', maxBytes: 1024 },
      guard: new EventTimeGuard(DEFAULT_TIME_GUARD),
      source: 'samples/0',
      nowMs: NOW,
    });
    expect(r.rejected.map((x) => [x.index, x.problem.code])).toEqual([[1, 'MW_EVENT_TIME_SKEW']]);
    expect(r.reachedMs).toBe(NOW - 4000);
    expect(r.partials.map((p) => p.gauges.queue_depth?.n)).toEqual([2]);
  });

  it('checks the byte length before decoding text', () => {
    const big = bytes(JSON.stringify({ ts: NOW, service: 'shop/a', metric: 'm', value: 1, pad: 'é'.repeat(600) }));
    const r = ingestStep([big, null], { aggregator, decode: { hint: 'sample', maxBytes: 1000 }, source: 'samples/0', nowMs: NOW });
    expect(r.rejected.map((x) => x.problem.code)).toEqual(['MW_DECODE_TOO_LARGE', 'MW_DECODE_INVALID_JSON']);
    expect(r.reachedMs).toBe(-Infinity);
  });

  it('takes text records (replay) the same way as bytes', () => {
    const opts = { aggregator, decode: { hint: 'sample' as const, maxBytes: 1024 }, source: 'replay', nowMs: undefined };
    const a = ingestStep([sample(NOW), sample(NOW + 1000, 3)], opts);
    const b = ingestStep([bytes(sample(NOW)), bytes(sample(NOW + 1000, 3))], opts);
    expect(a).toEqual(b);
    expect(a.partials).toHaveLength(1);
  });

  it.each([
    // [lowMs of the slowest other source, records' offsets in s from NOW, consumed]
    ['no other source: the batch may span aheadMs from its first record', Infinity, [0, 10, 20, 30, 31, 40], 4],
    ['another source behind: the bound is its time + aheadMs (inclusive)', NOW - 25_000, [0, 4, 5, 6, 7], 3],
    ['already ahead of the bound: nothing handled', NOW - 60_000, [0, 1], 0],
    ['the whole batch within the bound', NOW + 100_000, [0, 1, 2], 3],
  ])('input alignment: %s', (_name, lowMs, offsetsS, consumed) => {
    const records = offsetsS.map((s) => sample(NOW + s * 1000));
    const r = ingestStep(records, {
      aggregator,
      decode: { hint: 'sample', maxBytes: 1024 },
      source: 'samples/0',
      nowMs: undefined,
      align: { lowMs, aheadMs: 30_000 },
    });
    expect(r.consumed).toBe(consumed);
    expect(r.observations).toBe(consumed);
    expect(r.reachedMs).toBe(consumed ? NOW + offsetsS[consumed - 1]! * 1000 : -Infinity);
  });

  it('input alignment: rejected records before the cut count as handled; none after it is looked at twice', () => {
    const r = ingestStep(['{bad', sample(NOW), 'also bad', sample(NOW + 60_000), '{bad'], {
      aggregator,
      decode: { hint: 'sample', maxBytes: 1024 },
      source: 'samples/0',
      nowMs: undefined,
      align: { lowMs: Infinity, aheadMs: 30_000 },
    });
    expect(r.consumed).toBe(3);
    expect(r.rejected.map((x) => x.index)).toEqual([0, 2]);
  });
});
