/**
 * Produce requests that the broker accepts. A topic refuses any record batch larger than
 * its `max.message.bytes`, and kafkajs puts a whole `sendBatch` into one request (one
 * record batch per partition), so a large hand-off (10,000 services' partials) must be
 * cut: `BoundedProducer.send` splits each topic's messages, in order, into requests whose
 * estimated encoded size stays within min(topic limit, `maxRequestBytes`) less headroom
 * for batch headers, and sends them one after the other (so per-partition order holds).
 *
 * Sizes are estimates from above: key, value and header bytes plus a fixed per-record
 * overhead (the v2 record's varints), plus `BATCH_HEADROOM_BYTES` per request.
 * Failure modes: a single record larger than its topic's limit is MW_KAFKA_MESSAGE_TOO_LARGE
 * (not retriable: sending it again cannot work); a broker or network failure is
 * MW_KAFKA_PRODUCE_FAILED, retriable unless kafkajs says otherwise, with the cause attached.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Producer } from 'kafkajs';
import { MeshwatchError } from '../../errors.js';
import { type OutRecord, type RecordSink } from '../../runtime/ports.js';

/** Per-record bytes beyond key, value and headers (length, attributes, deltas: varints). */
export const RECORD_OVERHEAD_BYTES = 64;
/** Per-header bytes beyond its key and value. */
export const HEADER_OVERHEAD_BYTES = 16;
/** Room left in every request for record-batch and request headers. */
export const BATCH_HEADROOM_BYTES = 4096;

/** What the size estimate reads of a record. */
export interface Sized {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  headers?: Record<string, string | Buffer | (string | Buffer)[] | undefined>;
}

const bytesOf = (x: string | Buffer | null | undefined): number =>
  x === null || x === undefined ? 0 : typeof x === 'string' ? Buffer.byteLength(x, 'utf8') : x.length;

/** Estimated encoded size of one record (an upper bound for uncompressed v2 records). */
export function recordBytes(m: Sized): number {
  let n = RECORD_OVERHEAD_BYTES + bytesOf(m.key) + bytesOf(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const vs = Array.isArray(v) ? v : [v];
    for (const one of vs) n += HEADER_OVERHEAD_BYTES + bytesOf(k) + bytesOf(one);
  }
  return n;
}

/**
 * Cuts `messages` (kept in order) into chunks of at most `budgetBytes` estimated bytes. A
 * record above `budgetBytes` but within `maxRecordBytes` travels alone; one above
 * `maxRecordBytes` is refused with its index.
 */
export function splitByBytes<M extends Sized>(
  messages: readonly M[],
  budgetBytes: number,
  maxRecordBytes: number,
): { ok: true; chunks: M[][] } | { ok: false; index: number; bytes: number } {
  const chunks: M[][] = [];
  let cur: M[] = [];
  let curBytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as M;
    const b = recordBytes(m);
    if (b > maxRecordBytes) return { ok: false, index: i, bytes: b };
    if (cur.length > 0 && curBytes + b > budgetBytes) {
      chunks.push(cur);
      cur = [];
      curBytes = 0;
    }
    cur.push(m);
    curBytes += b;
  }
  if (cur.length) chunks.push(cur);
  return { ok: true, chunks };
}

export interface ProduceLimits {
  /** `max.message.bytes` per topic, as the broker reports it (topics not listed use `defaultTopicBytes`). */
  topicBytes: ReadonlyMap<string, number>;
  defaultTopicBytes: number;
  /** Upper bound on one produce request's records (config `kafka.maxRequestBytes`). */
  maxRequestBytes: number;
}

export class BoundedProducer implements RecordSink {
  /** Produce requests sent and records in them, for the hand-off figures. */
  readonly stats = { requests: 0, records: 0 };

  constructor(
    private readonly producer: Producer,
    private readonly limits: ProduceLimits,
    /** Called after each acknowledged request (telemetry). */
    private readonly onRequest: (topic: string, records: number) => void = () => undefined,
  ) {}

  /** Largest record a topic accepts (estimated bytes). */
  maxRecordBytes(topic: string): number {
    return (this.limits.topicBytes.get(topic) ?? this.limits.defaultTopicBytes) - BATCH_HEADROOM_BYTES;
  }

  /** Sends the records (acks=all) in order, in as many requests as the topic's limit needs. */
  async send(topic: string, records: readonly OutRecord[]): Promise<void> {
    if (records.length === 0) return;
    // A child of the batch span that produced the records (consume-loop.ts), when tracing is on.
    await trace.getTracer('meshwatch').startActiveSpan(
      `send ${topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.destination.name': topic,
          'messaging.batch.message_count': records.length,
        },
      },
      async (span) => {
        try {
          await this.sendChunks(topic, records);
        } catch (e) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof MeshwatchError ? e.code : 'error' });
          throw e;
        } finally {
          span.end();
        }
      },
    );
  }

  private async sendChunks(topic: string, records: readonly OutRecord[]): Promise<void> {
    const messages = records.map((r) => ({
      key: r.key,
      value: r.value,
      ...(r.headers ? { headers: r.headers } : {}),
      ...(r.partition === undefined ? {} : { partition: r.partition }),
    }));
    const maxRecord = this.maxRecordBytes(topic);
    const budget = Math.max(1, Math.min(maxRecord, this.limits.maxRequestBytes - BATCH_HEADROOM_BYTES));
    const split = splitByBytes(messages, budget, maxRecord);
    if (!split.ok) {
      throw new MeshwatchError(
        'MW_KAFKA_MESSAGE_TOO_LARGE',
        `topic ${topic}: a record of ~${split.bytes} bytes exceeds the topic's max.message.bytes ` +
          `(${maxRecord + BATCH_HEADROOM_BYTES}, less ${BATCH_HEADROOM_BYTES} headroom); raise the topic's max.message.bytes`,
      );
    }
    for (const chunk of split.chunks) {
      try {
        await this.producer.send({ topic, messages: chunk, acks: -1 });
      } catch (cause) {
        const retriable = (cause as { retriable?: unknown }).retriable !== false;
        throw new MeshwatchError('MW_KAFKA_PRODUCE_FAILED', `topic ${topic}: ${describe(cause)}`, { cause, retriable });
      }
      this.stats.requests++;
      this.stats.records += chunk.length;
      this.onRequest(topic, chunk.length);
    }
  }
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
