/** Splitting produce requests to a byte budget: order kept, every chunk within budget, oversize records refused. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordBytes, splitByBytes } from '../../../src/sinks/kafka/produce.js';

describe('splitByBytes', () => {
  it('keeps order and puts every record in a chunk within the budget (records above it travel alone)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 3000 }), { maxLength: 200 }), fc.integer({ min: 100, max: 20_000 }), (values, budget) => {
        const messages = values.map((value, i) => ({ key: `k${i}`, value }));
        const r = splitByBytes(messages, budget, Number.MAX_SAFE_INTEGER);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        expect(r.chunks.flat()).toEqual(messages);
        for (const c of r.chunks) {
          const bytes = c.reduce((n, m) => n + recordBytes(m), 0);
          expect(c.length === 1 || bytes <= budget).toBe(true);
        }
      }),
    );
  });

  it('refuses a record above the per-record limit, naming its index', () => {
    const messages = [{ value: 'a' }, { value: 'x'.repeat(5000) }, { value: 'b' }];
    expect(splitByBytes(messages, 1000, 2000)).toEqual({ ok: false, index: 1, bytes: recordBytes(messages[1]!) });
  });

  it('counts multi-byte characters and headers', () => {
    expect(recordBytes({ value: 'é' })).toBe(recordBytes({ value: 'ab' }));
    expect(recordBytes({ value: 'a', headers: { h: 'v' } })).toBeGreaterThan(recordBytes({ value: 'a' }));
  });
});
