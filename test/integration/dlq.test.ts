/**
 * Poison input through the real broker: malformed records land on the dead-letter topic
 * with their reason, code and source position, while good records keep flowing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type DeadLetter } from '../../src/sinks/kafka/dlq.js';
import { type WindowPartial } from '../../src/core/window/partial.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { Collector, createTopics, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('dead-letter topic', { timeout: 180_000 }, () => {
  it('routes malformed records to the DLQ with reasons while good records keep flowing', async () => {
    const run = uniqueId('dlq');
    const config = testConfig(run, { ingest: { maxMessageBytes: 64 * 1024 }, role: 'ingest' });
    await createTopics(config);
    const app = await startMeshwatch(config);
    cleanups.push(() => app.stop());
    const kafka = testKafka(run);
    const dlq = await new Collector<DeadLetter>(kafka, config.kafka.topics.dlq).start();
    const windows = await new Collector<WindowPartial>(kafka, config.kafka.topics.windows).start();
    cleanups.push(
      () => dlq.stop(),
      () => windows.stop(),
    );

    // Recent event time: the ingest's event-time guard refuses records days behind processing time.
    const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
    const good = (i: number): string => JSON.stringify({ ts: t0 + i * 1000, service: 'shop/good', metric: 'queue_depth', value: i });
    const bad: [string, string][] = [
      ['{"ts": 1, "service": "shop/x", "metric": "m", "value": 1', 'MW_DECODE_TRUNCATED'],
      ['this is not json', 'MW_DECODE_INVALID_JSON'],
      [JSON.stringify({ ts: t0, service: 'shop/x', metric: 'm', value: 'NaN' }), 'MW_DECODE_BAD_VALUE'],
      [JSON.stringify({ ts: t0, service: 42, metric: 'm', value: 1 }), 'MW_DECODE_SCHEMA'],
      [JSON.stringify({ hello: 'world' }), 'MW_DECODE_UNKNOWN_FORMAT'],
      [JSON.stringify({ ts: t0, service: 'shop/x', metric: 'm', value: 1, pad: 'x'.repeat(100 * 1024) }), 'MW_DECODE_TOO_LARGE'],
    ];
    const messages: string[] = [];
    for (let i = 0; i < 20; i++) {
      messages.push(good(i));
      const b = bad[i % bad.length];
      if (i < bad.length && b) messages.push(b[0]);
    }
    const producer = kafka.producer();
    await producer.connect();
    // One partition so positions are predictable.
    await producer.send({ topic: config.kafka.topics.samples[0]!, messages: messages.map((value) => ({ value, partition: 0 })) });
    await producer.disconnect();

    const letters = await dlq.waitFor((xs) => xs.length >= bad.length, 60_000, 'dead letters');
    expect(letters.map((l) => l.error.code).sort()).toEqual(bad.map(([, code]) => code).sort());
    for (const l of letters) {
      expect(l.schema).toBe('meshwatch.dlq/v1');
      expect(l.source.topic).toBe(config.kafka.topics.samples[0]);
      expect(l.source.partition).toBe(0);
      expect(l.error.reason.length).toBeGreaterThan(0);
      const original = Buffer.from(l.payloadBase64, 'base64').toString('utf8');
      expect(messages[Number(l.source.offset)]).toBe(original);
      expect(bad.find(([text]) => text === original)?.[1]).toBe(l.error.code);
    }
    const partials = await windows.waitFor(
      (ps) => ps.filter((p) => p.service?.name === 'good').reduce((n, p) => n + (p.gauges.queue_depth?.n ?? 0), 0) >= 20,
      60_000,
      'all good records in window partials',
    );
    const sum = partials.filter((p) => p.service?.name === 'good').reduce((s, p) => s + (p.gauges.queue_depth?.sum ?? 0), 0);
    expect(sum).toBe((19 * 20) / 2);
    expect(app.counters.get('dropped', { stage: 'ingest', reason: 'MW_DECODE_TOO_LARGE' })).toBe(1);
    expect(app.counters.get('received', { stage: 'ingest' })).toBe(messages.length);
  });
});
