import { describe, expect, it } from 'vitest';
import { DueIndex } from '../../../src/core/pipeline/due.js';

const held = (seq: number): { seq: number } => ({ seq });

describe('DueIndex', () => {
  it.each([
    { name: 'nothing due before the watermark', ends: [[1, 20]], wm: 19, want: [] },
    { name: 'a window ending at the watermark is due', ends: [[1, 20]], wm: 20, want: [1] },
    {
      name: 'services come back in arrival order, not end order',
      ends: [
        [3, 10],
        [1, 20],
        [2, 15],
      ],
      wm: 30,
      want: [1, 2, 3],
    },
    {
      name: 'a service with two due windows comes back once',
      ends: [
        [1, 10],
        [1, 20],
      ],
      wm: 30,
      want: [1],
    },
    {
      name: 'only the due ends are taken',
      ends: [
        [1, 10],
        [2, 40],
      ],
      wm: 30,
      want: [1],
    },
  ])('$name', ({ ends, wm, want }) => {
    const hs = new Map<number, { seq: number }>();
    const due = new DueIndex<{ seq: number }>();
    for (const [seq, end] of ends as [number, number][]) {
      const h = hs.get(seq) ?? held(seq);
      hs.set(seq, h);
      due.add(h, end);
    }
    expect(due.take(wm).map((h) => h.seq)).toStrictEqual(want);
  });

  it('takes a window once: a second take at the same watermark finds nothing', () => {
    const due = new DueIndex<{ seq: number }>();
    due.add(held(1), 10);
    expect(due.take(10)).toHaveLength(1);
    expect(due.take(10)).toHaveLength(0);
  });

  it('a crowded service is taken at the next take whatever the watermark, once', () => {
    const due = new DueIndex<{ seq: number }>();
    const h = held(7);
    due.add(h, 100);
    due.markCrowded(h);
    expect(due.take(0)).toStrictEqual([h]);
    expect(due.take(0)).toStrictEqual([]);
    expect(due.take(100)).toStrictEqual([h]);
  });

  it('clear forgets everything', () => {
    const due = new DueIndex<{ seq: number }>();
    due.add(held(1), 10);
    due.markCrowded(held(2));
    due.clear();
    expect(due.take(Infinity)).toStrictEqual([]);
  });
});
