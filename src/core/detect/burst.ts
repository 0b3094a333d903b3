/**
 * Burst test: the z of the two windows judged before this one (each capped at ±BURST_CAP), and
 * the long-run mean square of the three-window sum of z over normal windows and the first three
 * windows of any anomaly.
 *
 * Claim: a window is anomalous by burst when it and the two before it are each ≥ BURST_LEAST σ
 * out on one side and their sum of z stands ≥ BURST_BAR × bar / BURST_AT_THRESHOLD of its
 * long-run standard deviations from 0 (never fewer than iid noise gives: √3), once
 * slowHalfLifeWindows / 4 windows were judged: a short spike that no single window shows past
 * the bar. A sum teaches the spread two windows late (a guard band: a burst never widens its own
 * bar); the spread restarts when the daily profile switches on (baseline/learn.ts).
 * Owns BurstSlice (baseline/record.ts).
 */
import { type Baseline, type BaselineParams, type Deviation, alphaOf } from '../baseline/record.js';
import { type JudgeParams } from './deviation.js';
import { scoreOf } from './score.js';
import { SURPRISE_PRIOR_WINDOWS } from './surprise.js';

/** The burst test spans this many windows: the current one and the two before it. */
const BURST_WINDOWS = 3;
/** Each window's part of the burst sum is capped (in |z|): one spike is not a burst. */
const BURST_CAP = 4;
const capBurst = (z: number): number => Math.max(-BURST_CAP, Math.min(BURST_CAP, z));

/**
 * The burst bar, in long-run standard deviations of the three-window sum, at a bar of
 * BURST_AT_THRESHOLD (it scales with the bar, so with the threshold and a heavy tail): for iid
 * unit noise a sum of 8σ, i.e. three windows of 2.7σ on average.
 */
export const BURST_BAR = 4.6;
export const BURST_AT_THRESHOLD = 4;
/** Each window of a burst is at least this far out, in σ, on the burst's side. */
export const BURST_LEAST = 1;
/**
 * Bursts count once this share of the slow half-life has been judged: before that, the
 * series' own three-window spread (and its habit of bursting) is not known.
 */
const BURST_HISTORY = 1 / 4;

/**
 * The burst after a window whose z is `z`: the sum of the last three windows' capped z, and
 * how many of its long-run standard deviations (never fewer than iid unit noise gives) it
 * stands from 0, signed; `least` is the smallest of the three on the sum's side.
 */
export function burstOf(b: Baseline, z: number): { score: number; least: number } {
  const z1 = b.z1 ?? 0;
  const z2 = b.z2 ?? 0;
  const z0 = capBurst(z);
  const sum = z0 + z1 + z2;
  const sd = Math.sqrt(Math.max(b.burstVar ?? BURST_WINDOWS, BURST_WINDOWS));
  const least = sum >= 0 ? Math.min(z0, z1, z2) : -Math.max(z0, z1, z2);
  return { score: sum / sd, least };
}

/**
 * The burst test on a window whose z is `z` (in a direction the metric's policy counts) against
 * the point bar `bar`: its score when it fires, else undefined.
 */
export function burstTest(
  b: Baseline,
  z: number,
  bar: number,
  p: Pick<JudgeParams, 'surpriseThreshold' | 'slowHalfLifeWindows'>,
): number | undefined {
  const burst = burstOf(b, z);
  const burstBar = (BURST_BAR * bar) / BURST_AT_THRESHOLD;
  const bursting =
    p.surpriseThreshold > 0 &&
    (b.judged ?? 0) >= BURST_HISTORY * p.slowHalfLifeWindows &&
    Math.sign(burst.score) === Math.sign(z) &&
    Math.abs(burst.score) >= burstBar &&
    burst.least >= BURST_LEAST;
  return bursting ? scoreOf(burst.score, burstBar) : undefined;
}

/**
 * Whether a window teaches the burst spread: a normal or recurring one, or one of the first
 * BURST_WINDOWS of an anomaly (a series whose short bursts are its habit learns a wide burst
 * spread), but not the rest of a long incident.
 */
export const burstHabit = (b: Baseline, deviation: Deviation): boolean =>
  deviation === 0 || deviation === 'recurring' || (Math.sign(b.run) === deviation ? Math.abs(b.run) + 1 : 1) <= BURST_WINDOWS;

/**
 * Learns a judged window into `out`: this window's capped z joins the last two, and (behind the
 * guard band: see BurstSlice.burstPend1) the sum seen two windows ago teaches the spread when
 * the window is a habit one (`habit`, see burstHabit).
 */
export function learnBurst(out: Partial<Baseline>, b: Baseline, z: number, habit: boolean, p: BaselineParams): void {
  const zc = capBurst(z);
  let burstVar = b.burstVar;
  let burstN = b.burstN;
  const teaching = habit ? b.burstPend2 : undefined;
  if (teaching !== undefined) {
    const taught = b.burstN ?? b.judged ?? 0;
    const w = Math.max(alphaOf(p.slowHalfLifeWindows / 4), 1 / (taught + SURPRISE_PRIOR_WINDOWS));
    burstVar = (b.burstVar ?? BURST_WINDOWS) + w * (teaching * teaching - (b.burstVar ?? BURST_WINDOWS));
    burstN = taught + 1;
  }
  out.z1 = zc;
  out.z2 = b.z1 ?? 0;
  if (habit) {
    out.burstPend1 = (b.z1 ?? 0) + (b.z2 ?? 0) + zc;
    out.burstPend2 = b.burstPend1;
  }
  if (burstVar !== undefined) out.burstVar = burstVar;
  if (burstN !== undefined) out.burstN = burstN;
}
