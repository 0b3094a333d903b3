/**
 * Service-level corroboration: does another kind of signal of this service move with a metric?
 *
 * Claim: a metric's window is corroborated when a metric of another witness of the same service
 * is anomalous in this window or was in the one before (its run of anomalous windows goes on),
 * or when the service has no other witness at all (nothing else to be calm: a lone series, a NAB
 * file). A metric's witness is its kind (metric-kind.ts: latency, CPU, memory, bytes, rate,
 * errors, …), else its name without quantile tokens: the quantiles of one latency, a CPU in
 * millicores and in percent, a memory in MiB and in % of its limit are one witness, not several.
 * A fault shows in several kinds of signal of the service it hits (latency and CPU, traffic and
 * bytes); one kind twitching while every other is calm is a weaker witness: detect/spike-drop.ts
 * lets such a single window (a record, a strong window) fire only by persistence, and a series
 * that jumps far as a habit (detect/habit.ts) fire only when corroborated.
 *
 * O(metrics) per window; no state beyond each metric's own run (baseline/level.ts).
 */
import { type Baseline } from '../baseline/record.js';
import { kindOf } from '../metric-kind.js';
import { type Verdict } from './deviation.js';

/** A quantile token: p50, p99, p99_9, P90, quantile, median (summaries of one distribution). */
const QUANTILE = /(^|[^a-z0-9])(p\d{1,3}(?:_\d+)?|quantile|median)(?=$|[^a-z0-9])|(P\d{1,3})(?=$|[^a-z0-9])/g;

/** Witnesses by metric name (bounded: cleared when full). */
const CACHE_LIMIT = 4096;
const witnesses = new Map<string, string>();

/** A metric's witness: its kind, else its name without quantile tokens. */
export function witnessOf(metric: string): string {
  let w = witnesses.get(metric);
  if (w === undefined) {
    if (witnesses.size >= CACHE_LIMIT) witnesses.clear();
    w = kindOf(metric) ?? metric.replace(QUANTILE, '$1').toLowerCase();
    witnesses.set(metric, w);
  }
  return w;
}

/** One judged metric of the window, as corroboration reads it. */
export interface Witness {
  metric: string;
  prev: Baseline;
  verdict: Verdict;
}

/** Whether a metric moves in this window: anomalous now, or its anomaly began before and runs on. */
const moves = (w: Witness): boolean => w.verdict.status === 'anomalous' || w.prev.run !== 0;

/** For the window's judged metrics: a predicate, per metric, of whether it is corroborated. */
export function corroborationOf(window: readonly Witness[]): (metric: string) => boolean {
  let anchor: string | undefined;
  let alone = true;
  let moving: string | undefined;
  let several = false;
  for (const w of window) {
    const f = witnessOf(w.metric);
    if (anchor === undefined) anchor = f;
    else if (f !== anchor) alone = false;
    if (several || !moves(w)) continue;
    if (moving === undefined) moving = f;
    else if (f !== moving) several = true;
  }
  // A service with one witness has no rest to be calm; two witnesses moving corroborate each other.
  if (alone || several) return () => true;
  if (moving === undefined) return () => false;
  const only = moving;
  return (metric) => witnessOf(metric) !== only;
}
