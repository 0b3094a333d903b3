/**
 * cloneBaseline: the copy every window's update starts from. It must carry every field the
 * record has (a field it dropped would be forgotten silently), hold nothing the record lacks but
 * undefined, share nothing mutable at the top level, and give every copy one shape.
 */
import { describe, expect, it } from 'vitest';
import { type Baseline, emptyBaseline, learn } from '../../../src/core/baseline/index.js';
import { cloneBaseline } from '../../../src/core/baseline/clone.js';
import { DAY_MS, P, WINDOW_MS, learnAll, quiet } from './helpers.js';

const spiky = (n: number): number[] => quiet(n).map((x, i) => (i % 97 === 50 ? x + 40 : x));

/** Judged windows (z ≠ 0) with one anomalous window in 97: the tests' statistics get written too. */
const judged = (n: number): Baseline =>
  spiky(n).reduce((b, x, i) => learn(b, x, i * WINDOW_MS, i % 97 === 50 ? 1 : 0, i % 97 === 50 ? 9 : (x - 100) / 0.6, P), emptyBaseline());

const records: [string, Baseline][] = [
  ['empty', emptyBaseline()],
  ['log scale, empty', { ...emptyBaseline(), scale: 'log' }],
  ['one window', learnAll([42])],
  ['warm', learnAll(quiet(200))],
  ['two days with spikes', learnAll(spiky((2 * DAY_MS) / WINDOW_MS))],
  ['judged for three days, with runs', judged((3 * DAY_MS) / WINDOW_MS)],
  ['as the store gives it back (JSON)', JSON.parse(JSON.stringify(learnAll(quiet(300)))) as Baseline],
];

describe('cloneBaseline', () => {
  it.each(records)('%s: the same fields and values, in a new object', (_, b) => {
    const c = cloneBaseline(b);
    expect(c).not.toBe(b);
    expect(c).toEqual(b);
    // Every field the record has is carried (toEqual alone would not see one dropped as undefined).
    for (const k of Object.keys(b)) expect(c[k as keyof Baseline], k).toStrictEqual(b[k as keyof Baseline]);
    // Fields the record lacks are undefined, which its stored form (JSON) leaves out.
    expect(JSON.parse(JSON.stringify(c))).toStrictEqual(JSON.parse(JSON.stringify(b)));
  });

  it.each(records)('%s: changing the copy leaves the record alone', (_, b) => {
    const before = JSON.stringify(b);
    const c = cloneBaseline(b);
    c.n += 1;
    c.level = -1;
    c.drift = 7;
    expect(JSON.stringify(b)).toBe(before);
  });

  it('is checked on records that use nearly every field', () => {
    const used = new Set(records.flatMap(([, b]) => Object.keys(b)));
    expect(used.size).toBeGreaterThanOrEqual(60);
  });

  it('gives every copy the same fields in the same order, whatever the record went through', () => {
    const shapes = new Set(records.map(([, b]) => Object.keys(cloneBaseline(b)).join(',')));
    expect(shapes.size).toBe(1);
  });

  it('learning from a copy learns what learning from the record learns', () => {
    const xs = spiky(3000);
    let a = emptyBaseline();
    let b = emptyBaseline();
    xs.forEach((x, i) => {
      a = learn(a, x, i * WINDOW_MS, 0, 0, P);
      b = learn(cloneBaseline(b), x, i * WINDOW_MS, 0, 0, P);
    });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });
});
