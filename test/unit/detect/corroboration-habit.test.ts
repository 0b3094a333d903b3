/**
 * Service-level corroboration (another kind of signal of the service moves with a metric) and
 * habit (a series that jumps far as a matter of course): their laws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Baseline, emptyBaseline } from '../../../src/core/baseline/record.js';
import { type Witness, corroborationOf, witnessOf } from '../../../src/core/detect/corroboration.js';
import { type Verdict } from '../../../src/core/detect/deviation.js';
import { JUMP_HABIT, isHabitual, jumpsAt, withJump } from '../../../src/core/detect/habit.js';
import { P, WINDOW_MS } from './helpers.js';

const band = { value: 0, lower: -1, upper: 1 };
const anomalous: Verdict = { status: 'anomalous', direction: 'up', z: 9, score: 0.7, band, surprise: 2, test: 'point' };
const normal: Verdict = { status: 'normal', z: 0.3, band, surprise: 0.8 };
const w = (metric: string, moving: boolean, runBefore = 0): Witness => ({
  metric,
  prev: { ...emptyBaseline(), run: runBefore },
  verdict: moving ? anomalous : normal,
});

describe('witnessOf', () => {
  it.each([
    ['PodClientLatencyP90(s)', 'latency'],
    ['PodServerLatencyP99(s)', 'latency'],
    ['latency_p99_ms', 'latency'],
    ['CpuUsage(m)', 'cpu'],
    ['CpuUsageRate(%)', 'cpu'],
    ['MemoryUsageRate(%)', 'memory'],
    ['requests_per_s', 'rate'],
    ['queue_depth_p99', 'queue_depth_'],
    ['temperature', 'temperature'],
  ])('%s → %s', (metric, witness) => {
    expect(witnessOf(metric)).toBe(witness);
  });
});

describe('corroborationOf', () => {
  it('a lone kind moving while the rest is calm is not corroborated', () => {
    const c = corroborationOf([w('PodClientLatencyP90(s)', true), w('PodClientLatencyP99(s)', true), w('CpuUsage(m)', false)]);
    expect(c('PodClientLatencyP90(s)')).toBe(false);
    expect(c('PodClientLatencyP99(s)')).toBe(false);
  });

  it('two kinds moving corroborate each other, also when one began the window before', () => {
    const now = corroborationOf([w('latency_p99_ms', true), w('cpu_cores', true), w('requests_per_s', false)]);
    expect(now('latency_p99_ms')).toBe(true);
    expect(now('cpu_cores')).toBe(true);
    const before = corroborationOf([w('latency_p99_ms', true), w('cpu_cores', false, 1), w('requests_per_s', false)]);
    expect(before('latency_p99_ms')).toBe(true);
  });

  it('a service with one kind of signal has nothing to be calm: always corroborated', () => {
    expect(corroborationOf([w('value', true)])('value')).toBe(true);
    expect(corroborationOf([w('latency_p50_ms', true), w('latency_p99_ms', false)])('latency_p50_ms')).toBe(true);
  });

  const metrics = ['latency_p99_ms', 'cpu_cores', 'requests_per_s', 'memory_working_set_bytes', 'error_ratio', 'temperature'];
  const windowArb = fc.array(fc.record({ i: fc.nat(metrics.length - 1), moving: fc.boolean() }), { minLength: 1, maxLength: 8 });
  const toWitnesses = (xs: { i: number; moving: boolean }[]): Witness[] => xs.map(({ i, moving }) => w(metrics[i] ?? 'value', moving));

  it('monotone in evidence: another kind starting to move never takes corroboration away', () => {
    fc.assert(
      fc.property(windowArb, fc.nat(metrics.length - 1), (xs, j) => {
        const ws = toWitnesses(xs);
        const before = corroborationOf(ws);
        const after = corroborationOf([...ws, w(metrics[j] ?? 'value', true)]);
        return ws.every((x) => !before(x.metric) || after(x.metric));
      }),
    );
  });

  it('a calm window corroborates nothing unless the service has a single kind of signal', () => {
    fc.assert(
      fc.property(windowArb, (xs) => {
        const ws = toWitnesses(xs.map((x) => ({ ...x, moving: false })));
        const kinds = new Set(ws.map((x) => witnessOf(x.metric)));
        return ws.every((x) => corroborationOf(ws)(x.metric) === (kinds.size === 1));
      }),
    );
  });
});

describe('habit', () => {
  const t0 = 1_700_000_000_000;
  it('a fresh series is not habitual; one excursion makes it so, and it fades with half-life slowHalfLifeWindows / 2', () => {
    const b: Baseline = emptyBaseline();
    expect(isHabitual(b, t0, WINDOW_MS, P)).toBe(false);
    const once = withJump(b, b, t0, WINDOW_MS, P);
    expect(jumpsAt(once, t0, WINDOW_MS, P)).toBe(1);
    expect(isHabitual(once, t0, WINDOW_MS, P)).toBe(1 >= JUMP_HABIT);
    const halfLife = (P.slowHalfLifeWindows / 2) * WINDOW_MS;
    expect(jumpsAt(once, t0 + halfLife, WINDOW_MS, P)).toBeCloseTo(0.5);
    expect(isHabitual(once, t0 + 3 * halfLife, WINDOW_MS, P)).toBe(false);
  });

  it('the count never grows without an excursion and never goes negative (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(100_000), { minLength: 1, maxLength: 20 }), fc.nat(1_000_000), (gaps, later) => {
        let b: Baseline = emptyBaseline();
        let t = t0;
        for (const g of gaps) {
          t += g * WINDOW_MS;
          const j = jumpsAt(b, t, WINDOW_MS, P);
          b = withJump(b, b, t, WINDOW_MS, P);
          if (!(jumpsAt(b, t, WINDOW_MS, P) > j)) return false;
        }
        const now = jumpsAt(b, t, WINDOW_MS, P);
        const then = jumpsAt(b, t + later * WINDOW_MS, WINDOW_MS, P);
        return then <= now && then >= 0 && now <= gaps.length;
      }),
    );
  });
});
