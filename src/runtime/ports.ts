/**
 * The ports the runtime works against; adapters live behind them (Kafka under
 * src/sources/kafka and src/sinks/kafka, Redis under src/stores/redis, memory fakes for
 * tests and replay) and only the composition root (src/runtime/app.ts, the CLI) builds them.
 *
 * - AlertSink: `deliver(alerts)` resolves `{ ok: true }` once every alert is durably
 *   accepted (Kafka: acks=all), or `{ ok: false, retriable, error }`. It never throws for an
 *   expected failure. A sink may have delivered some of a failed call's alerts: callers
 *   re-deliver the same alerts (same ids), so a downstream consumer sees at least once,
 *   deduplicated by id.
 * - StateStore: src/stores/types.ts.
 * - StateQuery: a read-only view of stage 2's state (services, each metric's current value
 *   and band, open alert episodes), for an API or page; never mutates.
 */
import { type Alert } from '../core/alert/schema.js';
import { type ServiceId } from '../core/model.js';
import { type MeshwatchError } from '../errors.js';

export type { StateStore } from '../stores/types.js';

export type Delivery = { ok: true } | { ok: false; retriable: boolean; error: MeshwatchError };

export interface AlertSink {
  deliver(alerts: readonly Alert[]): Promise<Delivery>;
  close(): Promise<void>;
}

export interface MetricView {
  metric: string;
  /** Last closed window's value, and the band the detector judged it against (null before warm-up). */
  value: number | null;
  expected: { value: number; lower: number; upper: number } | null;
}

export interface ServiceView {
  service: ServiceId;
  windows: number;
  lastWindowStartMs: number;
  metrics: MetricView[];
  openEpisodes: { key: string; kind: string; since: number }[];
}

export interface StateQuery {
  services(): Promise<ServiceId[]>;
  service(key: string): Promise<ServiceView | undefined>;
}
