/**
 * Record test and blips: the largest deviation above (`maxUp`) and below (`maxDown`) the
 * expectation that the series' normal windows and blips showed lately, fading with half-life
 * EXTREMES_SLOWDOWN × slowHalfLifeWindows, and a count of recent one-window anomalies (blips).
 *
 * Claim: one anomalous window RECORD_MARGIN beyond the extreme on its side (raised to the power
 * of the tail's heaviness in a heavy-tailed series: recordMarginOf), after
 * RECORD_HISTORY × slowHalfLifeWindows judged windows, is a record (it fires at once: see
 * detect/spike-drop.ts); a series that blips needs persistence even for a strong window.
 * Owns ExtremesSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams, type Deviation, alphaOf, sigmaOf } from '../baseline/record.js';
import { tailHeavinessOf } from './tail.js';

/** The extremes fade with this multiple of the slow half-life: a series' worst is remembered long. */
const EXTREMES_SLOWDOWN = 4;
/** One window beyond this multiple of the series' recent extreme on its side is a record. */
const RECORD_MARGIN = 1.5;
/**
 * Records count once this share of the slow half-life has been judged: in any series, window n
 * is the largest so far with probability 1/n, so a young series' records mean little.
 */
const RECORD_HISTORY = 1 / 8;

/**
 * Whether a window `dev` away from the expectation is a record: RECORD_MARGIN beyond the
 * largest deviation on its side that the series' normal windows and blips reached lately,
 * after enough history for that to mean something.
 */
export const isRecord = (b: Baseline, dev: number, p: Pick<BaselineParams, 'slowHalfLifeWindows'>): boolean =>
  (b.judged ?? 0) >= RECORD_HISTORY * p.slowHalfLifeWindows &&
  Math.abs(dev) > recordMarginOf(b) * extremeOf(b, dev >= 0 ? b.maxUp : b.maxDown);

/**
 * The record margin of this series: as rare a record as RECORD_MARGIN is in a Gaussian-tailed
 * series. Beyond a series' largest deviation M, a Pareto tail of index α puts k·M at k^−α of
 * M's frequency, so the same rarity needs RECORD_MARGIN^(α_Gaussian / α): the margin raised to
 * the tail's heaviness (detect/tail.ts). A Student-t(3) series keeps setting records (the largest of
 * n draws grows like n^(1/3)); at 1.5 × they are its habit, not an incident.
 */
export const recordMarginOf = (b: Baseline): number => Math.pow(RECORD_MARGIN, tailHeavinessOf(b));

/**
 * A recorded extreme, or for a record written before extremes were kept, what its normal
 * windows reach: the learned tail quantile of |z| times σ (so an upgrade does not make every
 * anomaly a record).
 */
const extremeOf = (b: Baseline, recorded: number | undefined): number => recorded ?? b.tail * sigmaOf(b);

/** The deviation a window adds to the series' extremes: its own when normal, the blip's when one ended. */
export const habitual = (b: Baseline, d0: number, deviation: Deviation, blip: boolean): number =>
  blip ? b.runSum - b.level : deviation === 0 || deviation === 'recurring' ? d0 - b.level : 0;

/**
 * One-window anomalies (blips) lately, after a window that ended one (`blip`) or not: a count
 * that halves every slowHalfLifeWindows / 2 windows.
 */
export const nextBlips = (b: Baseline, blip: boolean, p: Pick<BaselineParams, 'slowHalfLifeWindows'>): number =>
  (b.blips ?? 0) * (1 - alphaOf(p.slowHalfLifeWindows / 2)) + (blip ? 1 : 0);

/**
 * Learns a judged window into `out`: the fading extremes after a deviation `dev` — fed by
 * normal and recurring windows and by blips (see `habitual`); an anomaly that lasts (an
 * incident, a level shift) is not the series' habit and adds 0.
 */
export function learnExtremes(out: Partial<Baseline>, b: Baseline, dev: number, p: BaselineParams): void {
  const keep = 1 - alphaOf(EXTREMES_SLOWDOWN * p.slowHalfLifeWindows);
  out.maxUp = Math.max(extremeOf(b, b.maxUp) * keep, dev);
  out.maxDown = Math.max(extremeOf(b, b.maxDown) * keep, -dev);
}
