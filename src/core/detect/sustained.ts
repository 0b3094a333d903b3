/**
 * Sustained test: several windows in a row well outside the usual spread, none of them past the
 * bar alone, make the short average of |z| (detect/surprise.ts) far more unusual than one big
 * window can.
 *
 * Claim: a window is anomalous by the sustained test when |z| ≥ SUSTAINED_Z × bar and the
 * surprise stands at least SUSTAINED_SURPRISE × `surpriseThreshold` above its mean.
 */
import { type Baseline } from '../baseline/record.js';
import { type JudgeParams } from './deviation.js';
import { scoreOf } from './score.js';
import { surpriseScore } from './surprise.js';

/** A sustained deviation counts from this fraction of the bar… */
const SUSTAINED_Z = 0.5;
/** …once the surprise stands this many times the surprise threshold above its usual. */
const SUSTAINED_SURPRISE = 2;

/** The sustained test on a window whose z is `z` (in a counted direction): its score when it fires, else undefined. */
export function sustainedTest(
  b: Baseline,
  z: number,
  bar: number,
  surprise: number,
  p: Pick<JudgeParams, 'surpriseThreshold'>,
): number | undefined {
  const sustainedBar = p.surpriseThreshold * SUSTAINED_SURPRISE;
  if (p.surpriseThreshold > 0 && Math.abs(z) >= bar * SUSTAINED_Z && surpriseScore(b, surprise) >= sustainedBar) {
    return scoreOf(surpriseScore(b, surprise), sustainedBar);
  }
  return undefined;
}
