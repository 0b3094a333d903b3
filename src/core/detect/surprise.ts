/**
 * Surprise: a short EW average of the windows' directional |z|, and the long-run mean and
 * variance of that average over judged windows. The point test's gate and the sustained test
 * ask how unusual the current surprise is for this series (cf. HTM's anomaly likelihood), so a
 * series that is always spiky needs a far bigger or longer deviation than a calm one. Owns
 * SurpriseSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams, alphaOf } from '../baseline/record.js';

/** Weight of the surprise prior (a Gaussian series' mean and spread), in windows. */
export const SURPRISE_PRIOR_WINDOWS = 20;

/** Half-life of the short surprise average, in windows. */
const SURPRISE_HALF_LIFE = 2;
/** Surprise contributions are capped (in |z|) so one absurd window cannot dominate the moments. */
export const SURPRISE_CAP = 8;

/** The short surprise average after a window whose directional |z| is `zDir`. */
export const nextSurprise = (b: Baseline, zDir: number): number =>
  b.surprise + alphaOf(SURPRISE_HALF_LIFE) * (Math.min(zDir, SURPRISE_CAP) - b.surprise);

/** How many long-run standard deviations the surprise average stands above its mean. */
export const surpriseScore = (b: Baseline, surprise: number): number =>
  (surprise - b.surpriseMean) / Math.max(Math.sqrt(Math.max(0, b.surpriseVar)), 0.05);

/** The long-run distribution of the surprise average over judged windows: fast at first, then slow. */
export function learnSurprise(
  b: Baseline,
  surprise: number,
  p: BaselineParams,
): Pick<Baseline, 'surprise' | 'surpriseMean' | 'surpriseVar' | 'judged'> {
  const judged = (b.judged ?? 0) + 1;
  const sw = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / (judged + SURPRISE_PRIOR_WINDOWS));
  const sd = surprise - b.surpriseMean;
  return { surprise, surpriseMean: b.surpriseMean + sw * sd, surpriseVar: (1 - sw) * (b.surpriseVar + sw * sd * sd), judged };
}
