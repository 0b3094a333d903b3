/**
 * Learning one window: the one entry point that updates a baseline record, composing its parts
 * (level, seasonal profile, noise profile, recurring peaks through the hour accumulator) and the
 * tests' own statistics (drift, burst, records and blips). Pure: returns a new record; a window
 * at or before `lastWindowStart` returns the record unchanged (idempotent).
 */
import { learnBurst, burstHabit } from '../detect/burst.js';
import { learnDrift } from '../detect/drift.js';
import { habitual, learnExtremes, nextBlips } from '../detect/records.js';
import { type WindowCounts, learnSample } from '../detect/sampling.js';
import { learnLevel } from './level.js';
import { type Baseline, type BaselineParams, type Deviation, HOUR_MS } from './record.js';
import { cloneBaseline } from './clone.js';
import { seasonOf } from './season.js';

/**
 * Learns one window's value. `deviation` is the detector's verdict for this value
 * (0 inside the band, ±1 above/below it); `z` its standardised residual (0 when not judged);
 * `counts` what its sample size showed, when it had one (detect/sampling.ts). A window with too
 * little data to judge (`insufficient`) teaches only its counts.
 */
export function learn(
  b: Baseline,
  x: number,
  windowStart: number,
  deviation: Deviation,
  z: number,
  p: BaselineParams,
  surprise = b.surprise,
  counts?: WindowCounts,
): Baseline {
  if (windowStart <= b.lastWindowStart) return b;
  if (deviation === 'insufficient') {
    const out = cloneBaseline(b);
    out.lastWindowStart = windowStart;
    if (counts) learnSample(out, b, counts, false, p);
    return out;
  }
  const used = b.seasonOn ? seasonOf(b, windowStart, p) : 0;
  // A run of exactly one anomalous window just ended: a blip.
  const blip = Math.abs(b.run) === 1 && deviation !== Math.sign(b.run);
  const blips = nextBlips(b, blip, p);
  const extra: Partial<Baseline> =
    z === 0 && b.drift === undefined
      ? blips === 0
        ? {}
        : { blips }
      : judgedExtra(b, z, deviation === 0, blips, habitual(b, x - used, deviation, blip), p, burstHabit(b, deviation));
  if (counts) learnSample(extra, b, counts, deviation === 1 || deviation === -1, p);
  return keepContinuous(used, learnLevel(b, x - used, x, windowStart, deviation, z, p, surprise, extra), windowStart, p);
}

/**
 * When the profile switches on, the spread restarts from at most this multiple of the
 * within-hour variance around the hour's trend (the profile is still young: its residuals
 * exceed the bare noise).
 */
const SWITCH_ON_VAR = 1.5;

/**
 * The expected value must not jump because the seasonal profile moved (an hour was folded
 * in) or switched off: re-base the deseasonalised level by the change of the offset at this
 * time. When it switches on, the level restarts on the profile (levelAtSwitchOn) and the
 * spreads restart.
 */
function keepContinuous(used: number, after: Baseline, ts: number, p: BaselineParams): Baseline {
  const next = seasonOf(after, ts, p);
  const seasonOn = next !== 0;
  if (next === used && seasonOn === (after.seasonOn ?? false)) return after;
  const switchedOn = seasonOn && !(after.seasonOn ?? false) && (after.hourVar ?? -1) >= 0;
  const variance = switchedOn ? Math.min(after.variance, SWITCH_ON_VAR * (after.hourVar ?? after.variance)) : after.variance;
  const out = cloneBaseline(after);
  out.seasonOn = seasonOn;
  out.level = switchedOn ? levelAtSwitchOn(after, used - next, ts, p) : after.level + used - next;
  out.variance = variance;
  if (switchedOn) {
    // The residuals change character when the profile switches on (before, the level lagged
    // the cycle and they ran in long one-sided stretches): the burst spread starts again.
    out.burstN = 0;
    delete out.burstVar;
    delete out.burstPend1;
    delete out.burstPend2;
  }
  return out;
}

/**
 * The deseasonalised level when the profile switches on: the last hour folded from its windows
 * inside the band, less that hour's offset, when it ended at most RESEAT_HOURS ago. Before the
 * switch the level followed the raw values with its half-life's lag, so on a slope of the cycle
 * it stood far from the curve; kept continuous, that error would take hours to fade, hiding
 * spikes and filling the fresh spread with one-sided residuals. Without such an hour, the level
 * is re-based by the change of the offset (`shift`) like any other profile change.
 */
function levelAtSwitchOn(b: Baseline, shift: number, ts: number, p: BaselineParams): number {
  if (b.hourMean === undefined || b.hourAt === undefined || Math.floor(ts / HOUR_MS) - b.hourAt > RESEAT_HOURS) return b.level + shift;
  return b.hourMean - seasonOf(b, (b.hourAt + 0.5) * HOUR_MS, p);
}

/** How recent (in hours before the current one) the hour that re-seats the level must be. */
const RESEAT_HOURS = 2;

/**
 * What a judged window adds besides the level: the blip count, and each test's statistics —
 * the drift average and spread (detect/drift.ts), the fading extremes after a deviation `dev`
 * (detect/records.ts) and the burst sums (detect/burst.ts; `habit`: whether this window
 * teaches the burst spread). One object per window: this runs for every series every window.
 */
function judgedExtra(
  b: Baseline,
  z: number,
  normal: boolean,
  blips: number,
  dev: number,
  p: BaselineParams,
  habit: boolean,
): Partial<Baseline> {
  const out: Partial<Baseline> = { blips };
  learnDrift(out, b, z, normal, p);
  learnExtremes(out, b, dev, p);
  learnBurst(out, b, z, habit, p);
  return out;
}
