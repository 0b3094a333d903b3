/**
 * Drift test: a short EW average (half-life DRIFT_HALF_LIFE windows) of the signed z, and the
 * long-run mean square of that average over normal windows. A small shift that lasts (1–2σ for
 * tens of windows) moves the average far more than noise does, while no single window stands out.
 *
 * Claim: a window is anomalous by drift when |z| ≥ 1 on the side of the drift average, which
 * stands at least DRIFT_BAR × `surpriseThreshold` of its long-run standard deviations from 0,
 * having stood past half that bar on the same side for as many windows as the series' tail asks
 * (driftHeldOf: none for a Gaussian-tailed series, up to DRIFT_HALF_LIFE for a heavy-tailed one),
 * and, for a window with a sample size, its counts pooled over the same span stand as many σ out
 * on that side (detect/sampling.ts).
 * Owns DriftSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams, alphaOf } from '../baseline/record.js';
import { type JudgeParams } from './deviation.js';
import { scoreOf } from './score.js';
import { SURPRISE_PRIOR_WINDOWS } from './surprise.js';
import { GAUSSIAN_TAIL } from './tail.js';

/** Half-life of the drift average, in windows. */
export const DRIFT_HALF_LIFE = 8;
/** Drift contributions are capped (in |z|): a spike is not a drift. */
const DRIFT_CAP = 4;
/** The drift bar, as a multiple of the surprise threshold (6 long-run σ of the drift average at 4). */
const DRIFT_BAR = 1.5;
/**
 * How long a drift must last, in windows its average has stood past half its bar on its side:
 * none in a series whose normal windows are Gaussian-tailed, rising with the series' learned
 * tail (detect/tail.ts) to one half-life of the average for a tail twice a Gaussian's. In a
 * heavy-tailed series a few windows far out (a wiggle of 2–5 windows at 3σ, a pair of
 * heavy-tail draws) move the average past the bar within the windows they last; a shift that
 * lasts keeps it there.
 */
export const driftHeldOf = (b: Baseline): number => Math.round(DRIFT_HALF_LIFE * Math.min(1, Math.max(0, b.tail / GAUSSIAN_TAIL - 1)));

/**
 * Windows in a row (signed: + above, − below) the drift average has stood past half the drift
 * bar on one side, after a window whose drift average is `drift`; a record without the count
 * (written before it existed) starts from 0.
 */
export function nextDriftHeld(b: Baseline, drift: number, p: Pick<JudgeParams, 'surpriseThreshold'>): number {
  const s = driftScore(b, drift);
  const side = p.surpriseThreshold > 0 && Math.abs(s) >= (DRIFT_BAR * p.surpriseThreshold) / 2 ? Math.sign(s) : 0;
  const held = b.driftHeld ?? 0;
  return side === 0 ? 0 : Math.sign(held) === side ? held + side : side;
}

/** The drift average after a window whose z is `z`. */
export const nextDrift = (b: Baseline, z: number): number =>
  (b.drift ?? 0) + alphaOf(DRIFT_HALF_LIFE) * (Math.max(-DRIFT_CAP, Math.min(DRIFT_CAP, z)) - (b.drift ?? 0));

/**
 * Whether the drift average is the drift's own: no window outside the band for two of its
 * half-lives, so an anomaly that just ended (and whose windows still weigh in it) is not
 * reported again as a drift.
 */
export const driftIsOwn = (b: Baseline): boolean => (b.calm ?? 0) >= 2 * DRIFT_HALF_LIFE;

/** How many long-run standard deviations the drift average stands from 0 (signed). */
export function driftScore(b: Baseline, drift: number): number {
  const a = alphaOf(DRIFT_HALF_LIFE);
  return drift / Math.sqrt(Math.max(b.driftVar ?? a / (2 - a), 1e-4));
}

/**
 * The drift test on a window whose z is `z` (in a direction the metric's policy counts): its
 * score when it fires, else undefined. Drifting: a shift too small for the bar, held long enough
 * to move the drift average far out of its usual range; the window itself is on the drift's
 * side, past 1σ.
 */
export function driftTest(b: Baseline, z: number, p: Pick<JudgeParams, 'surpriseThreshold'>, pooled?: number): number | undefined {
  const drift = nextDrift(b, z);
  const drifting = driftScore(b, drift);
  const driftBar = DRIFT_BAR * p.surpriseThreshold;
  // A window with a sample size: its counts pooled over the drift's span must stand as far out.
  const counted = pooled === undefined || pooled * Math.sign(z) >= driftBar;
  const lasting = Math.abs(nextDriftHeld(b, drift, p)) >= driftHeldOf(b);
  if (driftBar > 0 && counted && lasting && Math.abs(z) >= 1 && Math.sign(drifting) === Math.sign(z) && Math.abs(drifting) >= driftBar) {
    return scoreOf(drifting, driftBar);
  }
  return undefined;
}

/**
 * Learns a judged window into `out`: the drift average, the count of calm windows (see
 * driftIsOwn) and, for a normal window, the long-run spread of the average.
 */
export function learnDrift(out: Partial<Baseline>, b: Baseline, z: number, normal: boolean, p: BaselineParams): void {
  const drift = nextDrift(b, z);
  out.driftHeld = nextDriftHeld(b, drift, p);
  let driftVar = b.driftVar;
  if (normal) {
    const a = alphaOf(DRIFT_HALF_LIFE);
    const prior = a / (2 - a); // iid unit-variance z
    const w = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / ((b.judged ?? 0) + SURPRISE_PRIOR_WINDOWS));
    driftVar = (b.driftVar ?? prior) + w * (drift * drift - (b.driftVar ?? prior));
  }
  out.drift = drift;
  out.calm = normal ? (b.calm ?? 0) + 1 : 0;
  if (driftVar !== undefined) out.driftVar = driftVar;
}
