/**
 * The baseline's public surface: the record, learning one window, and what the detectors read
 * (the expectation and σ at a time, the recurring peak of an hour).
 */
export {
  type Baseline,
  type BaselineParams,
  type Deviation,
  NO_PEAKS,
  alphaOf,
  emptyBaseline,
  hourOfDay,
  hourOfWeek,
  sigmaOf,
} from './record.js';
export { learn } from './learn.js';
export { noiseAt, sigmaAt } from './noise.js';
export { RECUR_MARGIN, recurringPeak } from './peaks.js';
export { expectedAt, seasonOf, seasonalAmplitude, seasonalityHolds } from './season.js';
