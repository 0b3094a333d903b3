/**
 * Recurring peaks and sustained deviations:
 *  - a spike that comes back at about the same hour of day (within an hour either side) on two
 *    days running is expected from the next day on, up to RECUR_MARGIN (1.5) times the smaller
 *    of the two; a one-off leaves nothing; a recurring window is not learned into the level and
 *    spread and does not start a run;
 *  - several windows in a row at half the threshold or more become anomalous once the short
 *    surprise average stands twice the surprise threshold above its usual, while one such window
 *    alone does not;
 *  - a small shift (past 1σ) held for a while is anomalous once the drift average (the signed z,
 *    half-life 8 windows) stands 1.5 × threshold long-run σ from 0, in a direction that counts.
 */
import { describe, expect, it, test } from 'vitest';
import { type Baseline, emptyBaseline, learn, recurringPeak, sigmaOf } from '../../../src/core/baseline/index.js';
import { type Verdict, judge } from '../../../src/core/detect/deviation.js';
import { DAY_MS, HOUR_MS, MONDAY, NO_FLOORS, P, WINDOW_MS, deviationOf, gaussian, zOf } from './helpers.js';

/** 5-minute windows, as the real cloud metrics that have nightly jobs. */
const W5 = 5 * 60_000;
const PER_DAY_5 = DAY_MS / W5;

interface Run {
  b: Baseline;
  verdicts: Verdict[];
  /** Baselines before each window. */
  before: Baseline[];
}

function run(xs: readonly number[], windowMs = W5, t0 = MONDAY, p = P): Run {
  let b = emptyBaseline();
  const verdicts: Verdict[] = [];
  const before: Baseline[] = [];
  xs.forEach((x, i) => {
    const ts = t0 + i * windowMs;
    before.push(b);
    const v = judge(b, x, ts, NO_FLOORS, p);
    verdicts.push(v);
    b = learn(b, x, ts, deviationOf(v), zOf(v), p, v.surprise);
  });
  return { b, verdicts, before };
}

/** 0.1 + N(0, 0.01) every 5 minutes for `days` days, plus `spike(day)` at the given minute of day `day` (or none). */
function nightly(days: number, spikeAt: (day: number) => { minute: number; height: number } | undefined, seed = 7): number[] {
  const g = gaussian(seed);
  return Array.from({ length: days * PER_DAY_5 }, (_, i) => {
    const day = Math.floor(i / PER_DAY_5);
    const s = spikeAt(day);
    const minute = ((i % PER_DAY_5) * W5) / 60_000;
    return 0.1 + 0.01 * g() + (s && minute === s.minute ? s.height : 0);
  });
}

const spikeWindow = (day: number, minute: number): number => day * PER_DAY_5 + minute / 5;

describe('recurring peaks', () => {
  // a nightly job at 03:05–04:25 (it drifts across the hour boundary), about 1.35 high
  const minutes = [185, 265, 200, 220, 190, 215, 205, 260, 195, 200];
  const heights = [1.3, 1.36, 1.24, 1.37, 1.3, 1.44, 1.3, 1.3, 1.39, 1.33];
  const xs = nightly(10, (d) => ({ minute: minutes[d]!, height: heights[d]! }));
  const r = run(xs);
  const at = (d: number): Verdict => r.verdicts[spikeWindow(d, minutes[d]!)]!;

  it('the job is anomalous on the first two days, then expected every day', () => {
    expect([at(0), at(1)].map((v) => v.status)).toEqual(['anomalous', 'anomalous']);
    for (let d = 2; d < 10; d++) {
      const v = at(d);
      expect(v.status, `day ${d}`).toBe('normal');
      expect(v.status === 'normal' && v.recurring, `day ${d}`).toBe(true);
    }
    const late = r.verdicts.flatMap((v, i) => (i >= 2 * PER_DAY_5 && v.status === 'anomalous' ? [`${i} ${xs[i]} ${v.z}`] : []));
    expect(late).toEqual([]);
  });

  it('the recurring peak is the smaller of the two days, within an hour of where both days had it', () => {
    const b = r.before[2 * PER_DAY_5 + 1]!; // Wednesday 00:05: Monday (03:05) and Tuesday (04:25) folded
    for (const h of [3, 4]) expect(recurringPeak(b, MONDAY + 2 * DAY_MS + h * HOUR_MS, 1), `hour ${h}`).toBeGreaterThan(1.1);
    for (const h of [0, 1, 2, 5, 6, 12, 23]) expect(recurringPeak(b, MONDAY + 2 * DAY_MS + h * HOUR_MS, 1), `hour ${h}`).toBe(0);
    expect(recurringPeak(b, MONDAY + 2 * DAY_MS + 3 * HOUR_MS, -1)).toBe(0); // the other side
  });

  it('an expected window neither moves the level and spread nor starts a run', () => {
    const i = spikeWindow(5, minutes[5]!);
    const [b0, b1] = [r.before[i]!, r.before[i + 1]!];
    expect(b1.level).toBe(b0.level);
    expect(b1.variance).toBe(b0.variance);
    expect(b1.run).toBe(0);
  });

  test.each([
    { case: 'twice the usual height', factor: 2, status: 'anomalous' },
    { case: 'as high as usual', factor: 1, status: 'normal' },
  ])('on day 11 a spike $case at the usual time is $status', ({ factor, status }) => {
    const ts = MONDAY + 10 * DAY_MS + 200 * 60_000;
    const v = judge(r.b, 0.1 + 1.35 * factor, ts, NO_FLOORS, P);
    expect(v.status).toBe(status);
  });

  it('the same spike at another hour of the day is anomalous', () => {
    const v = judge(r.b, 1.45, MONDAY + 10 * DAY_MS + 15 * HOUR_MS, NO_FLOORS, P);
    expect(v.status).toBe('anomalous');
  });

  it('a one-off spike leaves nothing: the same spike the next day is anomalous again', () => {
    const once = run(nightly(5, (d) => (d === 2 || d === 3 ? { minute: 200, height: 1.3 } : undefined)));
    expect(once.verdicts[spikeWindow(2, 200)]!.status).toBe('anomalous');
    expect(once.verdicts[spikeWindow(3, 200)]!.status).toBe('anomalous');
    expect(recurringPeak(once.before[spikeWindow(3, 200)]!, MONDAY + 3 * DAY_MS + 200 * 60_000, 1)).toBe(0);
  });

  it('fades by half a day once the job stops', () => {
    const stops = run(nightly(6, (d) => (d < 3 ? { minute: 200, height: 1.3 } : undefined)));
    // the day before is folded by the first window of the day
    const peak = (day: number): number => recurringPeak(stops.before[day * PER_DAY_5 + 1]!, MONDAY + day * DAY_MS + 200 * 60_000, 1);
    expect(peak(3)).toBeGreaterThan(1.1);
    expect(peak(4)).toBeCloseTo(peak(3) / 2, 9);
    expect(peak(5)).toBeCloseTo(peak(3) / 4, 9);
  });
});

describe('sustained deviations', () => {
  const g = gaussian(5);
  const base = Array.from({ length: 2000 }, () => 100 + g());
  const learned = run(base, WINDOW_MS, 0);
  const after = (extra: number[]): Verdict[] => {
    let b = learned.b;
    return extra.map((x, i) => {
      const ts = (2000 + i) * WINDOW_MS;
      const v = judge(b, x, ts, NO_FLOORS, P);
      b = learn(b, x, ts, deviationOf(v), zOf(v), P, v.surprise);
      return v;
    });
  };

  it('the Gaussian history itself has no anomalous window once σ is learned (after 100 windows)', () => {
    expect(learned.verdicts.slice(100).filter((v) => v.status === 'anomalous')).toEqual([]);
  });

  it('windows held at 3.9σ, none past the threshold of 4, are anomalous by the fifth', () => {
    // (the windows before are normal, so they are learned: σ grows and z shrinks meanwhile)
    const x = learned.b.level + 3.9 * sigmaOf(learned.b);
    const v = after([x, x, x, x, x]);
    expect(v.every((w) => 'z' in w && Math.abs(w.z) < P.threshold)).toBe(true);
    expect(v[4]!.status).toBe('anomalous');
    expect(v[4]!.status === 'anomalous' && v[4]!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('one window at 3σ between normal ones is not', () => {
    expect(after([100, 103.2, 100, 100]).map((x) => x.status)).toEqual(['normal', 'normal', 'normal', 'normal']);
  });

  it('a shift of 2.5σ, which no single window shows, is anomalous (drifting) within 15 windows', () => {
    const v = after(Array.from({ length: 30 }, () => learned.b.level + 2.5 * sigmaOf(learned.b) + 0.2 * g()));
    const first = v.findIndex((x) => x.status === 'anomalous');
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThan(15);
    expect(v.every((x) => 'z' in x && Math.abs(x.z) < P.threshold * 0.75)).toBe(true);
    const a = v[first]!;
    expect(a.status === 'anomalous' && a.direction).toBe('up');
  });

  it('under 1σ nothing is anomalous, however long it lasts', () => {
    expect(after(new Array<number>(60).fill(100.9)).filter((x) => x.status === 'anomalous')).toEqual([]);
  });

  it("a drift against the metric's direction is not anomalous", () => {
    let b = learned.b;
    const up = { ...NO_FLOORS, direction: 'up' as const };
    const statuses = Array.from({ length: 30 }, (_, i) => {
      const ts = (2000 + i) * WINDOW_MS;
      const v = judge(b, 98.5, ts, up, P);
      b = learn(b, 98.5, ts, deviationOf(v), zOf(v), P, v.surprise);
      return v.status;
    });
    expect(statuses.filter((s) => s === 'anomalous')).toEqual([]);
  });
});
