/**
 * The sink worker over an in-memory source and parking sink: commit only after delivery,
 * retries with growing jittered backoff and no commit past the failing alert, parking of
 * permanent failures, and a stop that ends a backoff without committing the alert.
 */
import { describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { MeshwatchError } from '../../../src/errors.js';
import { ConsumeLoop } from '../../../src/runtime/consume-loop.js';
import {
  type AlertSink,
  type Delivery,
  type OutRecord,
  type RecordSink,
  type RecordSource,
  type SourceBatch,
} from '../../../src/runtime/ports.js';
import { type ParkedRecord, SinkWorker } from '../../../src/runtime/sink-worker.js';
import { Counters } from '../../../src/telemetry/counters.js';
import { alertOf } from '../../contract/alert-sink.js';

class FakeSource implements RecordSource {
  handler: ((b: SourceBatch) => Promise<void>) | undefined;
  readonly commits: bigint[] = [];
  heartbeats = 0;
  run(handler: (b: SourceBatch) => Promise<void>): Promise<void> {
    this.handler = handler;
    return Promise.resolve();
  }
  batch(values: string[], firstOffset = 0): Promise<void> {
    return this.handler!({
      topic: 'alerts',
      partition: 0,
      records: values.map((v, i) => ({ offset: String(firstOffset + i), key: Buffer.from('k'), value: Buffer.from(v), timestamp: '0' })),
      highWatermark: String(firstOffset + values.length),
      isCurrent: () => true,
      heartbeat: () => {
        this.heartbeats++;
        return Promise.resolve();
      },
    });
  }
  onAssignment(): void {}
  commit(_t: string, _p: number, next: bigint): Promise<void> {
    this.commits.push(next);
    return Promise.resolve();
  }
  rewind(): void {}
  pause(): void {}
  resume(): void {}
  positions(): Promise<never[]> {
    return Promise.resolve([]);
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

class Parking implements RecordSink {
  readonly records: OutRecord[] = [];
  maxRecordBytes(): number {
    return 1024 * 1024;
  }
  send(_topic: string, records: readonly OutRecord[]): Promise<void> {
    this.records.push(...records);
    return Promise.resolve();
  }
}

/** A sink answering from a script (per call), then ok; records what it delivered. */
class ScriptedSink implements AlertSink {
  readonly delivered: Alert[] = [];
  readonly calls: string[] = [];
  constructor(private readonly script: ((a: Alert) => Delivery | undefined)[] = []) {}
  deliver(alerts: readonly Alert[]): Promise<Delivery> {
    const a = alerts[0]!;
    this.calls.push(a.id);
    const d = this.script.shift()?.(a);
    if (d && !d.ok) return Promise.resolve(d);
    this.delivered.push(...alerts);
    return Promise.resolve({ ok: true });
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const retriable = (): Delivery => ({ ok: false, retriable: true, error: new MeshwatchError('MW_SINK_DELIVERY', 'PagerDuty answered 500') });
const rejected = (): Delivery => ({
  ok: false,
  retriable: false,
  error: new MeshwatchError('MW_SINK_REJECTED', 'PagerDuty answered 400: Event object is invalid'),
});

function setup(sink: AlertSink, retry = { retryInitialMs: 10, retryMaxMs: 40 }) {
  const source = new FakeSource();
  const parking = new Parking();
  const counters = new Counters();
  const lines: string[] = [];
  const loop = new ConsumeLoop({ stage: 'sink', source, sink: parking, dlqTopic: 'dlq', onReject: 'dlq', counters });
  const worker = new SinkWorker({
    name: 'test',
    loop,
    sink,
    parking,
    parkingTopic: 'parked',
    counters,
    ...retry,
    log: (l) => lines.push(l),
    random: () => 0.5,
  });
  return { source, parking, counters, lines, worker };
}

describe('SinkWorker', () => {
  it('delivers a batch in offset order and commits after it', async () => {
    const sink = new ScriptedSink();
    const { source, worker, counters } = setup(sink);
    await worker.start();
    const alerts = [alertOf('a', 'firing', 0), alertOf('b', 'firing', 1), alertOf('a', 'resolved', 2)];
    await source.batch(
      alerts.map((a) => JSON.stringify(a)),
      10,
    );
    expect(sink.delivered).toEqual(alerts);
    expect(source.commits).toEqual([13n]);
    expect(counters.get('sent', { stage: 'sink', sink: 'test' })).toBe(3);
  });

  it('retries a retriable failure with growing backoff, committing only what came before it', async () => {
    const sink = new ScriptedSink([() => undefined, retriable, retriable, retriable]);
    const { source, worker, counters, lines } = setup(sink);
    await worker.start();
    const alerts = [alertOf('a', 'firing', 0), alertOf('b', 'firing', 1)];
    await source.batch(alerts.map((a) => JSON.stringify(a)));
    expect(sink.calls).toEqual([alerts[0]!.id, alerts[1]!.id, alerts[1]!.id, alerts[1]!.id, alerts[1]!.id]);
    expect(sink.delivered).toEqual(alerts);
    // Before the first wait: offset 1 (the failing alert) is the first not done; then past both.
    expect(source.commits).toEqual([1n, 2n]);
    expect(counters.get('sink_retries', { sink: 'test', code: 'MW_SINK_DELIVERY' })).toBe(3);
    // random 0.5: waits of 3/4 of 10, 20, 40 ms.
    expect(lines.map((l) => /in (\d+) ms/.exec(l)?.[1])).toEqual(['8', '15', '30']);
  });

  it('parks a permanent failure and a record that is not an alert, and goes on', async () => {
    const sink = new ScriptedSink([rejected]);
    const { source, worker, parking, counters } = setup(sink);
    await worker.start();
    const [bad, good] = [alertOf('bad', 'firing', 0), alertOf('good', 'firing', 1)];
    await source.batch([JSON.stringify(bad), '{not json', JSON.stringify({ schema: 'other' }), JSON.stringify(good)]);
    expect(sink.delivered).toEqual([good]);
    expect(source.commits).toEqual([4n]);
    const parked = parking.records.map((r) => JSON.parse(r.value) as ParkedRecord);
    expect(parked.map((p) => [p.code, p.offset])).toEqual([
      ['MW_SINK_REJECTED', '0'],
      ['MW_DECODE_INVALID_JSON', '1'],
      ['MW_DECODE_SCHEMA', '2'],
    ]);
    expect(parked[0]).toMatchObject({
      alert: bad,
      reason: 'PagerDuty answered 400: Event object is invalid',
      sink: 'test',
      topic: 'alerts',
    });
    expect(parked[1]).toMatchObject({ alert: null, value: '{not json' });
    expect(parking.records[0]!.headers).toEqual({ 'meshwatch-error': 'MW_SINK_REJECTED' });
    expect(counters.total('sink_parked')).toBe(3);
  });

  it('stops during a backoff without committing the failing alert, heartbeating meanwhile', async () => {
    const sink = new ScriptedSink(Array.from({ length: 1000 }, () => retriable));
    const { source, worker } = setup(sink, { retryInitialMs: 5000, retryMaxMs: 5000 });
    await worker.start();
    const done = source.batch([JSON.stringify(alertOf('a', 'firing', 0))], 7);
    await new Promise((r) => setTimeout(r, 2500));
    expect(source.heartbeats).toBeGreaterThanOrEqual(1);
    const t0 = Date.now();
    await worker.stop();
    await done;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sink.delivered).toEqual([]);
    expect(source.commits).toEqual([7n]);
  });
});

describe('SinkWorker and Retry-After', () => {
  it('waits at least what the service asked for (Retry-After), else its own backoff', async () => {
    const throttled = (): Delivery => ({
      ok: false,
      retriable: true,
      error: new MeshwatchError('MW_SINK_DELIVERY', 'answered 429'),
      retryAfterMs: 60,
    });
    const sink = new ScriptedSink([throttled, retriable]);
    const { source, worker, lines } = setup(sink);
    await worker.start();
    const a = alertOf('a', 'firing', 0);
    await source.batch([JSON.stringify(a)]);
    expect(sink.delivered).toEqual([a]);
    // 60 ms asked for (above the 8 ms backoff), then the backoff of the second attempt.
    expect(lines.map((l) => /in (\d+) ms/.exec(l)?.[1])).toEqual(['60', '15']);
  });
});
