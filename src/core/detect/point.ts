/**
 * Point test: one window past the bar.
 *
 * Claim: a window is anomalous by the point test when |z| ≥ bar (the threshold, raised by the
 * series' tail: detect/tail.ts) and the surprise stands at least `surpriseThreshold` of its
 * long-run standard deviations above its mean (detect/surprise.ts), or an anomaly in the same
 * direction is already under way (the gate decides how an episode starts, not how long it
 * lasts). It is strong, and fires at once (detect/spike-drop.ts), at |z| ≥ max(strongThreshold,
 * 2 × bar) in a series that does not blip.
 */
import { type Baseline } from '../baseline/record.js';
import { type JudgeParams } from './deviation.js';
import { surpriseScore } from './surprise.js';
import { barOf } from './tail.js';

/** Whether a window whose z is `z` (in a counted direction) is anomalous by the point test. */
export const pointTest = (
  b: Baseline,
  z: number,
  bar: number,
  surprise: number,
  continuing: boolean,
  p: Pick<JudgeParams, 'surpriseThreshold'>,
): boolean => Math.abs(z) >= bar && (p.surpriseThreshold === 0 || continuing || surpriseScore(b, surprise) >= p.surpriseThreshold);

/**
 * A series with this many recent blips (see ExtremesSlice.blips; 2.5: three one-window
 * anomalies lately) needs persistence even for a strong window: its big single windows are its habit.
 */
const BLIP_LIMIT = 2.5;

/** Whether an anomalous window is strong enough to fire alone in a series that does not blip. */
export const isStrong = (b: Baseline, z: number, p: { threshold: number; strongThreshold: number }): boolean =>
  Math.abs(z) >= Math.max(p.strongThreshold, 2 * barOf(b, p.threshold)) && (b.blips ?? 0) < BLIP_LIMIT;
