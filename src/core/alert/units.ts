/**
 * What an alert's numbers mean: each window metric's unit, the resolution worth showing,
 * the domain its values live in, and how a person reads it. Pure.
 *
 * - `unitOf(metric)`: the metric's unit (`ratio`, `ms`, `1/s`, `bytes`, `bytes/s`, `cores`,
 *   `count`), or undefined for a metric meshwatch does not derive (a replayed gauge).
 * - `roundFor(metric, x)`: at most 4 significant digits, never finer than the unit's
 *   resolution (a ratio to 0.0001, milliseconds to 0.1, cores to 0.001) and never coarser
 *   than 1 (counts and byte totals stay whole and exact): the alert carries 0.0112, not
 *   0.011166666666666665.
 * - `bandFor(metric, band)`: the band clamped to the metric's domain (ratios in [0, 1],
 *   every derived metric ≥ 0), then rounded; a band learned on a symmetric spread never
 *   shows a negative ratio or one above 1.
 * - `formatValue(metric, x)`: the value with its unit for a summary (`1.12 %`, `812 ms`,
 *   `3.4 MiB/s`, `0.25 cores`, `41.3 req/s`).
 */
import { ANY_DOMAIN, type Domain } from '../detect/scale.js';
import { type WindowMetric } from '../model.js';

export const ALERT_UNITS = ['ratio', 'ms', '1/s', 'bytes', 'bytes/s', 'cores', 'count'] as const;
export type AlertUnit = (typeof ALERT_UNITS)[number];

const UNITS: Record<WindowMetric, AlertUnit> = {
  requests_per_s: '1/s',
  error_ratio: 'ratio',
  latency_p50_ms: 'ms',
  latency_p99_ms: 'ms',
  bytes_in_per_s: 'bytes/s',
  bytes_out_per_s: 'bytes/s',
  cpu_cores: 'cores',
  cpu_throttled_ratio: 'ratio',
  memory_working_set_bytes: 'bytes',
  memory_limit_ratio: 'ratio',
  network_rx_bytes_per_s: 'bytes/s',
  network_tx_bytes_per_s: 'bytes/s',
  fs_usage_bytes: 'bytes',
  processes: 'count',
};

/** The smallest step worth showing, per unit. */
const RESOLUTION: Record<AlertUnit, number> = {
  ratio: 1e-4,
  ms: 0.1,
  '1/s': 0.001,
  bytes: 1,
  'bytes/s': 0.01,
  cores: 0.001,
  count: 1,
};

export const unitOf = (metric: string): AlertUnit | undefined => (Object.hasOwn(UNITS, metric) ? UNITS[metric as WindowMetric] : undefined);

/** `x` to 4 significant digits. Non-finite values pass through. */
export function significant(x: number, digits = 4): number {
  if (!Number.isFinite(x) || x === 0) return x;
  return Number(x.toPrecision(digits));
}

/**
 * `x` rounded to what it means for `metric`: 4 significant digits, never finer than the unit's
 * resolution, and never coarser than 1 (a whole count or byte total stays exact).
 */
export function roundFor(metric: string, x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const unit = unitOf(metric);
  const sig = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 3);
  const step = Math.min(1, Math.max(unit === undefined ? 0 : RESOLUTION[unit], sig));
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  // toFixed at the step's own decimals kills the binary tail (0.1 × 3 = 0.30000000000000004).
  const r = Number((Math.round(x / step) * step).toFixed(Math.min(20, decimals)));
  return Object.is(r, -0) ? 0 : r;
}

const RATIO = Object.freeze({ min: 0, max: 1 });
const NON_NEGATIVE = Object.freeze({ min: 0, max: Infinity });

/** The metric's domain: [0, 1] for ratios, [0, ∞) for every derived metric, unbounded otherwise (shared frozen values). */
export function domainOf(metric: string): Domain {
  const unit = unitOf(metric);
  if (unit === undefined) return ANY_DOMAIN;
  return unit === 'ratio' ? RATIO : NON_NEGATIVE;
}

const clamp = (x: number, d: { min: number; max: number }): number => Math.min(d.max, Math.max(d.min, x));

/** The band inside the metric's domain, rounded; lower ≤ value ≤ upper still holds when it held. */
export function bandFor(
  metric: string,
  band: { value: number; lower: number; upper: number },
): { value: number; lower: number; upper: number } {
  const d = domainOf(metric);
  return {
    value: roundFor(metric, clamp(band.value, d)),
    lower: roundFor(metric, clamp(band.lower, d)),
    upper: roundFor(metric, clamp(band.upper, d)),
  };
}

const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

function bytesText(x: number): string {
  let v = Math.abs(x);
  let i = 0;
  while (v >= 1024 && i < IEC.length - 1) {
    v /= 1024;
    i++;
  }
  const sign = x < 0 ? '-' : '';
  return `${sign}${i === 0 ? Math.round(v) : significant(v, 3)} ${IEC[i]}`;
}

/** A plain number without exponent noise: 4 significant digits (whole numbers stay whole). */
export const plain = (x: number): string => {
  if (!Number.isFinite(x) || (Number.isInteger(x) && Math.abs(x) < 1e9)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e9 || a < 1e-4)) return x.toExponential(2);
  return String(significant(x));
};

/** The number and the unit suffix a person reads (`1.12`, `%`); bytes scale to KiB, MiB … */
function parts(metric: string, x: number): { num: string; suffix: string } {
  switch (unitOf(metric)) {
    case 'ratio':
      return { num: plain(significant(roundFor(metric, x) * 100)), suffix: ' %' };
    case 'ms':
      return { num: plain(roundFor(metric, x)), suffix: ' ms' };
    case '1/s':
      return { num: plain(roundFor(metric, x)), suffix: ' req/s' };
    case 'bytes':
      return { num: bytesText(x), suffix: '' };
    case 'bytes/s':
      return { num: bytesText(x), suffix: '/s' };
    case 'cores':
      return { num: plain(roundFor(metric, x)), suffix: ' cores' };
    case 'count':
      return { num: plain(roundFor(metric, x)), suffix: '' };
    case undefined:
      return { num: plain(x), suffix: '' };
  }
}

/** The value as a person reads it, with its unit: `1.12 %`, `812 ms`, `3.4 MiB/s`. */
export function formatValue(metric: string, x: number): string {
  const p = parts(metric, x);
  return `${p.num}${p.suffix}`;
}

/** A range with its unit once where it reads well: `0..0.35 %`, `812..900 ms`, `1 MiB/s..2 MiB/s`. */
export function formatRange(metric: string, lower: number, upper: number): string {
  const unit = unitOf(metric);
  if (unit === 'bytes' || unit === 'bytes/s') return `${formatValue(metric, lower)}..${formatValue(metric, upper)}`;
  const lo = parts(metric, lower);
  const hi = parts(metric, upper);
  return `${lo.num}..${hi.num}${hi.suffix}`;
}
