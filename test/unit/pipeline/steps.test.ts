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
});
