/**
 * Traces follow a batch: with a tracer provider registered (here an in-memory exporter, as the
 * SDK registers one in production), every batch the consume loop handles is a CONSUMER span, and
 * what the batch publishes is a PRODUCER span under it. Real broker and Redis.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeshwatch } from '../../src/runtime/app.js';
import { createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('tracing', { timeout: 90_000 }, () => {
  it('a processed batch is a span, and the windows it sends are its child', async () => {
    const run = uniqueId('trace');
    const config = testConfig(run, { role: 'ingest' });
    await createTopics(config);
    const running = await startMeshwatch(config, { quietClient: true });
    try {
      const producer = testKafka(run).producer();
      await producer.connect();
      const t0 = Date.now() - 5 * 60_000;
      await producer.send({
        topic: config.kafka.topics.samples[0] ?? '',
        messages: Array.from({ length: 5 }, (_, i) => ({
          value: JSON.stringify({ ts: t0 + i * 10_000, service: 'shop/traced', metric: 'value', value: i }),
        })),
      });
      await producer.disconnect();
      const end = Date.now() + 60_000;
      while (running.counters.get('received', { stage: 'ingest' }) < 5 && Date.now() < end) await sleep(200);
      expect(running.counters.get('received', { stage: 'ingest' })).toBe(5);
    } finally {
      await running.stop();
    }
    const spans = exporter.getFinishedSpans();
    const batch = spans.find((s) => s.name === 'ingest batch');
    expect(batch?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': config.kafka.topics.samples[0],
      'meshwatch.stage': 'ingest',
    });
    const send = spans.find(
      (s) => s.name === `send ${config.kafka.topics.windows}` && s.spanContext().traceId === batch?.spanContext().traceId,
    );
    expect(send?.parentSpanContext?.spanId).toBe(batch?.spanContext().spanId);
  });
});
