/**
 * Plausible maxima of every number the decoders read: one table, so an absurd value (a 2^64
 * byte count, a 10^300 duration, a wrapped counter read as a float) is refused at the edge as
 * MW_DECODE_BAD_VALUE with its field path instead of poisoning a baseline for weeks.
 *
 * `max` is inclusive; `integer` also refuses fractions and anything beyond
 * Number.MAX_SAFE_INTEGER (2^53 - 1), where JSON numbers stop being exact. Cumulative
 * nanosecond and byte counters are uint64 at the source and may pass 2^53 on long-lived
 * containers: they are read as floats (a rate needs no single-unit precision) up to 2^63.
 */
export interface NumberLimit {
  max: number;
  integer: boolean;
}

const TIB = 2 ** 40;
const PIB = 2 ** 50;
const EIB = 2 ** 60;
const U63 = 2 ** 63;

export const LIMITS = {
  /** Envoy `response_code`: an HTTP status (0 = none sent). */
  httpStatus: { max: 999, integer: true },
  /** Envoy `duration`, ms: one day. */
  durationMs: { max: 86_400_000, integer: false },
  /** Envoy `bytes_received` / `bytes_sent` of one request or connection: 1 TiB. */
  requestBytes: { max: TIB, integer: true },
  /** cAdvisor cumulative CPU time (usage total/user/system, cfs throttled_time), ns. */
  cpuNs: { max: U63, integer: false },
  /** cAdvisor cfs periods / throttled periods: counts. */
  cfsPeriods: { max: Number.MAX_SAFE_INTEGER, integer: true },
  /** cAdvisor memory usage / working set, bytes: 1 PiB. */
  memoryBytes: { max: PIB, integer: false },
  /** cAdvisor filesystem usage of one filesystem, bytes: 1 EiB. */
  fsBytes: { max: EIB, integer: false },
  /** cAdvisor cumulative network rx/tx bytes. */
  networkBytes: { max: U63, integer: false },
  /** cAdvisor process / fd / socket / thread counts. */
  processes: { max: 10_000_000, integer: true },
} as const satisfies Record<string, NumberLimit>;

/** Canonical samples: any gauge, but finite and |value| <= this. */
export const SAMPLE_ABS_MAX = 1e15;

/** Longest canonical sample metric name (it becomes a state key and an alert label). */
export const MAX_METRIC_NAME_CHARS = 256;

/** Latest event time accepted anywhere (9999-12-31T23:59:59.999Z, the last 4-digit year), epoch ms. */
export const MAX_EVENT_TIME_MS = 253_402_300_799_999;

/** Why `v` breaks `limit`, or undefined when it fits. `v` is finite and >= 0. */
export function beyond(v: number, limit: NumberLimit): string | undefined {
  if (v > limit.max) return `${v} is beyond the plausible maximum ${limit.max}`;
  if (limit.integer && !Number.isInteger(v)) return `${v} is not an integer`;
  return undefined;
}
