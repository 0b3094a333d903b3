/**
 * Recurring peaks: per hour of day, how far outside the band the last two days went. A nightly
 * job's spike, seen at about the same hour on two days running, becomes expected; a one-off
 * leaves nothing. Owns PeakSlice.
 */
import { type Baseline, NO_PEAKS, hourOfDay, orNone } from './record.js';

/**
 * The recurring peaks after a day whose hours' largest distances were `today`: each hour takes
 * the largest within an hour of it (a job that drifts across an hour boundary stays the same
 * job) and keeps what both this day and the last one reached.
 */
export function recur(peak: number[], last: number[], today: number[], side: 'Up' | 'Down'): Partial<Baseline> {
  if (today === NO_PEAKS && last === NO_PEAKS && peak === NO_PEAKS) return {};
  const smeared = orNone(today.map((_, h) => Math.max(today[(h + 23) % 24] ?? 0, today[h] ?? 0, today[(h + 1) % 24] ?? 0)));
  const next = orNone(smeared.map((t, h) => Math.max(Math.min(last[h] ?? 0, t), RECUR_FADE * (peak[h] ?? 0))));
  return side === 'Up' ? { peakUp: next, lastUp: smeared } : { peakDown: next, lastDown: smeared };
}

/** What is left of a recurring peak after a day without it. */
const RECUR_FADE = 0.5;
/** A deviation up to this multiple of the hour's recurring peak is expected. */
export const RECUR_MARGIN = 1.5;

/** The recurring peak expected at `ts` on the side of `dev`. */
export const recurringPeak = (b: Baseline, ts: number, dev: number): number => (dev >= 0 ? b.peakUp : b.peakDown)?.[hourOfDay(ts)] ?? 0;
