/**
 * The ports the runtime works against; adapters live behind them (Kafka under
 * src/sources/kafka and src/sinks/kafka, Redis under src/stores/redis, memory fakes for
 * tests and replay) and only the composition root (src/runtime/app.ts, the CLI) builds them.
 *
 * - RecordSource: batches of one partition with their positions; the consumer commits a
 *   position only when told (`commit`, after the batch's effects are durable), re-reads
 *   from a given offset when told (`rewind`), reports each (re)assignment, and reports a
 *   stop it will not recover from to the composition root (fatal).
 * - RecordSink: records to a topic, acknowledged by all replicas when `send` resolves.
 * - AlertSink: `deliver(alerts)` resolves `{ ok: true }` once every alert is durably
 *   accepted (Kafka: acks=all), or `{ ok: false, retriable, error }`. It never throws for an
 *   expected failure. A sink may have delivered some of a failed call's alerts: callers
 *   re-deliver the same alerts (same ids), so a downstream consumer sees at least once,
 *   deduplicated by id.
 * - IncidentSink: the same for incident documents (meshwatch.incident/v1).
 * - StormLedger: the storm guard's view shared by every detect instance.
 * - StateStore: src/stores/types.ts.
 * - StateQuery: a read-only view of stage 2's state (services, each metric's last value and
 *   the band its next window is judged against, open alert episodes: core/pipeline/service-view.ts;
 *   recent windows, peers and alerts: runtime/recent.ts), for an API or page; never mutates. Implemented over the detect worker's engines and the
 *   store by src/runtime/state-query.ts.
 */
import { type Alert } from '../core/alert/schema.js';
import { type Incident } from '../core/incident/schema.js';
import { type StormStepResult } from '../core/incident/storm.js';
import { type ServiceId } from '../core/model.js';
import { type ServiceView } from '../core/pipeline/service-view.js';
import { type ProfileView } from '../core/profile/view.js';
import { type MeshwatchError } from '../errors.js';
import { type AlertSummary, type ServiceSeries } from './recent.js';

export type { StateStore } from '../stores/types.js';
export type { MetricView, ServiceView } from '../core/pipeline/service-view.js';
export type { ProfileView } from '../core/profile/view.js';
export type { AlertSummary, ServiceSeries, SeriesPoint } from './recent.js';

/** `retryAfterMs`: how long the service asked to wait before the next attempt (HTTP Retry-After). */
export type Delivery = { ok: true } | { ok: false; retriable: boolean; error: MeshwatchError; retryAfterMs?: number };

export interface AlertSink {
  deliver(alerts: readonly Alert[]): Promise<Delivery>;
  close(): Promise<void>;
}

/** Incident documents (meshwatch.incident/v1) out: the incidents topic, a paging sink. Same contract as AlertSink. */
export interface IncidentSink {
  deliver(incidents: readonly Incident[]): Promise<Delivery>;
  close(): Promise<void>;
}

/**
 * The storm guard's shared view (core/incident/storm.ts): each batch of closed windows reports
 * the services that closed one (service key, window start) and the service incidents it
 * changed; the answer says which storm each belongs to, the storm documents to publish, which
 * of the batch's documents the hold took and the held documents it released.
 * Memory (core/incident/ledger.ts) and Redis (stores/redis/storm.ts). Failures: MW_STORE_UNAVAILABLE.
 */
export interface StormLedger {
  step(
    closed: readonly (readonly [string, number])[],
    incidents: readonly Incident[],
  ): Promise<Pick<StormStepResult, 'storms' | 'stormOf' | 'held' | 'released'>>;
}

/** One page of services: those whose `serviceKey` sorts after `after`, at most `limit`. */
export interface ServicePage {
  after?: string;
  limit?: number;
}

export interface StateQuery {
  /** Services in `serviceKey` order, one bounded page at a time (the implementation caps `limit`). */
  services(page?: ServicePage): Promise<ServiceId[]>;
  /** One service by its `serviceKey`; undefined when nothing is known of it. */
  service(key: string): Promise<ServiceView | undefined>;
  /** One service's learned profile and its recommendation (core/profile/recommend.ts); undefined when none is learned. */
  profile(key: string): Promise<ProfileView | undefined>;
  /** One service's recent windows per metric with the band each was judged against (runtime/recent.ts); undefined when none were kept. */
  series(key: string): Promise<ServiceSeries | undefined>;
  /** One service's peers, new ones marked; undefined when nothing is known of it. */
  peers(key: string): Promise<PeerView[] | undefined>;
  /** Recent alerts this process delivered, newest first, `service`'s only when given (the implementation caps `limit`). */
  alerts(opts?: { service?: string; limit?: number }): Promise<AlertSummary[]>;
}

/** A peer of a service: `new` while a new_peer episode for it is open or one of the recent alerts fired for it. */
export interface PeerView {
  peer: string;
  direction: 'inbound' | 'outbound';
  firstSeen: number;
  lastSeen: number;
  requests: number;
  new: boolean;
}

export interface SourceRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
}

export interface SourceBatch {
  topic: string;
  partition: number;
  /** At least one record, in offset order. */
  records: readonly SourceRecord[];
  /** The partition's end offset when the batch was fetched. */
  highWatermark: string;
  /** False once the source is stopping or the partition was rewound: stop working on the batch. */
  isCurrent(): boolean;
  heartbeat(): Promise<void>;
}

export interface PartitionPosition {
  topic: string;
  partition: number;
  /** The group's committed offset; null when it has none. */
  committed: bigint | null;
  low: bigint;
  high: bigint;
}

export interface RecordSource {
  /**
   * Consumes until stopped, one batch at a time per partition. A batch whose handler resolved
   * (and was not rewound) counts as read; nothing is committed unless `commit` says so.
   * A handler error that is retriable re-reads the batch; any other stops the source (fatal).
   */
  run(handler: (batch: SourceBatch) => Promise<void>): Promise<void>;
  /** Called after every (re)join with the partitions now assigned; reading restarts at committed offsets then. */
  onAssignment(listener: (assigned: ReadonlyMap<string, readonly number[]>) => void): void;
  /** Commits `nextOffset` (the first offset not yet durable) for a partition. */
  commit(topic: string, partition: number, nextOffset: bigint): Promise<void>;
  /** Re-reads a partition from `offset`; batches already fetched past it are skipped. */
  rewind(topic: string, partition: number, offset: bigint): void;
  /** Backpressure: stop and restart fetching these partitions. */
  pause(topic: string, partitions: readonly number[]): void;
  resume(topic: string, partitions: readonly number[]): void;
  /** Committed and end offsets of these topics' partitions for the source's group. */
  positions(topics: readonly string[]): Promise<PartitionPosition[]>;
  stop(): Promise<void>;
}

export interface OutRecord {
  key: string | null;
  value: string;
  headers?: Record<string, string>;
  /** Explicit partition (watermark reports go to every partition); else by key. */
  partition?: number;
}

export interface RecordSink {
  /** Largest record the topic takes (bytes, estimated as the sink does). */
  maxRecordBytes(topic: string): number;
  /** Sends the records in order (split into as many requests as the topic's limit needs). */
  send(topic: string, records: readonly OutRecord[]): Promise<void>;
}
