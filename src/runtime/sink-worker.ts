/**
 * A sink worker: its own consumer group (`meshwatch-sink-<name>`) on the alerts topic, the
 * incidents topic or both, run by the ConsumeLoop, delivering each alert of a batch through an
 * AlertSink (each incident through an IncidentSink) in offset order
 * (alerts are keyed by service, so in order per service), and committing a batch only after
 * every alert of it was delivered or parked: at least once, deduplicated downstream by id.
 *
 * - Retriable failure (PagerDuty 429/5xx, network): the same alert is retried with
 *   exponential backoff and jitter (`retryInitialMs` doubling up to `retryMaxMs`, each wait
 *   drawn from its upper half), heartbeating; before the first wait the offsets already done
 *   are committed, never the failing one. It blocks this worker's stream (ordering wins);
 *   `stop` ends the wait and leaves the alert uncommitted, to be re-read.
 * - `stop` lets a delivery under way finish and commits what its batch delivered before the
 *   consumer leaves the group, so a restart re-delivers at most that one alert.
 * - Permanent failure (PagerDuty 400, an event too large), or a record that is not an alert:
 *   a parked record on `meshwatch.alerts.parked.<name>` (the alert, the error code and
 *   reason, the source position), and the stream goes on. Parking itself is retried like a
 *   delivery; a parking topic that refuses the record for good stops the worker (fatal).
 * - A failure that says how long to wait (HTTP Retry-After) waits at least that long.
 * - Counters: sent {stage: sink, sink}, sink_retries {sink, code}, sink_parked {sink, code},
 *   sink_latency_ms {sink} (record timestamp on the alerts topic → delivered, summed; the
 *   histogram `meshwatch.sink.latency` has its distribution); labels carry the sink's name
 *   and error codes only. Log lines carry the sink's error
 *   messages, which the sink keeps free of secrets (src/sinks/pagerduty/sink.ts).
 */
import { type z } from 'zod';
import { type Alert, AlertSchema } from '../core/alert/schema.js';
import { type Incident, IncidentSchema } from '../core/incident/schema.js';
import { type ErrorCode, MeshwatchError } from '../errors.js';
import { type Counters } from '../telemetry/counters.js';
import { type ConsumeLoop } from './consume-loop.js';
import {
  type AlertSink,
  type Delivery,
  type IncidentSink,
  type OutRecord,
  type RecordSink,
  type SourceBatch,
  type SourceRecord,
} from './ports.js';

export const PARKED_SCHEMA_ID = 'meshwatch.parked/v1';
/** A sink's consumer group: `<kafka.groups.sinks>-<name>`, by default `meshwatch-sink-<name>`. */
export const sinkGroupOf = (name: string, prefix = 'meshwatch-sink'): string => `${prefix}-${name}`;
/** A sink's parking topic: `<alerts topic>.parked.<name>`, by default `meshwatch.alerts.parked.<name>`. */
export const parkingTopicOf = (name: string, alertsTopic = 'meshwatch.alerts'): string => `${alertsTopic}.parked.${name}`;

/** A record a sink refused for good, as written to its parking topic. */
export interface ParkedRecord {
  schema: typeof PARKED_SCHEMA_ID;
  sink: string;
  code: ErrorCode;
  reason: string;
  topic: string;
  partition: number;
  offset: string;
  /** The alert, when the record was one. */
  alert: Alert | null;
  /** The incident, when the worker reads incidents and the record was one. */
  incident?: Incident;
  /** The record's text (its first 64 KiB) when it was not an alert. */
  value?: string;
}

export interface SinkWorkerOptions {
  name: string;
  loop: ConsumeLoop;
  sink: AlertSink;
  /**
   * Where incident documents go: records of `topic` (the incidents topic) are read as
   * incidents and delivered here; records of any other topic are alerts for `sink`.
   */
  incidents?: { sink: IncidentSink; topic: string };
  /** Where parked records go (acks=all). */
  parking: RecordSink;
  parkingTopic: string;
  counters: Counters;
  retryInitialMs: number;
  retryMaxMs: number;
  /** One line per retry and per parked alert (default: none). */
  log?: (line: string) => void;
  /** Jitter source in [0, 1) (tests pin it). */
  random?: () => number;
}

const MAX_PARKED_VALUE_CHARS = 64 * 1024;
/** Below kafkajs's default session timeout (30 s) by far; kafkajs itself sends at most one per heartbeatInterval. */
const HEARTBEAT_EVERY_MS = 2000;

export class SinkWorker {
  private stopping = false;
  private readonly wakeUp = new AbortController();
  /** The batch being delivered, which `stop` lets finish (and commit) before the consumer leaves. */
  private inFlight: Promise<void> | undefined;

  constructor(private readonly o: SinkWorkerOptions) {}

  async start(): Promise<void> {
    await this.o.loop.run((batch) => {
      const run = this.onBatch(batch);
      this.inFlight = run;
      return run;
    });
  }

  /**
   * Starts no new delivery, ends a backoff wait, lets the delivery under way finish and commits
   * what the batch delivered, then leaves the group. Leaving first would lose that commit (the
   * consumer stops taking them), and the next instance would deliver the batch again.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp.abort();
    await this.inFlight?.catch(() => undefined);
    await this.o.loop.stop();
  }

  private async onBatch(batch: SourceBatch): Promise<void> {
    const first = batch.records[0];
    if (!first) return;
    const from = BigInt(first.offset);
    let next = from;
    let cut = false;
    for (const record of batch.records) {
      cut = this.stopping || !batch.isCurrent();
      if (cut) break;
      const parsed = this.o.incidents?.topic === batch.topic ? incidentOf(record) : alertOf(record);
      if ('code' in parsed) {
        await this.park(batch, record, parsed.code, parsed.reason, null);
      } else {
        const outcome = await this.deliver(batch, parsed, next, Number(record.timestamp));
        if (outcome === 'stopped') {
          cut = true;
          break;
        }
        if (outcome !== 'sent') await this.park(batch, record, outcome.code, outcome.message, parsed);
      }
      next = BigInt(record.offset) + 1n;
    }
    // Everything before `next` was delivered or parked. A batch cut short by `stop` commits that
    // much; one whose partition was taken away (rebalance) commits nothing: its new owner goes on
    // from the last commit.
    if (!cut || (next > from && batch.isCurrent())) await this.o.loop.commit(batch.topic, batch.partition, next);
  }

  /** Delivers one alert or incident, retrying retriable failures until it goes through or the worker stops. */
  private async deliver(
    batch: SourceBatch,
    doc: Doc,
    doneUpTo: bigint,
    producedAtMs: number,
  ): Promise<'sent' | 'stopped' | MeshwatchError> {
    const { counters, name } = this.o;
    const id = 'alert' in doc ? doc.alert.id : doc.incident.id;
    for (let attempt = 0; ; attempt++) {
      const d = 'alert' in doc ? await this.o.sink.deliver([doc.alert]) : await this.deliverIncident(doc.incident);
      if (d.ok) {
        counters.add('sent', 1, { stage: 'sink', sink: name });
        if (Number.isFinite(producedAtMs) && producedAtMs > 0) {
          const ms = Math.max(0, Date.now() - producedAtMs);
          counters.add('sink_latency_ms', ms, { sink: name });
          counters.record('sink_latency', ms, { sink: name });
        }
        return 'sent';
      }
      if (!d.retriable) return d.error;
      counters.add('sink_retries', 1, { sink: name, code: d.error.code });
      if (attempt === 0) await this.o.loop.commit(batch.topic, batch.partition, doneUpTo).catch(() => undefined);
      const waitMs = Math.max(this.backoffMs(attempt), d.retryAfterMs ?? 0);
      this.o.log?.(
        `sink ${name}: ${'alert' in doc ? 'alert' : 'incident'} ${id} not delivered (${d.error.code}: ${d.error.message}); retry ${attempt + 1} in ${waitMs} ms`,
      );
      if (!(await this.wait(batch, waitMs))) return 'stopped';
    }
  }

  private deliverIncident(i: Incident): Promise<Delivery> {
    const sink = this.o.incidents?.sink;
    if (sink) return sink.deliver([i]);
    return Promise.resolve({
      ok: false,
      retriable: false,
      error: new MeshwatchError('MW_SINK_REJECTED', `incident ${i.id}: no incident sink`),
    });
  }

  private async park(batch: SourceBatch, record: SourceRecord, code: ErrorCode, reason: string, doc: Doc | null): Promise<void> {
    const { counters, name } = this.o;
    const alert = doc && 'alert' in doc ? doc.alert : null;
    const incident = doc && 'incident' in doc ? doc.incident : undefined;
    const parked: ParkedRecord = {
      schema: PARKED_SCHEMA_ID,
      sink: name,
      code,
      reason,
      topic: batch.topic,
      partition: batch.partition,
      offset: record.offset,
      alert,
      ...(incident ? { incident } : {}),
      ...(doc ? {} : { value: (record.value?.toString('utf8') ?? '').slice(0, MAX_PARKED_VALUE_CHARS) }),
    };
    const out: OutRecord = {
      key: record.key ? record.key.toString('utf8') : null,
      value: JSON.stringify(parked),
      headers: { 'meshwatch-error': code },
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.o.parking.send(this.o.parkingTopic, [out]);
        break;
      } catch (e) {
        if (!(e instanceof MeshwatchError) || !e.retriable) throw e;
        counters.add('sink_retries', 1, { sink: name, code: e.code });
        if (!(await this.wait(batch, this.backoffMs(attempt)))) throw e;
      }
    }
    counters.add('sink_parked', 1, { sink: name, code });
    this.o.log?.(
      `sink ${name}: parked ${alert ? `alert ${alert.id}` : incident ? `incident ${incident.id}` : 'a record'} from ${batch.topic}/${batch.partition}@${record.offset}: ${code}: ${reason}`,
    );
  }

  /** Exponential backoff with jitter: a wait drawn from the upper half of min(max, initial·2^attempt). */
  private backoffMs(attempt: number): number {
    const ceiling = Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** Math.min(attempt, 30));
    return Math.round(ceiling / 2 + (this.o.random ?? Math.random)() * (ceiling / 2));
  }

  /**
   * Waits `ms`, heartbeating every HEARTBEAT_EVERY_MS so the group keeps this member through
   * a long backoff; false when the worker stopped or the batch is no longer current.
   */
  private async wait(batch: SourceBatch, ms: number): Promise<boolean> {
    for (let left = ms; left > 0; left -= HEARTBEAT_EVERY_MS) {
      if (!(await this.sleep(Math.min(left, HEARTBEAT_EVERY_MS))) || !batch.isCurrent()) return false;
      await batch.heartbeat().catch(() => undefined);
    }
    return true;
  }

  /** Waits, unless the worker stops meanwhile; false when it stopped. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakeUp.signal.removeEventListener('abort', done);
        resolve(!this.stopping);
      };
      const t = setTimeout(done, ms);
      this.wakeUp.signal.addEventListener('abort', done);
    });
  }
}

type Doc = { alert: Alert } | { incident: Incident };

type Parsed<K extends string, T> = { [k in K]: T } | { code: ErrorCode; reason: string };

/** The document a record holds (validated by `schema`), or why it holds none. */
function parsedOf<T>(record: SourceRecord, schema: z.ZodType<T>, what: string): { doc: T } | { code: ErrorCode; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(record.value?.toString('utf8') ?? '');
  } catch {
    return { code: 'MW_DECODE_INVALID_JSON', reason: 'the record is not valid JSON' };
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    return {
      code: 'MW_DECODE_SCHEMA',
      reason: `not a meshwatch ${what}: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}`,
    };
  }
  return { doc: r.data };
}

function incidentOf(record: SourceRecord): Parsed<'incident', Incident> {
  const p = parsedOf(record, IncidentSchema, 'incident');
  return 'doc' in p ? { incident: p.doc } : p;
}

function alertOf(record: SourceRecord): Parsed<'alert', Alert> {
  const p = parsedOf(record, AlertSchema, 'alert');
  return 'doc' in p ? { alert: p.doc } : p;
}
