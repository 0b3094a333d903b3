/**
 * The PagerDuty sink passes the AlertSink contract against a local Events API v2
 * (test/fakes/pagerduty.ts), and keeps PagerDuty's own promises: one dedup_key per episode,
 * 429 and 500 retriable, 400 permanent with PagerDuty's message, the routing key in no
 * value it returns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AlertSchema } from '../../src/core/alert/schema.js';
import { PagerDutySink, alertOfEvent } from '../../src/sinks/pagerduty/index.js';
import { FakePagerDuty } from '../fakes/pagerduty.js';
import { alertOf, alertSinkContract } from './alert-sink.js';

const ROUTING_KEY = 'R0UTINGKEYF0RC0NTRACTTESTS000001';

alertSinkContract('pagerduty', async () => {
  const pd = await new FakePagerDuty().start();
  const sink = new PagerDutySink({ routingKey: ROUTING_KEY, url: pd.url, timeoutMs: 5000 });
  return {
    sink,
    readBack: async (n) => {
      const end = Date.now() + 10_000;
      while (pd.events.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return pd.events.map((e) => AlertSchema.parse(alertOfEvent(e)));
    },
    small: () => Promise.resolve(new PagerDutySink({ routingKey: ROUTING_KEY, url: pd.url, maxEventBytes: 64 * 1024 })),
    close: () => pd.stop(),
  };
});

describe('PagerDuty sink', () => {
  let pd: FakePagerDuty;
  const sinkFor = (timeoutMs = 5000): PagerDutySink => new PagerDutySink({ routingKey: ROUTING_KEY, url: pd.url, timeoutMs });
  afterEach(() => pd.stop());

  it('a trigger and its resolve share one dedup_key (the alert id): one PagerDuty alert opened, then closed', async () => {
    pd = await new FakePagerDuty().start();
    const firing = alertOf('checkout', 'firing', 0);
    const resolved = { ...firing, status: 'resolved' as const, endsAt: firing.window.end };
    expect(await sinkFor().deliver([firing, firing, resolved])).toEqual({ ok: true });
    expect(pd.events.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', firing.id],
      ['trigger', firing.id],
      ['resolve', firing.id],
    ]);
    expect(pd.opened).toBe(1);
    expect(pd.open.size).toBe(0);
    const p = pd.events[0]!.payload;
    expect(p).toMatchObject({ source: 'shop/checkout', severity: 'error', component: 'checkout', group: 'shop', class: 'spike/cpu_cores' });
    expect(p.custom_details).toMatchObject({ observed: 6, expected: firing.expected, score: 0.9, window: firing.window, details: {} });
  });

  it.each([429, 500, 503])('answers %i with a retriable failure, and the next attempt delivers', async (status) => {
    pd = await new FakePagerDuty().start();
    pd.failNext(status);
    const a = alertOf('cart', 'firing', 1);
    const d = await sinkFor().deliver([a]);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.retriable).toBe(true);
      expect(d.error.code).toBe('MW_SINK_DELIVERY');
      expect(d.error.message).toContain(String(status));
    }
    expect(await sinkFor().deliver([a])).toEqual({ ok: true });
    expect(pd.events.map((e) => e.dedup_key)).toEqual([a.id]);
  });

  it('answers a 400 with a permanent failure carrying PagerDuty’s message and errors', async () => {
    pd = await new FakePagerDuty().start();
    pd.rejectWhen((e) => (e.payload.component === 'bad' ? "'payload.custom_details' is refused" : undefined));
    const d = await sinkFor().deliver([alertOf('bad', 'firing', 2)]);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.retriable).toBe(false);
      expect(d.error.code).toBe('MW_SINK_REJECTED');
      expect(d.error.message).toContain('400');
      expect(d.error.message).toContain('Event object is invalid');
      expect(d.error.message).toContain("'payload.custom_details' is refused");
    }
  });

  it('answers a wrong routing key’s 400 without ever showing the key', async () => {
    pd = await new FakePagerDuty().start();
    const wrong = 'short-key';
    const d = await new PagerDutySink({ routingKey: wrong, url: pd.url }).deliver([alertOf('x', 'firing', 3)]);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.retriable).toBe(false);
      expect(d.error.message).toContain('routing_key');
      expect(d.error.message).not.toContain(wrong);
    }
  });

  it('answers an unreachable endpoint and a timeout with retriable failures, without the routing key', async () => {
    pd = await new FakePagerDuty().start();
    const url = pd.url;
    await pd.stop();
    const down = await new PagerDutySink({ routingKey: ROUTING_KEY, url, timeoutMs: 2000 }).deliver([alertOf('y', 'firing', 4)]);
    expect(down).toMatchObject({ ok: false, retriable: true });
    if (!down.ok) expect(down.error.message).not.toContain(ROUTING_KEY);

    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const slow = await new PagerDutySink({ routingKey: ROUTING_KEY, url: `http://127.0.0.1:${port}/v2/enqueue`, timeoutMs: 200 }).deliver(
        [alertOf('z', 'firing', 5)],
      );
      expect(slow).toMatchObject({ ok: false, retriable: true });
      if (!slow.ok) expect(slow.error.message).toContain('no answer within 200 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
    pd = await new FakePagerDuty().start();
  });
});
