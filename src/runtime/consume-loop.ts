/**
 * The one consume loop every worker runs (ingest, detect, future sink workers), over the
 * RecordSource and RecordSink ports. It serialises a worker's batches with its timers
 * (`exclusive`), counts what it received, applies the DLQ policy to rejected records
 * (`reject`: a dead letter with the original bytes, reason and position, or with policy
 * `fail` a non-retriable error that stops the process), sends dead letters, and commits
 * only when the worker says the batch's effects are durable (`commit`). `rewind` makes the
 * source re-read a partition from an offset (stage 2's cache reset); `pause`/`resume`
 * stop and restart fetching a partition (backpressure for slow sinks).
 *
 * Errors: a handler's error goes back to the source, which re-reads the batch when it is
 * retriable and otherwise reports a fatal error to the composition root.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { type Problem } from '../core/result.js';
import { MeshwatchError } from '../errors.js';
import { deadLetterOf, payloadBytesFor } from '../sinks/kafka/dlq.js';
import { type Counters, type Stage } from '../telemetry/counters.js';
import { Mutex } from './mutex.js';
import { type OutRecord, type RecordSink, type RecordSource, type SourceBatch, type SourceRecord } from './ports.js';

export type OnFatal = (e: MeshwatchError) => void;

export interface ConsumeLoopOptions {
  stage: Stage;
  source: RecordSource;
  sink: RecordSink;
  dlqTopic: string;
  /** `dlq`: a rejected record becomes a dead letter and the stream goes on; `fail`: stop. */
  onReject: 'dlq' | 'fail';
  counters: Counters;
}

export class ConsumeLoop {
  private readonly mutex = new Mutex();

  constructor(private readonly o: ConsumeLoopOptions) {}

  get source(): RecordSource {
    return this.o.source;
  }

  /** Runs `handler` for each batch, never concurrently with another batch or an `exclusive` section. */
  run(handler: (batch: SourceBatch) => Promise<void>): Promise<void> {
    return this.o.source.run((batch) =>
      this.mutex.run(() =>
        // One span per batch, active while the handler runs: what it publishes (alerts, windows,
        // dead letters) is traced as its children. No-op unless the SDK was started.
        trace.getTracer('meshwatch').startActiveSpan(
          `${this.o.stage} batch`,
          {
            kind: SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'kafka',
              'messaging.operation.type': 'process',
              'messaging.destination.name': batch.topic,
              'messaging.destination.partition.id': String(batch.partition),
              'messaging.batch.message_count': batch.records.length,
              'meshwatch.stage': this.o.stage,
            },
          },
          async (span) => {
            try {
              await handler(batch);
              this.o.counters.add('received', batch.records.length, { stage: this.o.stage });
            } catch (e) {
              span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof MeshwatchError ? e.code : 'error' });
              throw e;
            } finally {
              span.end();
            }
          },
        ),
      ),
    );
  }

  /** Runs `f` (a timer's work) between batches. */
  exclusive<T>(f: () => Promise<T>): Promise<T> {
    return this.mutex.run(f);
  }

  /** The DLQ policy for one rejected record: its dead letter, or (policy `fail`) a non-retriable error. */
  reject(batch: SourceBatch, record: SourceRecord, problem: Problem, decoder: string): OutRecord {
    if (this.o.onReject === 'fail') {
      throw new MeshwatchError(problem.code, `${batch.topic}/${batch.partition}@${record.offset}: ${problem.reason}`, { retriable: false });
    }
    this.o.counters.add('dropped', 1, { stage: this.o.stage, reason: problem.code });
    const letter = deadLetterOf({
      problem,
      decoder,
      topic: batch.topic,
      partition: batch.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      stage: this.o.stage === 'detect' ? 'detect' : 'ingest',
      maxPayloadBytes: payloadBytesFor(this.o.sink.maxRecordBytes(this.o.dlqTopic)),
    });
    return {
      key: record.key ? record.key.toString('utf8') : null,
      value: JSON.stringify(letter),
      headers: { 'meshwatch-error': problem.code },
    };
  }

  async sendDeadLetters(letters: readonly OutRecord[]): Promise<void> {
    await this.o.sink.send(this.o.dlqTopic, letters);
  }

  commit(topic: string, partition: number, nextOffset: bigint): Promise<void> {
    return this.o.source.commit(topic, partition, nextOffset);
  }

  rewind(topic: string, partition: number, offset: bigint): void {
    this.o.source.rewind(topic, partition, offset);
  }

  async stop(): Promise<void> {
    await this.o.source.stop();
    await this.mutex.run(() => Promise.resolve());
  }
}
