/**
 * A sink worker stopped for a while and restarted, through the real broker: alerts produced
 * while it was down are all delivered after the restart, in order per service, each under
 * its own id (a re-delivery may repeat an alert, never give it another id), and the
 * counters say what happened (sent, latency).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { buildSink, startSinkWorker } from '../../src/runtime/sinks.js';
import { Counters } from '../../src/telemetry/counters.js';
import { alertOf } from '../contract/alert-sink.js';
import { FakeWebhook } from '../fakes/webhook.js';
import { alertsWriter, createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const SECRET = 'restart-test-webhook-secret';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A webhook sink worker over a fresh run's topics, started and stopped at will, and a writer of alerts. */
async function setUp(label: string, hook: FakeWebhook) {
  const run = uniqueId(label);
  const config = testConfig(run, {
    kafka: { groups: { sinks: `${run}-sink` } },
    sinks: { webhook: { enabled: true, input: 'alerts', url: hook.url, secret: SECRET, retryInitialMs: 50, retryMaxMs: 400 } },
  });
  await createTopics(config);
  const kafka = testKafka(run);
  const counters = new Counters();
  const fatal: unknown[] = [];
  const start = async (): Promise<() => Promise<void>> => {
    const w = await startSinkWorker(kafka, config, await buildSink('webhook', config), counters, (e) => fatal.push(e), {
      fromBeginning: true,
    });
    return () => w.stop();
  };
  return { counters, fatal, start, out: await alertsWriter(kafka, config, cleanups) };
}

describe('a sink stopped and restarted', { timeout: 180_000 }, () => {
  it('delivers everything it missed, in order per service, nothing twice under a different id', async () => {
    const hook = await new FakeWebhook(SECRET).start();
    cleanups.push(() => hook.stop());
    const { counters, fatal, start, out } = await setUp('restart', hook);
    const services = ['checkout', 'cart', 'search', 'payments'];
    const batch = (from: number, to: number): Alert[] =>
      Array.from({ length: to - from }, (_, k) => from + k).flatMap((i) =>
        services.map((s, j) => alertOf(s, i % 2 === 0 ? 'firing' : 'resolved', i * 10 + j)),
      );
    const received = (): Alert[] => hook.received.map((r) => AlertSchema.parse(r.body));
    const waitFor = async (n: number): Promise<void> => {
      const end = Date.now() + 60_000;
      while (received().length < n) {
        if (Date.now() > end) throw new Error(`only ${received().length} of ${n} delivered`);
        await sleep(100);
      }
    };

    let stop = await start();
    cleanups.push(() => stop());
    const before = batch(0, 4);
    expect(await out.deliver(before)).toEqual({ ok: true });
    await waitFor(before.length);
    await stop();

    // Down for a while: alerts keep arriving.
    const during = batch(4, 10);
    expect(await out.deliver(during)).toEqual({ ok: true });
    await sleep(1500);
    const whileDown = received().length;

    stop = await start();
    const all = [...before, ...during];
    await waitFor(all.length);
    await sleep(1000);
    expect(whileDown).toBe(before.length);
    const got = received();
    for (const s of services) {
      const mine = got.filter((a) => a.service.name === s);
      // In order per service; a repeat (at least once) is the same alert with the same id.
      const distinct = mine.filter((a, i) => i === 0 || JSON.stringify(a) !== JSON.stringify(mine[i - 1]));
      expect(distinct).toEqual(all.filter((a) => a.service.name === s));
    }
    // Nothing twice under a different id: one id per (service, episode start), as produced.
    const idsOf = new Map<string, Set<string>>();
    for (const a of got)
      idsOf.set(`${a.service.name}|${a.startsAt}`, (idsOf.get(`${a.service.name}|${a.startsAt}`) ?? new Set()).add(a.id));
    expect([...idsOf.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(new Set(got.map((a) => a.id))).toEqual(new Set(all.map((a) => a.id)));
    expect(counters.get('sent', { stage: 'sink', sink: 'webhook' })).toBe(got.length);
    // The alerts produced while the sink was down waited at least that long.
    expect(counters.get('sink_latency_ms', { sink: 'webhook' })).toBeGreaterThanOrEqual(during.length * 1500);
    expect(fatal).toEqual([]);
  });

  it('stopped while a delivery is under way, commits it: the next instance delivers nothing again', async () => {
    const hook = await new FakeWebhook(SECRET).start();
    cleanups.push(() => hook.stop());
    // The receiver records each alert 400 ms before it answers: the test stops the worker as
    // soon as the last alert is recorded, while its delivery is still under way.
    hook.answerDelayMs = 400;
    const { fatal, start, out } = await setUp('restart-busy', hook);
    const alerts = ['checkout', 'cart'].flatMap((s, j) =>
      [0, 1, 2].map((i) => alertOf(s, i % 2 === 0 ? 'firing' : 'resolved', i * 10 + j)),
    );
    expect(await out.deliver(alerts)).toEqual({ ok: true });

    let stop = await start();
    cleanups.push(() => stop());
    const end = Date.now() + 60_000;
    while (hook.received.length < alerts.length) {
      if (Date.now() > end) throw new Error(`only ${hook.received.length} of ${alerts.length} delivered`);
      await sleep(20);
    }
    await stop();
    const delivered = hook.received.length;

    stop = await start();
    await sleep(3000);
    await stop();
    expect(delivered).toBe(alerts.length);
    expect(hook.received.length).toBe(alerts.length);
    expect(fatal).toEqual([]);
  });
});
