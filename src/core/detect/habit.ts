/**
 * Habit: how often this series jumps far. Some series make big excursions as a matter of course
 * (a client latency that hits its 20 s timeout for a few minutes every hour or two, a batch job's
 * CPU): each one is far past any bar, and each one is the series' habit, not an incident.
 *
 * Claim: an excursion is counted when an anomaly reaches an episode's bar (persistWindows
 * windows in a row, or a window that fires at once), whether or not it fired; the count halves
 * every slowHalfLifeWindows / 2 windows. A series with at least JUMP_HABIT excursions lately is
 * a habitual jumper: a new episode of it fires only when another signal of the service moves with
 * it (detect/corroboration.ts); alone, its excursions are what it does.
 *
 * O(1): two numbers in the record (HabitSlice), written only when an excursion is counted; the
 * count fades lazily from the window it was written at.
 */
import { type Baseline, type BaselineParams } from '../baseline/record.js';

/** Excursions lately that make a habit: one within the last half-life of the count (it halves every `slowHalfLifeWindows / 2`), chosen on each nezha-dev system held out (0.5 over 1.5 and off on both). */
export const JUMP_HABIT = 0.5;

/** The faded count of excursions at `windowStart`. */
export function jumpsAt(b: Baseline, windowStart: number, windowMs: number, p: Pick<BaselineParams, 'slowHalfLifeWindows'>): number {
  const j = b.jumps ?? 0;
  if (j === 0 || b.jumpsAt === undefined) return j;
  const windows = Math.max(0, (windowStart - b.jumpsAt) / windowMs);
  return j * Math.pow(2, -windows / Math.max(1, p.slowHalfLifeWindows / 2));
}

/** Whether the series jumps far as a habit. */
export const isHabitual = (b: Baseline, windowStart: number, windowMs: number, p: Pick<BaselineParams, 'slowHalfLifeWindows'>): boolean =>
  jumpsAt(b, windowStart, windowMs, p) >= JUMP_HABIT;

/** The record after counting one excursion at `windowStart`. */
export const withJump = (
  next: Baseline,
  prev: Baseline,
  windowStart: number,
  windowMs: number,
  p: Pick<BaselineParams, 'slowHalfLifeWindows'>,
): Baseline => ({ ...next, jumps: jumpsAt(prev, windowStart, windowMs, p) + 1, jumpsAt: windowStart });
